import type { PeerRole, TabDocument } from '../protocol/runtime';
import type { SiteInfo, StorageKind } from '../protocol/site';
import type { PairedSide, Pairing } from './pairings';

/** What a paired tab's site report means for its pairing. */
export type SiteReportVerdict =
  /** The side runs on: a reconnect after a service-worker restart, or a report sent before its peer started. */
  | { kind: 'unchanged' }
  /** The tab reloaded and lost its temporary site: the other side's state is copied back into it. */
  | { kind: 'restore' }
  /** A saved site reloaded while live: it kept its content and goes on syncing from there (no copy). */
  | { kind: 'resume' }
  /** The tab runs another site, or a saved site that must not be overwritten: the pairing ends. */
  | { kind: 'end'; reason: string };

export interface PairedSiteReport {
  site: SiteInfo;
  document: TabDocument;
  peer?: PeerRole | null;
}

/**
 * Judges a site report of a paired tab. Only a temporary site lost by a reload (a new top-level
 * document) is restored from the other side, and so is a saved site that reloaded while the copy
 * into it was under way; a saved site that reloaded while live resumes from what it kept (one
 * paired as a temporary site and saved in place since, too); a site the user opened (a saved
 * site, a site switch in the same document) is never overwritten: the pairing ends. Older builds
 * cannot say how they keep a site (`unknown`): like the real page, a reload loses it.
 */
export function judgeSiteReport(
  pairing: Pick<Pairing, 'pairId' | 'phase' | 'sides'>,
  side: PairedSide,
  report: PairedSiteReport,
): SiteReportVerdict {
  const { pairId } = pairing;
  if (report.peer?.pairId === pairId && report.peer.peerId === side.peerId) return { kind: 'unchanged' };
  const { site } = report;
  const pairAgain = 'Pair again to sync it.';
  // Two sites may share a name (names are not unique): then their scopes tell them apart.
  const [was, now] = side.name === site.name ? [`${side.name} (${side.scope})`, `${site.name} (${site.scope})`] : [side.name, site.name];
  if (report.document.id === side.document.id) {
    if (report.document.client === side.document.client) return { kind: 'unchanged' };
    return {
      kind: 'end',
      reason:
        site.scope === side.scope
          ? `${side.name} was restarted in its tab. ${pairAgain}`
          : `The tab of ${was} switched to another site, ${now}, which was left as it is. ${pairAgain}`,
    };
  }
  if (lostOnReload(side.storage) && lostOnReload(site.storage)) return { kind: 'restore' };
  // The same site, kept: saved when it was paired, or saved in place since (Playground keeps its slug).
  const savedSiteReloaded = site.scope === side.scope && !lostOnReload(site.storage);
  // A side a copy goes into or comes from is not live: its reload cannot resume.
  const inACopy = side.copy !== undefined || pairing.sides.some((other) => other.copy?.fromTabId === side.tabId);
  if (savedSiteReloaded && !inACopy && pairing.phase !== 'error') return { kind: 'resume' };
  if (savedSiteReloaded && side.copy) return { kind: 'restore' };
  return {
    kind: 'end',
    reason:
      site.scope === side.scope
        ? `${side.name} was reloaded and keeps its saved content. ${pairAgain}`
        : `The tab of ${was} opened another site, ${now}, which was left as it is. ${pairAgain}`,
  };
}

function lostOnReload(storage: StorageKind): boolean {
  return storage === 'temporary' || storage === 'unknown';
}
