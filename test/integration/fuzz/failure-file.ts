import { mkdirSync, writeFileSync } from 'node:fs';

/** Where fuzz failures are saved, for pasting into a regression test. */
export const FAILURES_DIR = '.cache/fuzz-failures';

export function saveFailure(name: string, text: string): void {
  mkdirSync(FAILURES_DIR, { recursive: true });
  writeFileSync(`${FAILURES_DIR}/${name}`, text);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * A failed seed as people read it and a regression test takes it: `headline`, the shortest
 * failing op list as a `const OPS: <opType>[]` with the `replay` call that runs it, and both problems.
 */
export function failureReport(report: {
  readonly headline: string;
  readonly replay: string;
  readonly opType: string;
  readonly ops: readonly unknown[];
  readonly problem: string;
  readonly allOpsProblem: string | null;
}): string {
  return [
    report.headline,
    `Shortest failing op list found: ${report.ops.length} ops. Replay in a test:`,
    `  expect(await ${report.replay}).toBeNull();`,
    `const OPS: ${report.opType}[] = [\n${report.ops.map((op) => `  ${JSON.stringify(op)},`).join('\n')}\n];`,
    `Problem with that list:\n${report.problem}`,
    `Problem with all ops:\n${report.allOpsProblem}`,
  ].join('\n');
}
