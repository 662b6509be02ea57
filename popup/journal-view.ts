import type { JournalEntry, JournalKind, JournalStatus } from '../src/journal/entry';
import { filterJournal, type JournalFilter } from '../src/journal/journal';

/** Rows rendered at once: the journal holds up to 2,000 entries and the popup must open fast. */
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

const DIRECTIONS: Record<JournalEntry['direction'], { arrow: string; word: string }> = {
  sent: { arrow: '↑', word: 'Sent' },
  received: { arrow: '↓', word: 'Received' },
  local: { arrow: '•', word: 'Local' },
};

export const KIND_LABELS: Record<JournalKind, string> = {
  rows: 'Rows',
  schema: 'Schema',
  files: 'Files',
  pairing: 'Pairing',
  input: 'Input',
};

export const STATUS_LABELS: Record<JournalStatus, string> = {
  pending: 'Pending',
  applied: 'Applied',
  failed: 'Failed',
  conflict: 'Conflict',
  rejected: 'Rejected',
  info: 'Info',
};

export interface JournalRowView {
  id: string;
  clock: string;
  arrow: string;
  /** "Sent by scope-a", "Received into scope-b", "Local to scope-a". */
  direction: string;
  kind: JournalKind;
  kindLabel: string;
  target: string;
  summary: string;
  status: JournalStatus;
  statusLabel: string;
}

export function directionText(entry: Pick<JournalEntry, 'direction' | 'site'>): string {
  const preposition = { sent: 'by', received: 'into', local: 'to' }[entry.direction];
  return `${DIRECTIONS[entry.direction].word} ${preposition} ${entry.site}`;
}

export function journalRowView(entry: JournalEntry): JournalRowView {
  return {
    id: entry.id,
    clock: formatClock(entry.time),
    arrow: DIRECTIONS[entry.direction].arrow,
    direction: directionText(entry),
    kind: entry.kind,
    kindLabel: KIND_LABELS[entry.kind],
    target: entry.target,
    summary: entry.repeats ? `${entry.summary} (${entry.repeats + 1} times)` : entry.summary,
    status: entry.status,
    statusLabel: STATUS_LABELS[entry.status],
  };
}

export interface VisibleJournal {
  /** Newest first, at most `limit`. */
  entries: JournalEntry[];
  /** Every entry the filter matches, oldest first (what an export writes). */
  matching: JournalEntry[];
  hidden: number;
}

export function visibleJournal(journal: readonly JournalEntry[], filter: JournalFilter, limit = JOURNAL_RENDER_LIMIT): VisibleJournal {
  const matching = filterJournal(journal, filter);
  const entries = matching.slice(Math.max(0, matching.length - limit)).reverse();
  return { entries, matching, hidden: matching.length - entries.length };
}

/** A `<select>` value ('' = all) as a filter list. */
export function filterValues<T extends string>(value: string, allowed: readonly T[]): T[] {
  return (allowed as readonly string[]).includes(value) ? [value as T] : [];
}
