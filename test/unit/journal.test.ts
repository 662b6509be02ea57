import { describe, expect, it } from 'vitest';
import { JournalEntrySchema, type JournalEntry } from '../../src/journal/entry';
import { appendEntries, countByStatus, filterJournal, toNdjson } from '../../src/journal/journal';
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
    expect(appendEntries(journal, [entry('4', 'schema', 'applied')], 3).map((e) => e.id)).toEqual(['2', '3', '4']);
    expect(appendEntries([], journal).map((e) => e.id)).toEqual(['1', '2', '3']);
  });

  it('filters by kind and by status, both or neither', () => {
    expect(filterJournal(journal, {}).map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(filterJournal(journal, { kinds: ['rows'] }).map((e) => e.id)).toEqual(['1', '3']);
    expect(filterJournal(journal, { statuses: ['failed', 'conflict'] }).map((e) => e.id)).toEqual(['2', '3']);
    expect(filterJournal(journal, { kinds: ['rows'], statuses: ['failed'] })).toEqual([]);
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
