import { describe, expect, it } from 'vitest';
import { backgroundUnavailable, interpretReply, readableError, RESTARTING_MESSAGE } from '../../popup/command-reply';
import { copyPercent, describeCopy } from '../../popup/copy-progress';
import { describePending, describePhase } from '../../popup/labels';
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

  it('names both sides', () => {
    expect(describeCopy({ done: 2, total: 5 }, 'Blog', 'Shop')).toBe('Copying Blog → Shop: 40%');
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
  });

  it('treats no answer as the background restarting, which can be retried', () => {
    expect(interpretReply(undefined)).toBe(backgroundUnavailable);
    expect(backgroundUnavailable).toEqual({ kind: 'failed', message: RESTARTING_MESSAGE, retryable: true });
    expect(RESTARTING_MESSAGE).toContain("The extension's background is restarting; try again");
  });

  it('keeps errors to one readable sentence', () => {
    expect(readableError('TypeError: tab 3 is gone\n    at pair (background.js:10:3)')).toBe('tab 3 is gone');
    expect(readableError(new Error('Snapshot failed'))).toBe('Snapshot failed');
    expect(readableError('')).toBe('Something went wrong; try again.');
    expect(readableError('x'.repeat(400))).toHaveLength(300);
  });
});

describe('popup labels', () => {
  it('calls a live pairing with sync off paused', () => {
    const side = (problem?: string): PairedSide => ({
      tabId: 1,
      peerId: 'p',
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
    const rows = summaryRows(base, { ...base, posts: 5, plugins: ['hello', 'akismet'] });
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
