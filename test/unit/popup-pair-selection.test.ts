import { describe, expect, it } from 'vitest';
import type { Pairing } from '../../src/pairing/pairings';
import type { TabEntry } from '../../src/registry/tab-registry';
import { checkPair, currentSelection, MAX_SELECTED, pairedTabIds, preselection, tabAvailability, toggleSelection } from '../../popup/pair-selection';

const tab = (tabId: number, scope: string, status: TabEntry['status'] = 'ready'): TabEntry => ({
  tabId,
  status,
  updatedAt: 0,
  ...(status === 'ready'
    ? {
        site: {
          scope,
          siteUrl: `https://playground.wordpress.net/scope:${scope}/`,
          name: 'My WordPress Website',
          wordpressVersion: '6.8',
          phpVersion: '8.3.0',
          storage: 'temporary' as const,
          clientSource: 'playgroundSites' as const,
        },
      }
    : {}),
});

const pairing = (a: number, b: number): Pairing => ({
  pairId: `p-${a}-${b}`,
  sides: [
    { tabId: a, peerId: 'a', slot: 0, scope: 'x', siteUrl: 'https://x/', name: 'site', storage: 'temporary', document: { id: 'doc-a', client: 1 }, pending: 0 },
    { tabId: b, peerId: 'b', slot: 1, scope: 'y', siteUrl: 'https://y/', name: 'site', storage: 'temporary', document: { id: 'doc-b', client: 1 }, pending: 0 },
  ],
  nextSlot: 2,
  syncOn: true,
  phase: 'live',
  createdAt: 0,
});

describe('popup tab selection', () => {
  const tabs = [tab(1, 'a'), tab(2, 'b'), tab(3, 'a'), tab(4, '', 'waiting'), tab(5, 'c'), tab(6, 'd')];
  const paired = pairedTabIds([pairing(5, 6)]);

  it('offers only ready tabs that are not paired yet, and says why not', () => {
    expect(tabAvailability(tabs[0]!, paired)).toEqual({ selectable: true });
    expect(tabAvailability(tabs[3]!, paired)).toEqual({ selectable: false, reason: 'Not ready yet' });
    expect(tabAvailability(tabs[4]!, paired)).toEqual({ selectable: false, reason: 'Already paired' });
  });

  it('picks the two tabs for the user when exactly two are ready, and nothing otherwise', () => {
    expect(preselection([tab(1, 'a'), tab(2, 'b')])).toEqual([1, 2]);
    expect(preselection([tab(1, 'a'), tab(2, 'b'), tab(3, 'c', 'waiting')])).toEqual([1, 2]);
    expect(preselection([tab(1, 'a'), tab(2, 'b'), tab(3, 'c')])).toEqual([]);
    expect(preselection([tab(1, 'a'), tab(2, 'b', 'waiting')])).toEqual([]);
    expect(preselection([])).toEqual([]);
  });

  it('selects as many tabs as a group takes and unselects on a second click', () => {
    expect(toggleSelection([], 1)).toEqual([1]);
    expect(toggleSelection([1], 2)).toEqual([1, 2]);
    expect(toggleSelection([1, 2], 3)).toEqual([1, 2, 3]);
    expect(toggleSelection([1, 2], 1)).toEqual([2]);
    const full = Array.from({ length: MAX_SELECTED }, (_, index) => index + 1);
    expect(toggleSelection(full, 99)).toEqual(full);
  });

  it('drops selected tabs that closed, reload or got paired', () => {
    expect(currentSelection([1, 4], tabs, paired)).toEqual([1]);
    expect(currentSelection([5, 2], tabs, paired)).toEqual([2]);
    expect(currentSelection([9], tabs, paired)).toEqual([]);
  });

  it('pairs two tabs of different sites', () => {
    expect(checkPair([2, 1], tabs)).toEqual({ ok: true, tabIds: [2, 1] });
  });

  it('asks for two tabs before pairing', () => {
    expect(checkPair([], tabs)).toMatchObject({ ok: false, why: 'incomplete' });
    expect(checkPair([1], tabs)).toMatchObject({ ok: false, why: 'incomplete', reason: 'Select one more tab.' });
  });

  it('refuses two tabs on the same scope, naming it', () => {
    const check = checkPair([1, 3], tabs);
    expect(check).toMatchObject({ ok: false, why: 'refused' });
    expect(!check.ok && check.reason).toContain('“a”');
  });
});
