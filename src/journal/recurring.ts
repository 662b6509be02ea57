import type { JournalEntry } from '../protocol/journal-entry';

/**
 * The failure lines a peer journaled, so that the same failure again (a batch resent every few
 * seconds and refused for the same reason) raises the count on its first line instead of adding
 * a line each time.
 */
export class RecurringFailures {
  private readonly seen = new Map<string, JournalEntry>();

  constructor(private readonly capacity = 200) {}

  /** `line` itself when it is new or no failure; else the first such line, its count raised. */
  fold(line: JournalEntry): JournalEntry {
    if (line.status !== 'failed' && line.status !== 'rejected') return line;
    const key = JSON.stringify([line.site, line.direction, line.kind, line.target, line.summary, line.status]);
    const first = this.seen.get(key);
    const folded = first ? { ...first, repeats: (first.repeats ?? 0) + 1 } : line;
    this.seen.delete(key);
    this.seen.set(key, folded);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
    return folded;
  }
}
