import { describe, expect, it } from 'vitest';
import { BADGE_COLORS, badgeFor } from '../../src/pairing/badge';
import { ICON_TILES } from '../../src/pairing/icon';
import { checkPairRequest } from '../../src/pairing/pair-request';
import type { Pairing } from '../../src/pairing/pairings';
import {
  addSide,
  copyInstalled,
  copySourceFor,
  markError,
  otherSides,
  pairingOfTab,
  removeSide,
  removePairing,
  retainPairings,
  startCopy,
  updatePairing,
  withCopyProgress,
  withPending,
  withProblem,
} from '../../src/pairing/pairings-state';
import type { SiteInfo } from '../../src/protocol/site';
import { applyTabReport, emptyRegistry, markDocumentGone, type TabRegistry } from '../../src/registry/tab-registry';

const site = (scope: string, overrides: Partial<SiteInfo> = {}): SiteInfo => ({
  scope,
  siteUrl: `https://playground.wordpress.net/scope:${scope}`,
  name: scope,
  wordpressVersion: '6.7',
  phpVersion: '8.3.0',
  storage: 'temporary',
  clientSource: 'playgroundSites',
  ...overrides,
});

function registryOf(...sites: [number, SiteInfo][]): TabRegistry {
  return sites.reduce((registry, [tabId, info]) => applyTabReport(registry, tabId, { type: 'tab/site', site: info, document: { id: `doc-${tabId}`, client: 1 } }, 1), emptyRegistry);
}

const pairing = (pairId: string, a: number, b: number): Pairing => ({
  pairId,
  sides: [
    { tabId: a, peerId: `peer-${a}`, slot: 0, scope: `s${a}`, siteUrl: `https://playground.wordpress.net/scope:s${a}`, name: 'site', storage: 'temporary', document: { id: `doc-${a}`, client: 1 }, pending: 0 },
    { tabId: b, peerId: `peer-${b}`, slot: 1, scope: `s${b}`, siteUrl: `https://playground.wordpress.net/scope:s${b}`, name: 'site', storage: 'temporary', document: { id: `doc-${b}`, client: 1 }, pending: 0 },
  ],
  nextSlot: 2,
  syncOn: true,
  phase: 'live',
  createdAt: 1,
});

describe('pair requests', () => {
  it('accepts two ready tabs on different scopes with the same versions', () => {
    const check = checkPairRequest(registryOf([1, site('a')], [2, site('b')]), [], [1, 2]);
    expect(check.ok && check.sites.map((s) => s.site.scope)).toEqual(['a', 'b']);
  });

  it('refuses, with the reason, the same scope, the same tab, a tab not ready, a tab already paired', () => {
    const registry = registryOf([1, site('a')], [2, site('a')], [3, site('c')], [4, site('d')]);
    expect(checkPairRequest(registry, [], [1, 2])).toEqual({ ok: false, error: expect.stringMatching(/same site \(scope a\)/) });
    expect(checkPairRequest(registry, [], [3, 3])).toEqual({ ok: false, error: 'Pick different tabs.' });
    expect(checkPairRequest(registry, [], [3])).toEqual({ ok: false, error: 'Pick at least two tabs.' });
    expect(checkPairRequest(markDocumentGone(registry, 4, 'doc-4', 2), [], [3, 4])).toEqual({ ok: false, error: expect.stringMatching(/not ready/) });
    expect(checkPairRequest(registry, [pairing('p', 3, 9)], [3, 4])).toEqual({ ok: false, error: expect.stringMatching(/already syncing with other tabs/) });
    // Tabs of the group a tab is added to may be in it.
    expect(checkPairRequest(registry, [pairing('p', 3, 9)], [3, 4], 'p').ok).toBe(true);
    expect(checkPairRequest(registry, [], [3, 7])).toEqual({ ok: false, error: expect.stringMatching(/not an open Playground tab/) });
  });

  it('takes sites on other WordPress and PHP versions (each member keeps its own WordPress)', () => {
    const wp = registryOf([1, site('a')], [2, site('b', { wordpressVersion: '6.5.5' })], [3, site('c')]);
    expect(checkPairRequest(wp, [], [1, 2, 3])).toMatchObject({ ok: true, sites: [{ tabId: 1 }, { tabId: 2 }, { tabId: 3 }] });
    const php = registryOf([1, site('a', { phpVersion: '7.4.33' })], [2, site('b', { phpVersion: '8.1.2' })], [3, site('c', { phpVersion: '8.4.1' })]);
    expect(checkPairRequest(php, [], [1, 2, 3]).ok).toBe(true);
  });

  it('accepts a group of several tabs and refuses two of them on one scope', () => {
    const registry = registryOf([1, site('a')], [2, site('b')], [3, site('c')], [4, site('b')]);
    expect(checkPairRequest(registry, [], [1, 2, 3])).toMatchObject({ ok: true, sites: [{ tabId: 1 }, { tabId: 2 }, { tabId: 3 }] });
    expect(checkPairRequest(registry, [], [1, 2, 4])).toEqual({ ok: false, error: expect.stringMatching(/same site \(scope b\)/) });
  });
});

describe('pairings state', () => {
  it('finds a tab’s pairing and the other side, and leaves other pairings untouched', () => {
    const all = [pairing('p', 1, 2), pairing('q', 3, 4)];
    expect(pairingOfTab(all, 4)?.pairId).toBe('q');
    expect(otherSides(all[0]!, 2).map((side) => side.tabId)).toEqual([1]);
    const updated = updatePairing(all, 'p', (p) => withPending(p, 2, 5));
    expect(updated[0]!.sides[1]!.pending).toBe(5);
    expect(updated[1]).toBe(all[1]);
    expect(updatePairing(all, 'p', (p) => withPending(p, 2, 0))).toBe(all);
    const stalled = withProblem(all[0]!, 2, 'files gone');
    expect(stalled.sides[1]!.problem).toBe('files gone');
    expect(withProblem(stalled, 2, 'files gone')).toBe(stalled);
    expect(withProblem(stalled, 2, null).sides[1]).not.toHaveProperty('problem');
    expect(withProblem(all[0]!, 2, null)).toBe(all[0]);
    expect(removePairing(all, 'q')).toEqual([all[0]]);
  });

  it('goes copying → live with progress, or to error with the reason', () => {
    const copying = startCopy(pairing('p', 1, 2), 2, { fromTabId: 1, reason: 'restore' });
    expect(copying).toMatchObject({ phase: 'copying', sides: [{ tabId: 1 }, { tabId: 2, copy: { done: 0, total: 0, reason: 'restore' } }] });
    expect(withCopyProgress(copying, 2, 40, 100).sides[1]!.copy).toMatchObject({ done: 40, total: 100 });
    const live = copyInstalled(withCopyProgress(copying, 2, 100, 100), 2);
    expect(live.phase).toBe('live');
    expect(live.sides[1]).not.toHaveProperty('copy');
    expect(markError(copying, 'boom')).toMatchObject({ phase: 'error', error: 'boom' });
    expect(markError(copying, 'boom').sides[1]).not.toHaveProperty('copy');
  });

  it('stays copying until every copy into a group is installed; a joining tab takes the next slot, a leaving one gives none back', () => {
    const group = addSide(pairing('p', 1, 2), { ...pairing('x', 3, 4).sides[0]!, tabId: 3, peerId: 'peer-3' });
    expect(group.sides.map((side) => side.slot)).toEqual([0, 1, 2]);
    const copying = startCopy(startCopy(group, 2, { fromTabId: 1, reason: 'pairing' }), 3, { fromTabId: 1, reason: 'join' });
    expect(copySourceFor(copying, 3)?.tabId).toBe(1);
    expect(copyInstalled(copying, 2).phase).toBe('copying');
    expect(copyInstalled(copyInstalled(copying, 2), 3).phase).toBe('live');
    const left = removeSide(copyInstalled(copying, 2), 3);
    expect(left).toMatchObject({ phase: 'live', nextSlot: 3 });
    expect(left.sides.map((side) => side.tabId)).toEqual([1, 2]);
    // The journal still names the site that left.
    const gone = copying.sides.find((side) => side.tabId === 3)!;
    expect(left.formerSides).toEqual([{ siteUrl: gone.siteUrl, name: gone.name, scope: gone.scope }]);
    expect(addSide(left, { ...left.sides[0]!, tabId: 5, peerId: 'peer-5' }).sides.at(-1)!.slot).toBe(3);
  });

  it('drops pairings whose tabs are gone', () => {
    const registry = registryOf([1, site('a')], [2, site('b')], [3, site('c')]);
    const all = [pairing('p', 1, 2), pairing('q', 3, 4)];
    expect(retainPairings(all, registry).map((p) => p.pairId)).toEqual(['p']);
  });
});

describe('toolbar badge', () => {
  it('is empty without pairings and counts pending changes while syncing', () => {
    expect(badgeFor([]).text).toBe('');
    const live = pairing('p', 1, 2);
    expect(badgeFor([live])).toMatchObject({ text: '', title: expect.stringMatching(/syncing, 0 changes/) });
    expect(badgeFor([withPending(withPending(live, 1, 2), 2, 1)]).text).toBe('3');
    expect(badgeFor([withPending(live, 1, 5000)]).text).toBe('999+');
  });

  it('greys the icon while nothing syncs, and keeps it in colour while something does or needs the user', () => {
    const live = pairing('p', 1, 2);
    const off = { ...live, syncOn: false };
    expect(badgeFor([]).icon).toBe('inactive');
    expect(badgeFor([off]).icon).toBe('inactive');
    expect(badgeFor([live]).icon).toBe('active');
    expect(badgeFor([off, { ...pairing('q', 3, 4) }])).toMatchObject({ icon: 'active', text: 'off', title: expect.stringMatching(/sync off for one pairing/) });
    expect(badgeFor([markError(live, 'tab gone')]).icon).toBe('active');
  });

  it('colours every badge so its white text reads (≥ 4.5:1) and it stands apart from the icon under it', () => {
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const contrast = (x: string, y: string) => {
      const [light, dark] = [luminance(x), luminance(y)].sort((p, q) => q - p);
      return (light! + 0.05) / (dark! + 0.05);
    };
    const hue = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
      return (Math.atan2(Math.sqrt(3) * (g! - b!), 2 * r! - g! - b!) * 180) / Math.PI;
    };
    const apart = (x: string, y: string) => {
      const turn = Math.abs(hue(x) - hue(y)) % 360;
      return Math.min(turn, 360 - turn);
    };
    const live = pairing('p', 1, 2);
    const states = [
      badgeFor([withPending(live, 1, 3)]),
      badgeFor([{ ...live, syncOn: false }]),
      badgeFor([startCopy(live, 2, { fromTabId: 1, reason: 'pairing' })]),
      badgeFor([markError(live, 'tab gone')]),
    ];
    expect(new Set(states.map((badge) => badge.color)).size).toBe(4);
    for (const badge of states) {
      expect(contrast(badge.color, '#ffffff'), badge.title).toBeGreaterThanOrEqual(4.5);
      // A different hue from the tile (blue, or grey, which has none: then a different lightness).
      const tile = ICON_TILES[badge.icon];
      if (badge.icon === 'active') expect(apart(badge.color, tile), badge.title).toBeGreaterThanOrEqual(60);
      else expect(contrast(badge.color, tile), badge.title).toBeGreaterThanOrEqual(1.5);
    }
    expect(Object.values(BADGE_COLORS)).toEqual(expect.arrayContaining(states.map((badge) => badge.color)));
  });

  it('shows off (with the waiting count), copying and error, error first', () => {
    const off = { ...pairing('p', 1, 2), syncOn: false };
    expect(badgeFor([off]).text).toBe('off');
    expect(badgeFor([withPending(off, 1, 4)])).toMatchObject({ text: '4', title: 'Playground Sync: sync off, 4 changes waiting' });
    const copying = startCopy(pairing('q', 3, 4), 4, { fromTabId: 3, reason: 'pairing' });
    expect(badgeFor([off, copying]).text).toBe('…');
    expect(badgeFor([off, copying, markError(pairing('r', 5, 6), 'tab gone')])).toMatchObject({ text: '!', title: 'Playground Sync: tab gone' });
  });
});
