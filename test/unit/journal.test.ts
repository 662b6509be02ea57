import { describe, expect, it } from 'vitest';
import { JournalEntrySchema, type JournalEntry } from '../../src/protocol/journal-entry';
import { appendEntries, countByStatus, fitEntry, groupByBytes, JOURNAL_MAX_BYTES, JOURNAL_MESSAGE_BYTES, settlePendingLines, toNdjson } from '../../src/journal/journal';
import { RecurringFailures } from '../../src/journal/recurring';
import { parseMessage } from '../../src/protocol/validate';

const entry = (id: string, kind: JournalEntry['kind'], status: JournalEntry['status']): JournalEntry => ({
  id,
  time: 1_764_000_000_000,
  direction: 'received',
  site: 'scope:b',
  kind,
  target: kind === 'files' ? 'wp-content/uploads/a.png' : 'wp_posts',
  summary: `${kind} ${status}`,
  status,
});

describe('journal', () => {
  const journal = [entry('1', 'rows', 'applied'), entry('2', 'files', 'failed'), entry('3', 'rows', 'conflict')];

  it('keeps the newest entries up to its capacity', () => {
    expect(appendEntries(journal, [entry('4', 'schema', 'applied')], { entries: 3, bytes: Infinity }).map((e) => e.id)).toEqual(['2', '3', '4']);
    expect(appendEntries([], journal).map((e) => e.id)).toEqual(['1', '2', '3']);
  });

  it(`stays within ${JOURNAL_MAX_BYTES} bytes however big its lines are, dropping the oldest`, () => {
    const big = (id: string): JournalEntry => ({ ...entry(id, 'rows', 'failed'), detail: 'x'.repeat(20_000) });
    let stored: JournalEntry[] = [];
    for (let i = 0; i < 2000; i++) stored = appendEntries(stored, [big(String(i))]);
    expect(Buffer.byteLength(JSON.stringify(stored), 'utf8')).toBeLessThanOrEqual(JOURNAL_MAX_BYTES);
    expect(stored.at(-1)!.id).toBe('1999');
    expect(stored.length).toBeGreaterThan(40);
    // Small lines: the count limit holds first.
    let small: JournalEntry[] = [];
    for (let i = 0; i < 2500; i++) small = appendEntries(small, [entry(String(i), 'rows', 'applied')]);
    expect(small.length).toBe(2000);
  });

  it('counts input refused the same way again on one line, under the newest id', () => {
    const forged = (id: string): JournalEntry => ({ ...entry(id, 'input', 'rejected'), target: 'bridge handshake', summary: 'Rejected handshake: nonce: forged' });
    let stored: JournalEntry[] = [entry('a', 'rows', 'applied')];
    for (let i = 0; i < 500; i++) stored = appendEntries(stored, [forged(`f${i}`)]);
    expect(stored.map((line) => [line.id, line.repeats])).toEqual([
      ['a', undefined],
      ['f499', 499],
    ]);
    // Another refusal is a line of its own.
    stored = appendEntries(stored, [{ ...forged('g'), summary: 'Rejected handshake: type: wrong' }]);
    expect(stored.map((line) => line.id)).toEqual(['a', 'f499', 'g']);
  });

  it('fits a line too long for the schema, keeping the whole text in its detail', () => {
    const long = { direction: 'local', kind: 'rows', target: 't'.repeat(800), summary: `Cause: ${'s'.repeat(900)}`, status: 'failed', detail: 'the stack' } as const;
    const fitted = fitEntry(long);
    const line: JournalEntry = { ...fitted, id: 'x', time: 1, site: 'scope:a' };
    expect(parseMessage(JournalEntrySchema, line, 'line').ok).toBe(true);
    expect(fitted.summary.startsWith('Cause: sss')).toBe(true);
    expect(fitted.detail).toContain(long.summary);
    expect(fitted.detail).toContain(long.target);
    expect(fitted.detail).toContain('the stack');
    const short = { direction: 'local', kind: 'rows', target: 'wp_posts', summary: 'fine', status: 'applied' } as const;
    expect(fitEntry(short)).toBe(short);
  });

  it('exports NDJSON that parses back line by line into valid entries', () => {
    const lines = toNdjson(journal).split('\n');
    expect(lines.at(-1)).toBe('');
    const parsed = lines.slice(0, -1).map((line) => parseMessage(JournalEntrySchema, JSON.parse(line), 'journal line'));
    expect(parsed.map((p) => (p.ok ? p.value.id : p.error))).toEqual(['1', '2', '3']);
    expect(toNdjson([])).toBe('');
  });

  it('counts entries by status', () => {
    expect(countByStatus(journal)).toMatchObject({ applied: 1, failed: 1, conflict: 1, pending: 0 });
  });
});

describe('pending lines of a peer that is gone', () => {
  it('become info for the sites named (with or without a trailing slash), and only those', () => {
    const lines = [entry('1', 'rows', 'pending'), { ...entry('2', 'rows', 'pending'), site: 'scope:a' }, entry('3', 'rows', 'applied')];
    expect(settlePendingLines(lines, ['scope:b/']).map((line) => `${line.id}:${line.status}`)).toEqual(['1:info', '2:pending', '3:applied']);
    expect(settlePendingLines(lines, ['scope:c'])).toBe(lines);
  });
});

describe('journal lines sent again', () => {
  it('replace the line with the same id in place (a recurring failure’s new count), others append', () => {
    const journal = [entry('1', 'rows', 'failed'), entry('2', 'files', 'applied')];
    const next = appendEntries(journal, [{ ...entry('1', 'rows', 'failed'), repeats: 3 }, entry('3', 'rows', 'applied')]);
    expect(next.map((e) => [e.id, e.repeats])).toEqual([
      ['1', 3],
      ['2', undefined],
      ['3', undefined],
    ]);
    expect(journal[0]!.repeats).toBeUndefined();
  });
});

describe('RecurringFailures', () => {
  it('folds the same failure again into its first line with a count; other lines pass through', () => {
    const recurring = new RecurringFailures();
    const first = recurring.fold(entry('1', 'rows', 'failed'));
    expect(first).toMatchObject({ id: '1' });
    expect(first.repeats).toBeUndefined();
    expect(recurring.fold(entry('2', 'rows', 'failed'))).toMatchObject({ id: '1', repeats: 1 });
    expect(recurring.fold(entry('3', 'rows', 'failed'))).toMatchObject({ id: '1', repeats: 2 });
    // Another failure, and lines that are no failure, are lines of their own.
    expect(recurring.fold({ ...entry('4', 'rows', 'failed'), summary: 'another cause' }).id).toBe('4');
    expect(recurring.fold(entry('5', 'rows', 'applied')).id).toBe('5');
    expect(recurring.fold(entry('6', 'rows', 'applied')).id).toBe('6');
  });

  it('forgets the oldest failure beyond its capacity', () => {
    const recurring = new RecurringFailures(2);
    const failure = (id: string, cause: string) => ({ ...entry(id, 'rows', 'failed'), summary: cause });
    recurring.fold(failure('1', 'a'));
    recurring.fold(failure('2', 'b'));
    recurring.fold(failure('3', 'c'));
    expect(recurring.fold(failure('4', 'a')).id).toBe('4');
    expect(recurring.fold(failure('5', 'c')).id).toBe('3');
  });
});

describe('journal lines in messages', () => {
  const line = (id: string, detail: number): JournalEntry => ({ ...entry(id, 'rows', 'failed'), detail: 'x'.repeat(detail) });

  it('groups lines in order into messages of at most JOURNAL_MESSAGE_BYTES, a big line alone', () => {
    const lines = Array.from({ length: 40 }, (_, i) => line(String(i), i % 3 === 0 ? 20_000 : 100));
    const groups = groupByBytes(lines, JOURNAL_MESSAGE_BYTES);
    expect(groups.flat()).toEqual(lines);
    expect(groups.length).toBeGreaterThan(1);
    for (const group of groups) expect(Buffer.byteLength(JSON.stringify(group))).toBeLessThanOrEqual(JOURNAL_MESSAGE_BYTES);
    expect(groupByBytes([], JOURNAL_MESSAGE_BYTES)).toEqual([]);
  });
});
