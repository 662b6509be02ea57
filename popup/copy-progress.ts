import type { CopyProgress } from '../src/pairing/pairings';

/** Whole percent done, 0-100; 0 while the total is not known yet. */
export function copyPercent({ done, total }: Pick<CopyProgress, 'done' | 'total'>): number {
  if (!(total > 0) || !(done > 0)) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** Bytes as people read them: "812 KB", "24.6 MB", "1.2 GB" (decimal units, as file managers show). */
export function describeBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.max(0, Math.round(bytes))} B`;
  const [value, unit] = bytes < 1e6 ? [bytes / 1e3, 'KB'] : bytes < 1e9 ? [bytes / 1e6, 'MB'] : [bytes / 1e9, 'GB'];
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** How far a copy is: "Preparing…" until its size is known, then "24.6 of 39.7 MB". */
export function describeCopyAmount({ done, total }: Pick<CopyProgress, 'done' | 'total'>): string {
  if (!(total > 0)) return 'Preparing…';
  const [doneText, totalText] = [describeBytes(Math.min(done, total)), describeBytes(total)];
  const unit = totalText.split(' ')[1];
  // One unit when both share it: "24.6 of 39.7 MB", otherwise both in full: "812 KB of 1.2 MB".
  return doneText.endsWith(` ${unit}`) ? `${doneText.split(' ')[0]} of ${totalText}` : `${doneText} of ${totalText}`;
}
