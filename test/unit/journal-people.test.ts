import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { peopleJournal, SAME_CHANGE_WINDOW_MS } from '../../popup/journal-people';
import { siteNamer, withSiteNames } from '../../popup/site-names';

const A = 'https://playground.wordpress.net/scope:a';
const B = 'https://playground.wordpress.net/scope:b';

let next = 0;
const line = (overrides: Partial<JournalEntry>): JournalEntry => ({
  id: `l${++next}`,
  time: 1_000,
  direction: 'sent',
  site: A,
  kind: 'change',
  target: 'post',
  summary: 'Post “Hello” published',
  status: 'pending',
  ...overrides,
});

/** The lines one change makes: sent by A (people + technical), applied on B (people + technical). */
function publishedOnAAppliedOnB(change: string, time: number, summary = 'Post “Hello” published'): JournalEntry[] {
  return [
    line({ change, time, summary }),
    line({ change, time, kind: 'rows', summary: '8 rows written' }),
    line({ change, time: time + 50, direction: 'received', site: B, from: A, status: 'applied', summary }),
    line({ change, time: time + 50, direction: 'received', site: B, from: A, status: 'applied', kind: 'rows', summary: '8 rows written' }),
  ];
}

describe('the journal for people', () => {
  it('makes one entry of a change sent by one site and applied on the other, technical lines hidden', () => {
    const [entry, ...rest] = peopleJournal(publishedOnAAppliedOnB('c1', 1_000), { technical: false });
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ kind: 'change', summary: 'Post “Hello” published', status: 'applied', from: A, to: [B], count: 1, time: 1_050 });
    // The technical lines are among the lines it stands for (its details and the export).
    expect(entry!.lines.map((line) => line.kind)).toEqual(['change', 'rows', 'change', 'rows']);
  });

  it('shows the technical lines when asked, each an entry of its own', () => {
    const entries = peopleJournal(publishedOnAAppliedOnB('c1', 1_000), { technical: true });
    expect(entries.map((entry) => [entry.kind, entry.status])).toEqual([
      ['change', 'applied'],
      ['rows', 'pending'],
      ['rows', 'applied'],
    ]);
  });

  it('says a change is on its way until the other site applied it, and failed when it could not', () => {
    expect(peopleJournal([line({ change: 'c1' })], { technical: false })[0]!.status).toBe('pending');
    const failed = peopleJournal(
      [line({ change: 'c1' }), line({ change: 'c1', direction: 'received', site: B, status: 'failed', summary: 'Not applied: Post “Hello” published', detail: 'disk full' })],
      { technical: false },
    )[0]!;
    expect(failed).toMatchObject({ status: 'failed', summary: 'Not applied: Post “Hello” published', detail: 'disk full' });
    // Applied on a later try: the newest word of the receiving site counts.
    const retried = peopleJournal(
      [
        line({ change: 'c1' }),
        line({ change: 'c1', direction: 'received', site: B, status: 'failed' }),
        line({ change: 'c1', direction: 'received', site: B, status: 'applied' }),
      ],
      { technical: false },
    )[0]!;
    expect(retried.status).toBe('applied');
  });

  it('merges saves of the same thing in a row into one entry with a count, but not across a pause or another change', () => {
    const lines = [
      ...publishedOnAAppliedOnB('c1', 1_000, 'Post “Hello” updated'),
      ...publishedOnAAppliedOnB('c2', 2_000, 'Post “Hello” updated'),
      ...publishedOnAAppliedOnB('c3', 3_000, 'Post “Hello” updated'),
      ...publishedOnAAppliedOnB('c4', 3_000 + SAME_CHANGE_WINDOW_MS + 1_000, 'Post “Hello” updated'),
      ...publishedOnAAppliedOnB('c5', 3_000 + SAME_CHANGE_WINDOW_MS + 2_000, 'Site title changed'),
    ];
    const entries = peopleJournal(lines, { technical: false });
    expect(entries.map((entry) => [entry.summary, entry.count])).toEqual([
      ['Post “Hello” updated', 3],
      ['Post “Hello” updated', 1],
      ['Site title changed', 1],
    ]);
    expect(entries[0]!.lines).toHaveLength(12);
  });

  it('keeps lines without a change key (pairing steps, failures of capture) and says refusals for people', () => {
    const entries = peopleJournal(
      [
        line({ kind: 'rows', direction: 'local', status: 'failed', summary: 'The site capture failed', change: undefined }),
        line({ kind: 'input', direction: 'received', target: 'peer message', status: 'rejected', summary: 'Invalid type: expected "delta"', repeats: 2 }),
      ],
      { technical: false },
    );
    expect(entries.map((entry) => entry.summary)).toEqual([
      'The site capture failed',
      'Refused a malformed message from the paired site; nothing of it was used (3 times)',
    ]);
    expect(entries[1]!.detail).toBe('Why: Invalid type: expected "delta"');
  });
});

describe('site names in the journal', () => {
  it('uses the names tabs and pairings know, the scope when none is known, and tells shared names apart', () => {
    const nameOf = siteNamer([
      { siteUrl: `${A}/`, name: 'My WordPress Website' },
      { siteUrl: B, name: 'My WordPress Website' },
      { siteUrl: 'https://playground.wordpress.net/scope:c', name: 'Lively River' },
    ]);
    expect(nameOf(A)).toBe('My WordPress Website (a)');
    expect(nameOf(`${B}/`)).toBe('My WordPress Website (b)');
    expect(nameOf('https://playground.wordpress.net/scope:c/')).toBe('Lively River');
    expect(nameOf('https://playground.wordpress.net/scope:gone')).toBe('gone');
    expect(withSiteNames('Paired https://playground.wordpress.net/scope:c with https://playground.wordpress.net/scope:gone/: copying', nameOf)).toBe(
      'Paired Lively River with gone: copying',
    );
  });
});
