import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../test/harness/test-link';

/** One measured quantity: targets are ratios against a baseline measured in the same process. */
export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** What the value is compared with, e.g. "the same site unpaired". */
  baseline?: string;
  /** Target as text, e.g. "≤ 1.3×". */
  target?: string;
  /** Whether the target is met; absent when there is no target. */
  met?: boolean;
  notes?: string;
}

export const RESULTS_DIR = join(import.meta.dirname, 'results');

/** Each benchmark file writes its own section; bench/report.ts turns them into RESULTS.md. */
export function recordSection(id: string, title: string, measurements: Measurement[]): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${id}.json`), JSON.stringify({ title, measurements }, null, 2));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * The `level` interval of `statistic` over resamples of each of `sets` (drawn with replacement,
 * each set on its own): how much a figure from this many samples may move. Seeded, so a run's
 * interval can be reproduced from its samples.
 */
export function bootstrapInterval(sets: readonly number[][], statistic: (...resampled: number[][]) => number, level = 0.9, rounds = 2000): [number, number] {
  const random = mulberry32(rounds);
  const resample = (values: readonly number[]) => values.map(() => values[Math.floor(random() * values.length)]!);
  const outcomes = Array.from({ length: rounds }, () => statistic(...sets.map(resample)));
  const tail = ((1 - level) / 2) * 100;
  return [percentile(outcomes, tail), percentile(outcomes, 100 - tail)];
}
