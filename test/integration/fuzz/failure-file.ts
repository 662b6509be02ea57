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
