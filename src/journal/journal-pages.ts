import type { JournalEntry } from '../protocol/journal-entry';
import { entryBytes, JOURNAL_CAPACITY, JOURNAL_MAX_BYTES, JOURNAL_MESSAGE_BYTES } from './journal';

/**
 * The journal as stored: pages of lines under keys of their own, so that no read, write or change
 * notification of the journal carries more than one page (every message stays well under
 * 256 KiB), and a new line rewrites the last page only, never the whole journal.
 *
 * A line stays in the page it was first put in (a line sent again under its id replaces it there);
 * new lines go to the last page, or open a new one when it is full. The oldest pages go, whole,
 * while the journal is over its line or byte limit.
 */

/** Bytes of lines in one page: one message's worth. */
export const JOURNAL_PAGE_BYTES = JOURNAL_MESSAGE_BYTES;
/** Where the page range is kept; pages are `journalPageKey(n)` for n in first..last. */
export const JOURNAL_INDEX_KEY = 'journal';
export const JOURNAL_PAGE_KEY_PREFIX = 'journal/';
export const journalPageKey = (page: number) => `${JOURNAL_PAGE_KEY_PREFIX}${page}`;

export interface JournalIndex {
  /** First page kept; `last < first` when there is none. */
  readonly first: number;
  readonly last: number;
}

export interface JournalPages {
  readonly index: JournalIndex;
  readonly pages: ReadonlyMap<number, readonly JournalEntry[]>;
}

export const emptyJournalPages: JournalPages = { index: { first: 1, last: 0 }, pages: new Map() };

/** Every line, oldest first. */
export function journalLines(journal: JournalPages): JournalEntry[] {
  const lines: JournalEntry[] = [];
  for (let page = journal.index.first; page <= journal.index.last; page++) lines.push(...(journal.pages.get(page) ?? []));
  return lines;
}

export interface PageWrites {
  readonly next: JournalPages;
  /** Storage items to set: changed pages, and the index when it changed. */
  readonly set: Record<string, unknown>;
  /** Storage keys of pages that went. */
  readonly remove: string[];
}

export interface PageLimits {
  readonly entries: number;
  readonly bytes: number;
  readonly pageBytes: number;
}

const LIMITS: PageLimits = { entries: JOURNAL_CAPACITY, bytes: JOURNAL_MAX_BYTES, pageBytes: JOURNAL_PAGE_BYTES };

/**
 * The journal after its lines became `lines` (a change of `journalLines(journal)` that replaces
 * lines in place, appends, or drops some), with only what changed to write.
 */
export function repage(journal: JournalPages, lines: readonly JournalEntry[], limits: PageLimits = LIMITS): PageWrites {
  const pageOf = new Map<string, number>();
  for (const [page, entries] of journal.pages) for (const entry of entries) pageOf.set(entry.id, page);
  const pages = new Map<number, JournalEntry[]>();
  let tail = journal.index.last;
  let tailBytes = pageBytes(journal.pages.get(tail) ?? []);
  for (const entry of lines) {
    let page = pageOf.get(entry.id);
    if (page === undefined) {
      // A new line: the last page, or a new one when it would not fit.
      if (tail < journal.index.first || (tailBytes > 0 && tailBytes + entryBytes(entry) > limits.pageBytes)) {
        tail = Math.max(tail, journal.index.first - 1) + 1;
        tailBytes = 0;
      }
      page = tail;
      tailBytes += entryBytes(entry);
    }
    const entries = pages.get(page) ?? [];
    entries.push(entry);
    pages.set(page, entries);
  }
  let first = journal.index.first;
  let count = lines.length;
  let bytes = lines.reduce((total, entry) => total + entryBytes(entry), 0);
  const last = Math.max(journal.index.last, tail);
  while (first <= last && (count > limits.entries || bytes > limits.bytes)) {
    const gone = pages.get(first) ?? [];
    count -= gone.length;
    bytes -= pageBytes(gone);
    pages.delete(first);
    first += 1;
  }
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (let page = journal.index.first; page <= last; page++) {
    const before = journal.pages.get(page);
    const after = pages.get(page);
    if (!after || after.length === 0) {
      pages.delete(page);
      if (before) remove.push(journalPageKey(page));
    } else if (!before || before.length !== after.length || before.some((entry, at) => entry !== after[at])) {
      set[journalPageKey(page)] = after;
    }
  }
  const index = pages.size === 0 ? emptyJournalPages.index : { first, last };
  if (index.first !== journal.index.first || index.last !== journal.index.last) set[JOURNAL_INDEX_KEY] = index;
  return { next: { index, pages }, set, remove };
}

function pageBytes(entries: readonly JournalEntry[]): number {
  return entries.reduce((total, entry) => total + entryBytes(entry), 0);
}

/** The storage the journal lives in (`chrome.storage.session` in the extension). */
export interface JournalStorage {
  get(key: string): Promise<unknown>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

/** Reads the whole journal a page per read. */
export async function loadJournalPages(storage: Pick<JournalStorage, 'get'>): Promise<JournalPages> {
  const index = (await storage.get(JOURNAL_INDEX_KEY)) as JournalIndex | undefined;
  if (!index || typeof index.first !== 'number' || typeof index.last !== 'number') return emptyJournalPages;
  const pages = new Map<number, readonly JournalEntry[]>();
  for (let page = index.first; page <= index.last; page++) {
    const entries = await storage.get(journalPageKey(page));
    if (Array.isArray(entries)) pages.set(page, entries as JournalEntry[]);
  }
  return { index, pages };
}

/** The journal's lines from all of storage's items at once (tests and tools; the popup reads page by page). */
export function journalFromItems(items: Record<string, unknown>): JournalEntry[] {
  const index = items[JOURNAL_INDEX_KEY] as JournalIndex | undefined;
  if (!index || typeof index.first !== 'number') return [];
  const pages = new Map<number, readonly JournalEntry[]>();
  for (let page = index.first; page <= index.last; page++) {
    const entries = items[journalPageKey(page)];
    if (Array.isArray(entries)) pages.set(page, entries as JournalEntry[]);
  }
  return journalLines({ index, pages });
}

/**
 * The journal's only writer: changes run one at a time on the pages as last written (read again
 * after the service worker restarted), and write only what changed.
 */
export class PagedJournalWriter {
  private current: Promise<JournalPages> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: JournalStorage) {}

  update(change: (lines: readonly JournalEntry[]) => readonly JournalEntry[]): Promise<void> {
    const next = this.queue.then(async () => {
      const journal = await (this.current ??= loadJournalPages(this.storage));
      const lines = journalLines(journal);
      const changed = change(lines);
      if (changed === lines) return;
      const writes = repage(journal, changed);
      // A page per write, the index after its pages and before the pages it no longer names go:
      // a reader that follows the index never finds a page missing.
      const { [JOURNAL_INDEX_KEY]: index, ...pages } = writes.set;
      for (const [key, entries] of Object.entries(pages)) await this.storage.set({ [key]: entries });
      if (index !== undefined) await this.storage.set({ [JOURNAL_INDEX_KEY]: index });
      if (writes.remove.length > 0) await this.storage.remove(writes.remove);
      this.current = Promise.resolve(writes.next);
    });
    // After a failed write, what storage holds is read again.
    this.queue = next.catch(() => {
      this.current = undefined;
    });
    return next;
  }
}
