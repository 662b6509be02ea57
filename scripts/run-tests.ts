/**
 * `npm test`: typecheck, lint, then the three test layers in order, stopping at the first red
 * step. Ends with one plain summary line (`tests: N passed, N failed`) so CI can read the count.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const resultsDir = '.cache/test-results';
mkdirSync(resultsDir, { recursive: true });

const steps: { name: string; command: string[]; project?: string }[] = [
  { name: 'typecheck', command: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'] },
  { name: 'lint', command: ['npx', 'eslint', '.'] },
  { name: 'unit', command: [], project: 'unit' },
  { name: 'integration', command: [], project: 'integration' },
  { name: 'build', command: ['npm', 'run', '--silent', 'build:all'] },
  { name: 'e2e', command: [], project: 'e2e' },
];

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;

for (const step of steps) {
  if (only.length > 0 && !only.includes(step.name)) continue;
  const started = Date.now();
  const command = step.project
    ? [
        'npx', 'vitest', 'run', '--project', step.project,
        '--reporter=default', '--reporter=json', `--outputFile.json=${resultsDir}/${step.project}.json`,
      ]
    : step.command;
  console.log(`\n=== ${step.name}: ${command.join(' ')}`);
  const run = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit' });
  if (step.project) {
    const counts = readCounts(`${resultsDir}/${step.project}.json`);
    passed += counts.passed;
    failed += counts.failed;
  }
  console.log(`=== ${step.name}: ${run.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (run.status !== 0) {
    if (!step.project) failed += 1;
    finish(1);
  }
}
finish(0);

function readCounts(file: string): { passed: number; failed: number } {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number; numFailedTestSuites: number };
    // A file whose set-up failed fails no test of its own, but it is a failure all the same.
    return { passed: report.numPassedTests, failed: Math.max(report.numFailedTests, report.numFailedTestSuites) };
  } catch {
    return { passed: 0, failed: 1 };
  }
}

function finish(code: number): never {
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exit(code);
}
