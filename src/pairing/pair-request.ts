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

export type PairCheck = { ok: true; sites: [PairableSite, PairableSite] } | { ok: false; error: string };

/**
 * Whether two tabs can be paired, and why not in words: both must be open Playground tabs whose
 * site is ready, on different scopes (one scope is one site: a tab cannot sync with itself), not
 * paired already, and able to take each other's full state (same WordPress and PHP version).
 */
export function checkPairRequest(registry: TabRegistry, pairings: Pairings, tabIds: readonly [number, number]): PairCheck {
  const [a, b] = tabIds;
  if (a === b) return { ok: false, error: 'Pick two different tabs.' };
  const sites = [] as unknown as [PairableSite, PairableSite];
  for (const tabId of tabIds) {
    const entry = registry[tabId];
    if (!entry) return { ok: false, error: `Tab ${tabId} is not an open Playground tab.` };
    if (entry.status !== 'ready' || !entry.site || !entry.document) return { ok: false, error: `The site in tab ${tabId} is not ready yet.` };
    if (pairingOfTab(pairings, tabId)) return { ok: false, error: `${entry.site.name} is already paired: unpair it first.` };
    sites.push({ tabId, site: entry.site, document: entry.document });
  }
  const [first, second] = sites;
  if (first.site.scope === second.site.scope) {
    return { ok: false, error: `Both tabs show the same site (scope ${first.site.scope}): a site cannot sync with itself.` };
  }
  if (first.site.wordpressVersion !== second.site.wordpressVersion) {
    return {
      ok: false,
      error: `The sites run different WordPress versions (${first.site.wordpressVersion} and ${second.site.wordpressVersion}): pairing needs the same version on both.`,
    };
  }
  const minor = (version: string) => version.split('.').slice(0, 2).join('.');
  if (minor(first.site.phpVersion) !== minor(second.site.phpVersion)) {
    return {
      ok: false,
      error: `The sites run different PHP versions (${first.site.phpVersion} and ${second.site.phpVersion}): pairing needs the same version on both.`,
    };
  }
  return { ok: true, sites };
}
