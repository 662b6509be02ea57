import type { JournalEntry, JournalKind, JournalStatus } from '../src/protocol/journal-entry';
import type { PeopleEntry } from './journal-people';
import { siteKey } from './site-names';

/** Entries rendered at once: the journal holds up to 2,000 lines and the page must open fast. */
export const JOURNAL_RENDER_LIMIT = 300;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** HH:MM:SS, local time. */
export function formatClock(time: number): string {
  const date = new Date(time);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** YYYY-MM-DD HH:MM:SS, local time. */
export function formatDateTime(time: number): string {
  const date = new Date(time);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(time)}`;
}

/** playground-sync-journal-YYYYMMDD-HHMMSS.ndjson, local time. */
export function exportFilename(date: Date): string {
  const day = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
  const clock = `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `playground-sync-journal-${day}-${clock}.ndjson`;
}

const DIRECTION_WORDS: Record<JournalEntry['direction'], string> = { sent: 'Sent by', received: 'Applied on', local: 'On' };

export const KIND_LABELS: Record<JournalKind, string> = {
  change: 'Changes',
  rows: 'Rows',
  schema: 'Schema',
  files: 'Files',
  pairing: 'Pairing',
  input: 'Refused input',
};

/** Statuses as people read them: a change is "Synced" once the other site applied it. */
export const STATUS_LABELS: Record<JournalStatus, string> = {
  pending: 'On its way',
  applied: 'Synced',
  failed: 'Failed',
  conflict: 'Conflict',
  rejected: 'Refused',
  info: 'Info',
};

/** "Sent by Lively River", "Applied on Daring Lagoon", "On Lively River". */
export function directionText(entry: Pick<JournalEntry, 'direction' | 'site'>): string {
  return `${DIRECTION_WORDS[entry.direction]} ${entry.site}`;
}

export interface JournalViewFilter {
  readonly statuses?: readonly JournalStatus[];
  readonly kinds?: readonly JournalKind[];
  /** Entries about this site (sent by it, applied on it, or about it). */
  readonly site?: string | undefined;
  /** Words the entry's text holds (summary, detail, values), case-insensitive. */
  readonly text?: string | undefined;
}

export function matchesFilter(entry: PeopleEntry, filter: JournalViewFilter): boolean {
  if (filter.statuses?.length && !filter.statuses.includes(entry.status)) return false;
  if (filter.kinds?.length && !filter.kinds.includes(entry.kind)) return false;
  if (filter.site && ![entry.from, ...entry.to].some((site) => siteKey(site) === siteKey(filter.site!))) return false;
  const words = filter.text?.trim().toLowerCase();
  if (words) {
    const haystack = [entry.summary, entry.detail ?? '', ...(entry.conflict ?? []).flatMap((value) => [value.field, value.kept, value.lost])].join('\n').toLowerCase();
    if (!haystack.includes(words)) return false;
  }
  return true;
}

export interface VisibleJournal {
  /** Newest first, at most `limit`. */
  entries: PeopleEntry[];
  /** Every entry the filter matches, oldest first. */
  matching: PeopleEntry[];
  hidden: number;
}

export function visibleJournal(journal: readonly PeopleEntry[], filter: JournalViewFilter, limit = JOURNAL_RENDER_LIMIT): VisibleJournal {
  const matching = journal.filter((entry) => matchesFilter(entry, filter));
  const entries = matching.slice(Math.max(0, matching.length - limit)).reverse();
  return { entries, matching, hidden: matching.length - entries.length };
}

/** The lines an export writes for `entries`: every line they stand for, clocks and all, oldest first. */
export function exportLines(entries: readonly PeopleEntry[]): JournalEntry[] {
  // A technical line shown on its own is also among its change's lines: once in the export.
  const lines = new Map(entries.flatMap((entry) => entry.lines).map((line) => [line.id, line]));
  return [...lines.values()].sort((a, b) => a.time - b.time);
}

/** A `<select>` value ('' = all) as a filter list. */
export function filterValues<T extends string>(value: string, allowed: readonly T[]): T[] {
  return (allowed as readonly string[]).includes(value) ? [value as T] : [];
}
