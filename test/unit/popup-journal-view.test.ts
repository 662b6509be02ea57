import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry';
import {
  directionText,
  exportFilename,
  filterValues,
  formatClock,
  formatDateTime,
  journalRowView,
  visibleJournal,
} from '../../popup/journal-view';

const at = (hours: number, minutes: number, seconds: number) => new Date(2025, 0, 2, hours, minutes, seconds).getTime();

const entry = (id: number, overrides: Partial<JournalEntry> = {}): JournalEntry => ({
  id: String(id),
  time: at(9, 5, 7),
  direction: 'received',
  site: 'scope-b',
  kind: 'rows',
  target: 'wp_posts',
  summary: '1 row written',
  status: 'applied',
  ...overrides,
});

describe('popup journal view', () => {
  it('formats local times with two digits each', () => {
    expect(formatClock(at(9, 5, 7))).toBe('09:05:07');
    expect(formatDateTime(at(23, 59, 0))).toBe('2025-01-02 23:59:00');
  });

  it('names export files after the local date and time', () => {
    expect(exportFilename(new Date(2025, 10, 3, 4, 5, 6))).toBe('playground-sync-journal-20251103-040506.ndjson');
  });

  it('makes a row: time, direction arrow and words, kind, target, summary, status', () => {
    expect(journalRowView(entry(1, { direction: 'sent', status: 'conflict', kind: 'files', target: 'wp-content/a.txt' }))).toEqual({
      id: '1',
      clock: '09:05:07',
      arrow: '↑',
      direction: 'Sent by scope-b',
      kind: 'files',
      kindLabel: 'Files',
      target: 'wp-content/a.txt',
      summary: '1 row written',
      status: 'conflict',
      statusLabel: 'Conflict',
    });
    expect(journalRowView(entry(4, { status: 'failed', summary: 'Could not apply', repeats: 2 })).summary).toBe('Could not apply (3 times)');
    expect(directionText(entry(2))).toBe('Received into scope-b');
    expect(directionText(entry(3, { direction: 'local' }))).toBe('Local to scope-b');
  });

  it('shows the newest matching entries first, up to the limit, and counts the rest', () => {
    const journal = Array.from({ length: 10 }, (_, index) => entry(index, { status: index % 2 ? 'failed' : 'applied' }));
    const view = visibleJournal(journal, { statuses: ['failed'] }, 3);
    expect(view.entries.map((e) => e.id)).toEqual(['9', '7', '5']);
    expect(view.matching.map((e) => e.id)).toEqual(['1', '3', '5', '7', '9']);
    expect(view.hidden).toBe(2);
    expect(visibleJournal(journal, {}).hidden).toBe(0);
  });

  it('reads select values as filters: empty or unknown means all', () => {
    expect(filterValues('rows', ['rows', 'files'] as const)).toEqual(['rows']);
    expect(filterValues('', ['rows', 'files'] as const)).toEqual([]);
    expect(filterValues('nope', ['rows', 'files'] as const)).toEqual([]);
  });
});
