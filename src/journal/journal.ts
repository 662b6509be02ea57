import { JOURNAL_TEXT_LIMITS, type JournalEntry, type JournalStatus } from '../protocol/journal-entry';

/** Entries kept; the oldest go first. Exports are for troubleshooting, not an archive. */
export const JOURNAL_CAPACITY = 2000;
/**
 * Bytes kept (as JSON), the oldest going first: well under `chrome.storage.session`'s 10 MiB,
 * which the registry and the pairings share, whatever the lines carry.
 */
export const JOURNAL_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Lines in one message or one stored page at most (as `entryBytes` counts): with any text they
 * carry, well under the 256 KiB every message keeps to.
 */
export const JOURNAL_MESSAGE_BYTES = 128 * 1024;

export interface JournalLimits {
  readonly entries: number;
  readonly bytes: number;
}

export const JOURNAL_LIMITS: JournalLimits = { entries: JOURNAL_CAPACITY, bytes: JOURNAL_MAX_BYTES };

/**
 * Adds `entries`; one whose id is already there replaces that line in place (a recurring
 * failure's new count). Input refused the same way again (a page script forging the same
 * message in a loop) is counted on the latest such line, which moves to the end under the new
 * line's id, rather than stored once more. Then the oldest lines go until both limits hold.
 */
export function appendEntries(
  journal: readonly JournalEntry[],
  entries: readonly JournalEntry[],
  limits: JournalLimits = JOURNAL_LIMITS,
): JournalEntry[] {
  let all = [...journal];
  for (const entry of entries) {
    const at = all.findIndex((line) => line.id === entry.id);
    if (at !== -1) {
      all[at] = entry;
      continue;
    }
    const same = entry.status === 'rejected' ? findLastIndex(all, (line) => line.status === 'rejected' && sameRefusal(line, entry)) : -1;
    if (same !== -1) {
      const repeats = (all[same]!.repeats ?? 0) + 1 + (entry.repeats ?? 0);
      all = [...all.slice(0, same), ...all.slice(same + 1), { ...entry, repeats }];
      continue;
    }
    all.push(entry);
  }
  if (all.length > limits.entries) all = all.slice(all.length - limits.entries);
  return withinBytes(all, limits.bytes);
}

function sameRefusal(a: JournalEntry, b: JournalEntry): boolean {
  return a.site === b.site && a.kind === b.kind && a.target === b.target && a.summary === b.summary && a.detail === b.detail;
}

function findLastIndex<T>(items: readonly T[], matches: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (matches(items[i]!)) return i;
  return -1;
}

const sizes = new WeakMap<JournalEntry, number>();

/** The line's size as stored (JSON, UTF-16 units: a bound on its UTF-8 bytes for the text lines carry). */
export function entryBytes(entry: JournalEntry): number {
  let size = sizes.get(entry);
  if (size === undefined) {
    size = JSON.stringify(entry).length * 2;
    sizes.set(entry, size);
  }
  return size;
}

/** `entries` in groups of at most `maxBytes` each (as `entryBytes` counts), in order: one message per group. */
export function groupByBytes(entries: readonly JournalEntry[], maxBytes: number): JournalEntry[][] {
  const groups: JournalEntry[][] = [];
  let bytes = Infinity;
  for (const entry of entries) {
    if (bytes + entryBytes(entry) > maxBytes) {
      groups.push([]);
      bytes = 0;
    }
    groups.at(-1)!.push(entry);
    bytes += entryBytes(entry);
  }
  return groups;
}

function withinBytes(journal: JournalEntry[], maxBytes: number): JournalEntry[] {
  if (!Number.isFinite(maxBytes)) return journal;
  let total = 0;
  let start = journal.length;
  while (start > 0 && total + entryBytes(journal[start - 1]!) <= maxBytes) total += entryBytes(journal[--start]!);
  return start === 0 ? journal : journal.slice(start);
}

/** `entry` trimmed to what the journal's schema holds; what did not fit goes to `detail` (shown and exported). */
export function fitEntry<T extends Omit<JournalEntry, 'id' | 'time' | 'site'>>(entry: T): T {
  const overflow: string[] = [];
  const trim = (text: string, max: number, name: string) => {
    if (text.length <= max) return text;
    overflow.push(`${name}: ${text}`);
    return `${text.slice(0, max - 1)}…`;
  };
  const target = trim(entry.target, TARGET_MAX, 'Target');
  const summary = trim(entry.summary, SUMMARY_MAX, 'Summary');
  if (overflow.length === 0 && (entry.detail === undefined || entry.detail.length <= DETAIL_MAX)) return entry;
  const detail = [...overflow, entry.detail].filter((part) => part !== undefined).join('\n\n');
  return { ...entry, target, summary, detail: detail.length <= DETAIL_MAX ? detail : `${detail.slice(0, DETAIL_MAX - 1)}…` };
}

const { target: TARGET_MAX, summary: SUMMARY_MAX, detail: DETAIL_MAX } = JOURNAL_TEXT_LIMITS;

/** One JSON object per line, oldest first: greppable, and loads in any NDJSON tool. */
export function toNdjson(journal: readonly JournalEntry[]): string {
  return journal.map((entry) => JSON.stringify(entry)).join('\n') + (journal.length ? '\n' : '');
}

/** Entries (lines, or the journal page's entries for people) by status. */
export function countByStatus(journal: readonly Pick<JournalEntry, 'status'>[]): Record<JournalStatus, number> {
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
