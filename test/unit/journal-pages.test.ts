import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { appendEntries, JOURNAL_CAPACITY, JOURNAL_MAX_BYTES, settlePendingLines } from '../../src/journal/journal';
import {
  JOURNAL_INDEX_KEY,
  JOURNAL_PAGE_BYTES,
  journalFromItems,
  journalPageKey,
  PagedJournalWriter,
  type JournalStorage,
} from '../../src/journal/journal-pages';

const entry = (id: string, detailBytes = 0, status: JournalEntry['status'] = 'applied'): JournalEntry => ({
  id,
  time: 1_764_000_000_000,
  direction: 'received',
  site: 'https://playground.wordpress.net/scope:b',
  kind: 'rows',
  target: 'wp_posts',
  summary: `line ${id}`,
  status,
  ...(detailBytes > 0 ? { detail: 'x'.repeat(detailBytes) } : {}),
});

/** Session storage as the extension has it, recording every call's size as a message. */
class MemoryStorage implements JournalStorage {
  readonly items = new Map<string, unknown>();
  readonly calls: { op: 'get' | 'set' | 'remove'; keys: string[]; bytes: number }[] = [];
  async get(key: string) {
    const value = this.items.get(key);
    this.calls.push({ op: 'get', keys: [key], bytes: JSON.stringify(value ?? null).length });
    return structuredClone(value);
  }
  async set(items: Record<string, unknown>) {
    this.calls.push({ op: 'set', keys: Object.keys(items), bytes: Buffer.byteLength(JSON.stringify(items)) });
    for (const [key, value] of Object.entries(items)) this.items.set(key, structuredClone(value));
  }
  async remove(keys: string[]) {
    this.calls.push({ op: 'remove', keys, bytes: JSON.stringify(keys).length });
    for (const key of keys) this.items.delete(key);
  }
  lines(): JournalEntry[] {
    return journalFromItems(Object.fromEntries(this.items));
  }
}

const unbounded = { entries: Infinity, bytes: Infinity };
const append = (writer: PagedJournalWriter, entries: JournalEntry[]) => writer.update((lines) => appendEntries(lines, entries, unbounded));

describe('the journal kept in pages', () => {
  it('never reads, writes or stores more than a page at a time, however long the journal grows', async () => {
    const storage = new MemoryStorage();
    const writer = new PagedJournalWriter(storage);
    for (let i = 0; i < 400; i++) await append(writer, [entry(String(i), 19_000)]);
    // A second writer (the service worker restarted) reads it back page by page.
    await append(new PagedJournalWriter(storage), [entry('last', 19_000)]);
    expect(Math.max(...storage.calls.map((call) => call.bytes))).toBeLessThanOrEqual(JOURNAL_PAGE_BYTES);
    expect(storage.calls.every((call) => call.op === 'remove' || call.keys.length === 1)).toBe(true);
    const lines = storage.lines();
    expect(lines.at(-1)!.id).toBe('last');
    expect(Buffer.byteLength(JSON.stringify(lines))).toBeLessThanOrEqual(JOURNAL_MAX_BYTES);
    // Whole pages went, oldest first: what is left is the newest lines, in order.
    const ids = lines.slice(0, -1).map((line) => Number(line.id));
    expect(ids).toEqual(ids.map((_, at) => ids[0]! + at));
    expect(ids.at(-1)).toBe(399);
  });

  it('writes only the last page (and the index when a page opens) for a new line', async () => {
    const storage = new MemoryStorage();
    const writer = new PagedJournalWriter(storage);
    for (let i = 0; i < 100; i++) await append(writer, [entry(String(i), 5_000)]);
    storage.calls.length = 0;
    await append(writer, [entry('new')]);
    const written = storage.calls.filter((call) => call.op === 'set').flatMap((call) => call.keys);
    const index = storage.items.get(JOURNAL_INDEX_KEY) as { last: number };
    expect(written).toEqual([journalPageKey(index.last)]);
  });

  it('keeps the line count within the journal capacity, a page at a time', async () => {
    const storage = new MemoryStorage();
    const writer = new PagedJournalWriter(storage);
    for (let i = 0; i < JOURNAL_CAPACITY + 600; i += 50) await append(writer, Array.from({ length: 50 }, (_, k) => entry(String(i + k))));
    const lines = storage.lines();
    expect(lines.length).toBeLessThanOrEqual(JOURNAL_CAPACITY);
    expect(lines.length).toBeGreaterThan(JOURNAL_CAPACITY / 2);
    expect(lines.at(-1)!.id).toBe(String(JOURNAL_CAPACITY + 599));
  });

  it('replaces a line sent again under its id where it is, in an older page, rewriting that page only', async () => {
    const storage = new MemoryStorage();
    const writer = new PagedJournalWriter(storage);
    for (let i = 0; i < 60; i++) await append(writer, [entry(String(i), 5_000, 'pending')]);
    storage.calls.length = 0;
    await writer.update((lines) => lines.map((line) => (line.id === '1' ? { ...line, status: 'applied' } : line)));
    expect(storage.calls.filter((call) => call.op === 'set').flatMap((call) => call.keys)).toEqual([journalPageKey(1)]);
    await append(writer, [{ ...entry('2', 5_000, 'failed'), repeats: 3 }]);
    const lines = storage.lines();
    expect(lines.map((line) => line.id)).toEqual(Array.from({ length: 60 }, (_, i) => String(i)));
    expect(lines[1]!.status).toBe('applied');
    expect(lines[2]).toMatchObject({ status: 'failed', repeats: 3 });
  });

  it('settles pending lines across pages and clears to nothing', async () => {
    const storage = new MemoryStorage();
    const writer = new PagedJournalWriter(storage);
    for (let i = 0; i < 60; i++) await append(writer, [entry(String(i), 5_000, 'pending')]);
    await writer.update((lines) => settlePendingLines(lines, ['https://playground.wordpress.net/scope:b/']));
    expect(new Set(storage.lines().map((line) => line.status))).toEqual(new Set(['info']));
    await writer.update(() => []);
    expect([...storage.items.keys()]).toEqual([JOURNAL_INDEX_KEY]);
    expect(storage.lines()).toEqual([]);
    await append(writer, [entry('after')]);
    expect(storage.lines().map((line) => line.id)).toEqual(['after']);
  });

  it('reads storage again after a failed write, so memory never holds what storage lacks', async () => {
    const storage = new MemoryStorage();
    const writer = new PagedJournalWriter(storage);
    await append(writer, [entry('kept')]);
    const set = storage.set.bind(storage);
    storage.set = async () => {
      throw new Error('quota');
    };
    await expect(append(writer, [entry('lost')])).rejects.toThrow('quota');
    storage.set = set;
    await append(writer, [entry('next')]);
    expect(storage.lines().map((line) => line.id)).toEqual(['kept', 'next']);
  });
});
