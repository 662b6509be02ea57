import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import {
  directionText,
  exportFilename,
  filterValues,
  formatClock,
  formatDateTime,
  exportLines,
  visibleJournal,
} from '../../popup/journal-view';
import { peopleJournal } from '../../popup/journal-people';

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

  it('names directions with the site', () => {
    expect(directionText(entry(2))).toBe('Applied on scope-b');
    expect(directionText(entry(3, { direction: 'sent' }))).toBe('Sent by scope-b');
    expect(directionText(entry(4, { direction: 'local' }))).toBe('On scope-b');
  });

  it('shows the newest matching entries first, up to the limit, and counts the rest', () => {
    const journal = peopleJournal(
      Array.from({ length: 10 }, (_, index) => entry(index, { status: index % 2 ? 'failed' : 'applied' })),
      { technical: true },
    );
    const view = visibleJournal(journal, { statuses: ['failed'] }, 3);
    expect(view.entries.map((e) => e.id)).toEqual(['9', '7', '5']);
    expect(view.matching.map((e) => e.id)).toEqual(['1', '3', '5', '7', '9']);
    expect(view.hidden).toBe(2);
    expect(visibleJournal(journal, {}).hidden).toBe(0);
  });

  it('filters by site (either end of a change) and by words in the summary, detail or conflict values', () => {
    const a = 'https://playground.wordpress.net/scope:a/';
    const b = 'https://playground.wordpress.net/scope:b/';
    const journal = peopleJournal(
      [
        entry(1, { kind: 'change', change: 'c1', direction: 'sent', site: a, summary: 'Post “Hello” published', status: 'pending' }),
        entry(2, { kind: 'change', change: 'c1', direction: 'received', site: b, from: a, summary: 'Post “Hello” published' }),
        entry(3, { kind: 'pairing', site: 'https://playground.wordpress.net/scope:c/', summary: 'Sync off', status: 'info' }),
        entry(4, {
          kind: 'change',
          change: 'c2',
          site: b,
          from: a,
          status: 'conflict',
          summary: 'Post “Hi” changed on both sites at once',
          conflict: [{ field: 'Post “Hi”: title', kept: 'Title from B', lost: 'Title from A' }],
        }),
      ],
      { technical: false },
    );
    expect(visibleJournal(journal, { site: b.slice(0, -1) }).matching.map((e) => e.id)).toEqual(['1', '4']);
    expect(visibleJournal(journal, { text: 'title FROM a' }).matching.map((e) => e.id)).toEqual(['4']);
    expect(visibleJournal(journal, { kinds: ['pairing'] }).matching.map((e) => e.id)).toEqual(['3']);
  });

  it('exports every line an entry stands for, oldest first, clocks included', () => {
    const journal = peopleJournal(
      [
        entry(1, { kind: 'change', change: 'c1', direction: 'sent', time: 20 }),
        entry(2, { kind: 'rows', change: 'c1', direction: 'sent', time: 10, clocks: 'this site 1, paired site 2' }),
        entry(3, { kind: 'change', change: 'c1', direction: 'received', time: 30 }),
      ],
      { technical: true },
    );
    expect(exportLines(journal).map((line) => line.id)).toEqual(['2', '1', '3']);
    expect(exportLines(journal)[0]!.clocks).toBe('this site 1, paired site 2');
  });

  it('reads select values as filters: empty or unknown means all', () => {
    expect(filterValues('rows', ['rows', 'files'] as const)).toEqual(['rows']);
    expect(filterValues('', ['rows', 'files'] as const)).toEqual([]);
    expect(filterValues('nope', ['rows', 'files'] as const)).toEqual([]);
  });
});
