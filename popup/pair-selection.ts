import type { Pairings } from '../src/pairing/pairings';
import { MAX_GROUP_MEMBERS } from '../src/protocol/ids';
import type { TabEntry } from '../src/registry/tab-registry';

/** A group joins two or more tabs, up to this many. */
export const MAX_SELECTED = MAX_GROUP_MEMBERS;

export function pairedTabIds(pairings: Pairings): Set<number> {
  return new Set(pairings.flatMap((pairing) => pairing.sides.map((side) => side.tabId)));
}

export type TabAvailability = { selectable: true } | { selectable: false; reason: string };

export function tabAvailability(tab: TabEntry, paired: ReadonlySet<number>): TabAvailability {
  if (paired.has(tab.tabId)) return { selectable: false, reason: 'Already paired' };
  if (tab.status !== 'ready' || !tab.site) return { selectable: false, reason: 'Not ready yet' };
  return { selectable: true };
}

/** The part of a selection that still holds: tabs closed, reloading or paired since drop out. */
export function currentSelection(selected: readonly number[], tabs: readonly TabEntry[], paired: ReadonlySet<number>): number[] {
  const selectable = new Set(tabs.filter((tab) => tabAvailability(tab, paired).selectable).map((tab) => tab.tabId));
  return selected.filter((tabId) => selectable.has(tabId)).slice(0, MAX_SELECTED);
}

/** What is picked before the user picks: the two tabs when exactly two can be paired, else nothing. */
export function preselection(tabs: readonly TabEntry[]): number[] {
  const ready = tabs.filter((tab) => tabAvailability(tab, new Set()).selectable);
  return ready.length === 2 ? ready.map((tab) => tab.tabId) : [];
}

export function toggleSelection(selected: readonly number[], tabId: number): number[] {
  if (selected.includes(tabId)) return selected.filter((id) => id !== tabId);
  return selected.length < MAX_SELECTED ? [...selected, tabId] : [...selected];
}

/**
 * Whether the selected tabs can be synced. `incomplete`: the user has not picked two yet;
 * `refused`: the background would refuse these, `reason` says why.
 */
export type PairCheck = { ok: true; tabIds: number[] } | { ok: false; why: 'incomplete' | 'refused'; reason: string };

export function checkPair(selected: readonly number[], tabs: readonly TabEntry[]): PairCheck {
  const picked = selected.map((tabId) => tabs.find((tab) => tab.tabId === tabId)).filter((tab) => tab !== undefined);
  if (picked.length === 0) return { ok: false, why: 'incomplete', reason: 'Select two or more ready tabs to sync their sites.' };
  if (picked.length === 1) return { ok: false, why: 'incomplete', reason: 'Select one more tab.' };
  const scopes = picked.map((tab) => tab.site?.scope);
  const shared = scopes.find((scope, index) => scope !== undefined && scopes.indexOf(scope) !== index);
  if (shared !== undefined) {
    return {
      ok: false,
      why: 'refused',
      reason: `Two tabs show the same site (scope “${shared}”), so there is nothing to sync. Pick tabs of different sites.`,
    };
  }
  return { ok: true, tabIds: picked.map((tab) => tab.tabId) };
}
