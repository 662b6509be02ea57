import type { CopyProgress } from '../src/pairing/pairings';

/** Whole percent done, 0-100; 0 while the total is not known yet. */
export function copyPercent({ done, total }: Pick<CopyProgress, 'done' | 'total'>): number {
  if (!(total > 0) || !(done > 0)) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

export function describeCopy(copy: Pick<CopyProgress, 'done' | 'total'>, fromName: string, toName: string): string {
  return `Copying ${fromName} → ${toName}: ${copyPercent(copy)}%`;
}
