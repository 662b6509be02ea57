/**
 * `npm test`: typecheck, lint and the unit tests (side by side: the unit tests mostly wait on
 * timers), then the integration tests, the build and the end-to-end tests, stopping at the first
 * red step. Ends with one plain summary line (`tests: N passed, N failed`) so CI can read the count.
 *
 *   npm test                 everything
 *   npm test -- unit e2e     only the steps named
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const resultsDir = '.cache/test-results';
mkdirSync(resultsDir, { recursive: true });

interface Step {
  name: string;
  command: string[];
  /** A vitest project: its counts go into the summary. */
  project?: string;
}

const vitest = (project: string): Step => ({
  name: project,
  project,
  command: ['npx', 'vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${resultsDir}/${project}.json`],
});

/** Steps of a group run at once, their output printed whole as each ends; groups run in order. */
const groups: Step[][] = [
  [{ name: 'typecheck', command: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'] }, { name: 'lint', command: ['npx', 'eslint', '.'] }, vitest('unit')],
  [vitest('integration')],
  [{ name: 'build', command: ['npm', 'run', '--silent', 'build:all'] }],
  [vitest('e2e')],
];

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;

for (const group of groups) {
  const steps = group.filter((step) => only.length === 0 || only.includes(step.name));
  if (steps.length === 0) continue;
  const results = await Promise.all(steps.map((step) => run(step, steps.length > 1)));
  if (results.some((ok) => !ok)) finish(1);
}
finish(0);

/** Runs `step`; its output streams, or (`buffered`, beside other steps) is printed whole when it ends. */
function run(step: Step, buffered: boolean): Promise<boolean> {
  const started = Date.now();
  console.log(`\n=== ${step.name}: ${step.command.join(' ')}${buffered ? ' (output when it ends)' : ''}`);
  const child = spawn(step.command[0]!, step.command.slice(1), { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  const output: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      if (buffered) process.stdout.write(`\n--- ${step.name} output ---\n${Buffer.concat(output).toString()}`);
      if (step.project) {
        const counts = readCounts(`${resultsDir}/${step.project}.json`);
        passed += counts.passed;
        failed += counts.failed;
      } else if (code !== 0) failed += 1;
      console.log(`=== ${step.name}: ${code === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      resolve(code === 0);
    });
  });
}

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
