import { describe, expect, it } from 'vitest';
import { backgroundUnavailable, interpretReply, readableError, RESTARTING_MESSAGE } from '../../popup/command-reply';
import { copyPercent, describeBytes, describeCopyAmount } from '../../popup/copy-progress';
import { describeAgo, describePending, describePhase, inSiteNames, lastChangeAt } from '../../popup/labels';
import { displayNames } from '../../popup/site-names';
import { formatPlugins, summaryRows } from '../../popup/summary-rows';
import type { PairedSide } from '../../src/pairing/pairings';
import type { ContentSummary } from '../../src/protocol/runtime';

describe('popup copy progress', () => {
  it('is a whole percent, clamped, and 0 until the total is known', () => {
    expect(copyPercent({ done: 40, total: 100 })).toBe(40);
    expect(copyPercent({ done: 1, total: 3 })).toBe(33);
    expect(copyPercent({ done: 5, total: 0 })).toBe(0);
    expect(copyPercent({ done: 120, total: 100 })).toBe(100);
  });

  it('says how much of how much in bytes people read, and "Preparing…" until the total is known', () => {
    expect(describeCopyAmount({ done: 0, total: 0 })).toBe('Preparing…');
    expect(describeCopyAmount({ done: 24_600_000, total: 39_700_000 })).toBe('24.6 of 39.7 MB');
    expect(describeCopyAmount({ done: 812_000, total: 1_200_000 })).toBe('812 KB of 1.2 MB');
    expect(describeCopyAmount({ done: 50_000_000, total: 40_000_000 })).toBe('40.0 of 40.0 MB');
    expect([999, 1000, 99_949, 123_456_789, 2_500_000_000].map(describeBytes)).toEqual(['999 B', '1.0 KB', '99.9 KB', '123 MB', '2.5 GB']);
  });
});

describe('popup command replies', () => {
  it('reads ok, a refusal and a differ answer', () => {
    expect(interpretReply({ ok: true })).toEqual({ kind: 'ok' });
    expect(interpretReply({ ok: false, error: 'Both tabs run the same site.' })).toEqual({
      kind: 'failed',
      message: 'Both tabs run the same site.',
      retryable: false,
    });
    const summary: ContentSummary = { posts: 1, pages: 1, comments: 0, users: 1, media: 0, plugins: [], theme: 'twentytwentyfive', rows: 300, files: 1500, digest: 'd' };
    const sides = [
      { tabId: 1, summary },
      { tabId: 2, summary: { ...summary, posts: 3 } },
    ];
    expect(interpretReply({ ok: false, error: 'The sites differ.', differ: sides })).toEqual({ kind: 'differ', message: 'The sites differ.', sides });
    // Three tabs whose content differs are asked the same question (it was refused with no way to choose).
    const three = [...sides, { tabId: 3, summary: { ...summary, pages: 4 } }];
    expect(interpretReply({ ok: false, error: 'The sites differ.', differ: three })).toEqual({ kind: 'differ', message: 'The sites differ.', sides: three });
    expect(interpretReply({ ok: false, error: 'The sites differ.', differ: sides.slice(0, 1) })).toMatchObject({ kind: 'failed' });
  });

  it('treats no answer as the background restarting, which can be retried', () => {
    expect(interpretReply(undefined)).toBe(backgroundUnavailable);
    expect(backgroundUnavailable).toEqual({ kind: 'failed', message: RESTARTING_MESSAGE, retryable: true });
    expect(RESTARTING_MESSAGE).toContain("The extension's background is restarting; try again");
  });

  it('keeps errors to one readable sentence', () => {
    expect(readableError('TypeError: tab 3 is gone\n    at pair (background.js:10:3)')).toBe('tab 3 is gone');
    expect(readableError(new Error('Copy failed'))).toBe('Copy failed');
    expect(readableError('')).toBe('Something went wrong; try again.');
    expect(readableError('x'.repeat(400))).toHaveLength(300);
  });
});

describe('popup labels', () => {
  it('calls a live pairing with sync off paused', () => {
    const side = (problem?: string): PairedSide => ({
      tabId: 1,
      peerId: 'p',
      slot: 0,
      scope: 's',
      siteUrl: 'u',
      name: 'Site',
      storage: 'temporary',
      document: { id: 'doc', client: 1 },
      pending: 0,
      ...(problem ? { problem } : {}),
    });
    const sides = (problem?: string): [PairedSide, PairedSide] => [side(), side(problem)];
    expect(describePhase({ phase: 'live', syncOn: true, sides: sides() })).toBe('Live');
    expect(describePhase({ phase: 'live', syncOn: false, sides: sides() })).toBe('Paused');
    expect(describePhase({ phase: 'copying', syncOn: true, sides: sides() })).toBe('Copying');
    expect(describePhase({ phase: 'error', syncOn: true, sides: sides() })).toBe('Error');
    // Live only when it flows: a side that reported a problem is stalled (paused is paused).
    expect(describePhase({ phase: 'live', syncOn: true, sides: sides('files gone: reinstalling') })).toBe('Stalled');
    expect(describePhase({ phase: 'live', syncOn: false, sides: sides('files gone: reinstalling') })).toBe('Paused');
  });

  it('says how long ago in seconds, minutes or hours', () => {
    expect([0, 4_000, 12_000, 59_000, 61_000, 3_599_000, 7_300_000].map((ago) => describeAgo(1_000_000_000 - ago, 1_000_000_000))).toEqual([
      'just now',
      'just now',
      '12 s ago',
      '59 s ago',
      '1 min ago',
      '59 min ago',
      '2 h ago',
    ]);
  });

  it('finds the last change that crossed between a pairing’s sites since it was made, from the journal', () => {
    const pairing = { createdAt: 1000, sides: [{ siteUrl: 'https://p.net/scope:a/' }, { siteUrl: 'https://p.net/scope:b' }] } as Parameters<typeof lastChangeAt>[0];
    const line = (site: string, time: number, kind = 'rows', status = 'applied') => ({ site, time, kind, status }) as Parameters<typeof lastChangeAt>[1][number];
    expect(lastChangeAt(pairing, [])).toBeUndefined();
    expect(
      lastChangeAt(pairing, [
        line('https://p.net/scope:a', 2000),
        line('https://p.net/scope:b/', 3000, 'files'),
        line('https://p.net/scope:a', 4000, 'pairing', 'info'),
        line('https://p.net/scope:c', 5000),
        line('https://p.net/scope:a', 6000, 'rows', 'failed'),
        line('https://p.net/scope:a', 500),
      ]),
    ).toBe(3000);
  });

  it('puts the sites’ names where an error names their URLs', () => {
    const urls = [['https://p.net/scope:a/', 'https://p.net/scope:a2/'], ['https://p.net/scope:b', undefined]];
    expect(inSiteNames('https://p.net/scope:a/ was reloaded while its state was copied to https://p.net/scope:b; pair again', urls, ['Blog', 'Shop'])).toBe(
      'Blog was reloaded while its state was copied to Shop; pair again',
    );
    // A tab that reloaded reports its new site: that URL is its side's too.
    expect(inSiteNames('https://p.net/scope:a2/ was reloaded', urls, ['Blog', 'Shop'])).toBe('Blog was reloaded');
  });

  it('counts pending changes in words', () => {
    expect(describePending(0)).toBe('Up to date');
    expect(describePending(1)).toBe('1 change pending');
    expect(describePending(7)).toBe('7 changes pending');
  });

  it('tells sites with the same name apart by scope, or by tab', () => {
    expect(displayNames([{ tabId: 1, name: 'Blog', scope: 'a' }, { tabId: 2, name: 'Shop', scope: 'b' }])).toEqual(['Blog', 'Shop']);
    expect(displayNames([{ tabId: 1, name: 'WP', scope: 'a' }, { tabId: 2, name: 'WP', scope: 'b' }])).toEqual(['WP (a)', 'WP (b)']);
    expect(displayNames([{ tabId: 1, name: 'WP', scope: 'a' }, { tabId: 2, name: 'WP', scope: 'a' }])).toEqual(['WP (tab 1)', 'WP (tab 2)']);
    expect(displayNames([{ tabId: 1, scope: 'a' }, { tabId: 2 }])).toEqual(['a', 'Tab 2']);
  });
});

describe('popup content summaries', () => {
  const base: ContentSummary = { posts: 1, pages: 2, comments: 0, users: 1, media: 0, plugins: ['hello'], theme: 'twentytwentyfive', rows: 300, files: 1500, digest: 'a' };

  it('shows both sides per row and marks what differs', () => {
    const rows = summaryRows([base, { ...base, posts: 5, plugins: ['hello', 'akismet'] }]);
    expect(rows.map((row) => row.label)).toEqual(['Posts', 'Pages', 'Comments', 'Users', 'Media', 'Database rows', 'Files', 'Active plugins', 'Theme']);
    expect(rows[0]).toMatchObject({ values: ['1', '5'], differs: true });
    expect(rows[1]).toMatchObject({ values: ['2', '2'], differs: false });
    expect(rows[5]).toMatchObject({ values: ['300', '300'], differs: false });
    expect(rows[7]).toMatchObject({ values: ['hello', 'akismet, hello'], differs: true });
    expect(rows[8]).toMatchObject({ values: ['twentytwentyfive', 'twentytwentyfive'], differs: false });
  });

  it('shortens long plugin lists', () => {
    expect(formatPlugins([])).toBe('None');
    expect(formatPlugins(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c +2 more');
  });
});

describe('popup: what does not sync', () => {
  it('lists every local-only rule and excluded path with its reason, from the lists the engine uses', async () => {
    const { localOnlyGroups } = await import('../../popup/local-only-view');
    const { LOCAL_ONLY } = await import('../../src/sync/local-only');
    const { STATIC_EXCLUSIONS } = await import('../../src/files/exclusions');
    const groups = localOnlyGroups();
    expect(groups.map((group) => group.title)).toEqual(['Database rows', 'Database tables', 'Files']);
    expect(groups[0]!.items.map((item) => item.why)).toEqual(LOCAL_ONLY.rows.map((rule) => rule.why));
    expect(groups[0]!.items[0]!.what).toMatch(/^Options: cron, doing_cron, rewrite_rules, siteurl, home, .* \+\d+ more$/);
    // One line per reason: WordPress core's files and folders share one.
    expect(groups[2]!.items).toHaveLength(new Set(STATIC_EXCLUSIONS.map((rule) => rule.why)).size);
    expect(groups[2]!.items[0]).toEqual({ what: expect.stringMatching(/^wp-admin\/, wp-includes\/, index\.php, .* \+\d+ more$/), why: expect.stringMatching(/^WordPress itself/) });
    expect(groups[2]!.items).toContainEqual({ what: 'wp-content/database/', why: expect.stringMatching(/^SQLite database directory/) });
    for (const item of groups.flatMap((group) => group.items)) expect(item.why.length).toBeGreaterThan(10);
  });
});
