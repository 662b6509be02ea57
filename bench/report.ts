/**
 * Composes bench/RESULTS.md from the sections the benchmark files wrote, with the machine and
 * the date, so numbers are never read without knowing where they came from.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR, type Measurement } from './record';

const sections = existsSync(RESULTS_DIR)
  ? readdirSync(RESULTS_DIR)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as { title: string; measurements: Measurement[] })
  : [];

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
const lines = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  `Machine: ${machine}.`,
  '',
  'Targets are ratios against a baseline measured in the same run, or absolute figures where the issue sets one.',
];
for (const section of sections) {
  lines.push('', `## ${section.title}`, '', '| measure | value | baseline | target | met |', '| --- | --- | --- | --- | --- |');
  for (const m of section.measurements) {
    const value = `${Number.isInteger(m.value) ? m.value : m.value.toFixed(m.value < 10 ? 2 : 1)} ${m.unit}`;
    const met = m.met === undefined ? '' : m.met ? 'yes' : '**no**';
    lines.push(`| ${m.name}${m.notes ? ` (${m.notes})` : ''} | ${value} | ${m.baseline ?? ''} | ${m.target ?? ''} | ${met} |`);
  }
}
writeFileSync(join(import.meta.dirname, 'RESULTS.md'), `${lines.join('\n')}\n`);
console.log(`bench/RESULTS.md: ${sections.length} section(s)`);
