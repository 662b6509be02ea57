import { describe, expect, it } from 'vitest';
import type { PairedSide, Pairing } from '../../src/pairing/pairings';
import { dismissEnded, dismissEndedOfTabs, recordEnded } from '../../src/pairing/pairings-state';
import { judgeSiteReport, type PairedSiteReport } from '../../src/pairing/site-report';
import type { SiteInfo, StorageKind } from '../../src/protocol/site';

const PAIR: Pick<Pairing, 'pairId' | 'phase' | 'sides'> = { pairId: 'pair-1', phase: 'live', sides: [] };

const side = (storage: StorageKind = 'temporary'): PairedSide => ({
  tabId: 1,
  peerId: 'peer-1',
  slot: 1,
  scope: 'amber-otter',
  siteUrl: 'https://playground.wordpress.net/scope:amber-otter/',
  name: 'Amber Otter',
  storage,
  document: { id: 'doc-1', client: 1 },
  pending: 0,
});

const site = (scope: string, storage: StorageKind = 'temporary'): SiteInfo => ({
  scope,
  siteUrl: `https://playground.wordpress.net/scope:${scope}/`,
  name: scope === 'amber-otter' ? 'Amber Otter' : 'My Saved Site',
  wordpressVersion: '6.7',
  phpVersion: '8.3.0',
  storage,
  clientSource: 'playgroundSites',
});

const report = (over: Partial<PairedSiteReport> & { documentId?: string; client?: number } = {}): PairedSiteReport => ({
  site: over.site ?? site('amber-otter'),
  document: { id: over.documentId ?? 'doc-1', client: over.client ?? 1 },
  peer: over.peer,
});

describe('a paired tab reporting its site', () => {
  it('changes nothing when its peer still runs (the service worker restarted) or has not started yet', () => {
    expect(judgeSiteReport(PAIR, side(), report({ peer: { pairId: PAIR.pairId, peerId: 'peer-1' } }))).toEqual({ kind: 'unchanged' });
    expect(judgeSiteReport(PAIR, side(), report({ peer: null }))).toEqual({ kind: 'unchanged' });
  });

  it('restores only a temporary site lost by a reload (a new document), also where the storage is unknown (older builds)', () => {
    expect(judgeSiteReport(PAIR, side(), report({ documentId: 'doc-2', site: site('brave-pine') }))).toEqual({ kind: 'restore' });
    expect(judgeSiteReport(PAIR, side('unknown'), report({ documentId: 'doc-2', site: site('x', 'unknown') }))).toEqual({ kind: 'restore' });
  });

  it('ends the pairing, never overwriting, when the tab switched to another site in the same document', () => {
    const verdict = judgeSiteReport(PAIR, side(), report({ client: 2, site: site('my-saved-site', 'opfs') }));
    expect(verdict).toEqual({ kind: 'end', reason: expect.stringMatching(/^The tab of Amber Otter switched to another site, My Saved Site, which was left as it is\. Pair again/) });
    // Sites may share a name: their scopes tell them apart.
    const sameName = judgeSiteReport(PAIR, side(), report({ client: 2, site: { ...site('amber-otter-2', 'opfs'), name: 'Amber Otter' } }));
    expect(sameName).toMatchObject({ reason: expect.stringMatching(/^The tab of Amber Otter \(amber-otter\) switched to another site, Amber Otter \(amber-otter-2\)/) });
    // Even a switch to a temporary site: the user chose it, nothing was lost by a reload.
    expect(judgeSiteReport(PAIR, side(), report({ client: 2, site: site('brave-pine') }))).toMatchObject({ kind: 'end' });
  });

  it('ends the pairing when a new document opened a saved site (?site-slug=) or a saved site reloaded', () => {
    expect(judgeSiteReport(PAIR, side(), report({ documentId: 'doc-2', site: site('my-saved-site', 'opfs') }))).toEqual({
      kind: 'end',
      reason: expect.stringMatching(/^The tab of Amber Otter opened another site, My Saved Site, which was left as it is/),
    });
    expect(judgeSiteReport(PAIR, side('local-fs'), report({ documentId: 'doc-2', site: site('brave-pine') }))).toMatchObject({ kind: 'end' });
  });
});

describe('a paired saved site that reloaded (a new document, the same site)', () => {
  const reloaded = report({ documentId: 'doc-2', site: site('amber-otter', 'opfs') });

  it('resumes from what it kept while the pairing is live', () => {
    expect(judgeSiteReport(PAIR, side('opfs'), reloaded)).toEqual({ kind: 'resume' });
    // Paired as a temporary site, saved in the browser since (the site manager keeps its slug).
    expect(judgeSiteReport(PAIR, side(), reloaded)).toEqual({ kind: 'resume' });
    expect(judgeSiteReport(PAIR, side('local-fs'), report({ documentId: 'doc-2', site: site('amber-otter', 'local-fs') }))).toEqual({ kind: 'resume' });
  });

  it('gets the copy again when it reloaded while being copied into, and ends the pairing otherwise', () => {
    const copy = (fromTabId: number) => ({ fromTabId, reason: 'pairing' as const, done: 0, total: 0 });
    const copying = { pairId: PAIR.pairId, phase: 'copying' as const };
    expect(judgeSiteReport({ ...copying, sides: [] }, { ...side('opfs'), copy: copy(9) }, reloaded)).toEqual({ kind: 'restore' });
    // The source of a copy into another tab.
    expect(judgeSiteReport({ ...copying, sides: [{ ...side(), tabId: 9, copy: copy(1) }] }, side('opfs'), reloaded)).toEqual({
      kind: 'end',
      reason: expect.stringMatching(/^Amber Otter was reloaded and keeps its saved content\. Pair again/),
    });
    expect(judgeSiteReport({ pairId: PAIR.pairId, phase: 'error', sides: [] }, side('opfs'), reloaded)).toMatchObject({ kind: 'end' });
    // Another tab of the group being copied into: this one is live and resumes.
    expect(judgeSiteReport({ ...copying, sides: [{ ...side(), tabId: 7, copy: copy(8) }] }, side('opfs'), reloaded)).toEqual({ kind: 'resume' });
  });

  it('is another site when the reloaded tab opened a different saved site', () => {
    expect(judgeSiteReport(PAIR, side('opfs'), report({ documentId: 'doc-2', site: site('my-saved-site', 'opfs') }))).toMatchObject({ kind: 'end' });
  });
});

describe('notices of pairings that ended on their own', () => {
  const notice = (pairId: string, tabIds: [number, number] = [1, 2]) => ({ pairId, tabIds, siteUrls: ['a', 'b'] as [string, string], reason: 'r', at: 1 });

  it('keeps the newest few, one per pairing, until dismissed or the tabs are paired again', () => {
    let ended = recordEnded([], notice('p1'));
    ended = recordEnded(ended, notice('p1'));
    expect(ended).toHaveLength(1);
    for (const id of ['p2', 'p3', 'p4', 'p5', 'p6']) ended = recordEnded(ended, notice(id, [3, 4]), 3);
    expect(ended.map((entry) => entry.pairId)).toEqual(['p4', 'p5', 'p6']);
    expect(dismissEnded(ended, 'p5').map((entry) => entry.pairId)).toEqual(['p4', 'p6']);
    expect(dismissEnded(ended, 'nope')).toBe(ended);
    expect(dismissEndedOfTabs(ended, [4, 9])).toEqual([]);
    expect(dismissEndedOfTabs(ended, [8, 9])).toBe(ended);
  });
});
