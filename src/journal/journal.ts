import type { JournalEntry, JournalKind, JournalStatus } from './entry';

/** Entries kept; the oldest go first. Exports are for troubleshooting, not an archive. */
export const JOURNAL_CAPACITY = 2000;

/** Adds `entries`; one whose id is already there replaces that line in place (a recurring failure's new count). */
export function appendEntries(
  journal: readonly JournalEntry[],
  entries: readonly JournalEntry[],
  capacity = JOURNAL_CAPACITY,
): JournalEntry[] {
  const all = [...journal];
  let positions: Map<string, number> | undefined;
  for (const entry of entries) {
    positions ??= new Map(all.map((line, index) => [line.id, index]));
    const at = positions.get(entry.id);
    if (at === undefined) {
      positions.set(entry.id, all.length);
      all.push(entry);
    } else {
      all[at] = entry;
    }
  }
  return all.length > capacity ? all.slice(all.length - capacity) : all;
}

export interface JournalFilter {
  kinds?: readonly JournalKind[];
  statuses?: readonly JournalStatus[];
}

export function filterJournal(journal: readonly JournalEntry[], filter: JournalFilter): JournalEntry[] {
  return journal.filter(
    (entry) =>
      (!filter.kinds?.length || filter.kinds.includes(entry.kind)) &&
      (!filter.statuses?.length || filter.statuses.includes(entry.status)),
  );
}

/** One JSON object per line, oldest first: greppable, and loads in any NDJSON tool. */
export function toNdjson(journal: readonly JournalEntry[]): string {
  return journal.map((entry) => JSON.stringify(entry)).join('\n') + (journal.length ? '\n' : '');
}

/** Counts for the badge and the popup header. */
export function countByStatus(journal: readonly JournalEntry[]): Record<JournalStatus, number> {
  const counts: Record<JournalStatus, number> = { pending: 0, applied: 0, failed: 0, conflict: 0, rejected: 0, info: 0 };
  for (const entry of journal) counts[entry.status] += 1;
  return counts;
}

/**
 * Lines of `sites` still waiting for the other side's acknowledgement, when the peer that would
 * have marked them is gone (its page reloaded, the pairing ended): they become `info`, so nothing
 * shows as pending forever. What they carried was sent again by the next peer, or never will be.
 */
export function settlePendingLines(journal: readonly JournalEntry[], sites: readonly string[]): readonly JournalEntry[] {
  const withoutSlash = (url: string) => url.replace(/\/+$/, '');
  const gone = new Set(sites.map(withoutSlash));
  const stale = (entry: JournalEntry) => entry.status === 'pending' && gone.has(withoutSlash(entry.site));
  return journal.some(stale) ? journal.map((entry) => (stale(entry) ? { ...entry, status: 'info' } : entry)) : journal;
}
