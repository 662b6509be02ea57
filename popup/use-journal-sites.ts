import { useMemo } from 'preact/hooks';
import type { Pairings } from '../src/pairing/pairings';
import type { TabRegistry } from '../src/registry/tab-registry';
import type { PeopleEntry } from './journal-people';
import { siteKey, siteNamer, type KnownSite } from './site-names';
import type { Commands } from './use-commands';

export interface JournalSites {
  nameOf: (siteUrl: string) => string;
  canOpenInTabs: (entry: PeopleEntry) => boolean;
  onOpenInTabs: (entry: PeopleEntry) => void;
  /** A failed change whose sites are still paired can be tried again. */
  canRetry: (entry: PeopleEntry) => boolean;
  onRetry: (entry: PeopleEntry) => void;
}

/**
 * What a journal view needs to know about the sites: their names (as the tabs and pairings know
 * them), and the pairing that still holds an entry's sites, whose tabs can open the entry's page.
 */
export function useJournalSites(registry: TabRegistry | undefined, pairings: Pairings, commands: Commands): JournalSites {
  const nameOf = useMemo(() => {
    const known: KnownSite[] = [
      // Sites that left a group first: a tab or pairing that knows the site now has the latest name.
      ...pairings.flatMap((pairing) => pairing.formerSides ?? []),
      ...pairings.flatMap((pairing) => pairing.sides.map((side) => ({ siteUrl: side.siteUrl, name: side.name, scope: side.scope }))),
      ...Object.values(registry ?? {}).flatMap((tab) => (tab.site ? [{ siteUrl: tab.site.siteUrl, name: tab.site.name, scope: tab.site.scope }] : [])),
    ];
    return siteNamer(known);
  }, [registry, pairings]);
  const pairingOf = (entry: PeopleEntry) => {
    const sites = new Set([entry.from, ...entry.to].map(siteKey));
    return pairings.find((pairing) => pairing.sides.every((side) => sites.has(siteKey(side.siteUrl))));
  };
  return {
    nameOf,
    canOpenInTabs: (entry) => entry.openPath !== undefined && pairingOf(entry) !== undefined,
    onOpenInTabs: (entry) => {
      const pairing = pairingOf(entry);
      if (pairing && entry.openPath) void commands.run({ type: 'popup/open-in-tabs', pairId: pairing.pairId, path: entry.openPath });
    },
    canRetry: (entry) => entry.kind === 'change' && entry.status === 'failed' && pairingOf(entry) !== undefined,
    onRetry: (entry) => {
      const pairing = pairingOf(entry);
      if (pairing) void commands.run({ type: 'popup/retry', pairId: pairing.pairId });
    },
  };
}
