import type { TabDocument } from '../protocol/runtime';
import type { SiteInfo } from '../protocol/site';
import type { TabRegistry } from '../registry/tab-registry';
import { pairingOfTab } from './pairings-state';
import type { Pairings } from './pairings';

export interface PairableSite {
  tabId: number;
  site: SiteInfo;
  document: TabDocument;
}

export type PairCheck = { ok: true; sites: PairableSite[] } | { ok: false; error: string };

/**
 * Whether tabs can sync as a group, and why not in words: two or more open Playground tabs whose
 * site is ready, on different scopes (one scope is one site: a tab cannot sync with itself), not
 * in another group (tabs of `group` may be: it is the one they are added to). WordPress and PHP
 * versions may differ: each member keeps its own WordPress (see `WORDPRESS_CORE`); whether a
 * copy fits the target's database driver is checked where it is installed.
 */
export function checkPairRequest(registry: TabRegistry, pairings: Pairings, tabIds: readonly number[], group?: string): PairCheck {
  if (new Set(tabIds).size !== tabIds.length) return { ok: false, error: 'Pick different tabs.' };
  if (tabIds.length < 2) return { ok: false, error: 'Pick at least two tabs.' };
  const sites: PairableSite[] = [];
  for (const tabId of tabIds) {
    const entry = registry[tabId];
    if (!entry) return { ok: false, error: `Tab ${tabId} is not an open Playground tab.` };
    if (entry.status !== 'ready' || !entry.site || !entry.document) return { ok: false, error: `The site in tab ${tabId} is not ready yet.` };
    const pairing = pairingOfTab(pairings, tabId);
    if (pairing && pairing.pairId !== group) return { ok: false, error: `${entry.site.name} is already syncing with other tabs: take it out of its group first.` };
    sites.push({ tabId, site: entry.site, document: entry.document });
  }
  for (const [index, first] of sites.entries()) {
    const twin = sites.slice(index + 1).find((other) => other.site.scope === first.site.scope);
    if (twin) return { ok: false, error: `Two tabs show the same site (scope ${first.site.scope}): a site cannot sync with itself.` };
  }
  return { ok: true, sites };
}
