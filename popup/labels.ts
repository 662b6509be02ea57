import type { StorageKind } from '../src/protocol/site';
import type { TabStatus } from '../src/registry/tab-registry';
import type { JournalEntry } from '../src/protocol/journal-entry';
import type { Pairing, PairingPhase } from '../src/pairing/pairings';

const STATUS_LABELS: Record<TabStatus, string> = {
  connecting: 'Loading',
  waiting: 'Booting',
  ready: 'Ready',
  error: 'Error',
};

const STORAGE_LABELS: Record<StorageKind, string> = {
  temporary: 'Temporary',
  opfs: 'Saved in browser',
  'local-fs': 'Saved to folder',
  unknown: 'Unknown',
};

const PHASE_LABELS: Record<PairingPhase, string> = { copying: 'Copying', live: 'Live', error: 'Error' };

export const describeTabStatus = (status: TabStatus) => STATUS_LABELS[status];
export const describeStorage = (storage: StorageKind) => STORAGE_LABELS[storage];

/** True when a live pairing does not flow: a side reported a problem (its engine files lost, a change it cannot apply). */
export const isStalled = (pairing: Pick<Pairing, 'phase' | 'syncOn' | 'sides'>) =>
  pairing.phase === 'live' && pairing.syncOn && pairing.sides.some((side) => side.problem !== undefined);

export const describePhase = (pairing: Pick<Pairing, 'phase' | 'syncOn' | 'sides'>) =>
  pairing.phase === 'live' ? (!pairing.syncOn ? 'Paused' : isStalled(pairing) ? 'Stalled' : 'Live') : PHASE_LABELS[pairing.phase];

export function describePending(pending: number): string {
  if (pending <= 0) return 'Up to date';
  return `${pending} change${pending === 1 ? '' : 's'} pending`;
}

/** How long ago, in the popup's words: "just now", "12 s ago", "3 min ago", "2 h ago". */
export function describeAgo(then: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

/** When a change of a person's last crossed between the pairing's sites (journal lines about rows or files), if ever. */
export function lastChangeAt(pairing: Pick<Pairing, 'sides' | 'createdAt'>, journal: readonly Pick<JournalEntry, 'site' | 'kind' | 'status' | 'time'>[]): number | undefined {
  const sites = new Set(pairing.sides.map((side) => side.siteUrl.replace(/\/+$/, '')));
  let last: number | undefined;
  for (const entry of journal) {
    if ((entry.kind !== 'rows' && entry.kind !== 'files') || (entry.status !== 'applied' && entry.status !== 'conflict')) continue;
    if (entry.time < pairing.createdAt || !sites.has(entry.site.replace(/\/+$/, ''))) continue;
    last = Math.max(last ?? 0, entry.time);
  }
  return last;
}

/**
 * An error about the pairing in the sites' names: the URLs the engine names them by (each side's
 * when paired, and its current one if the tab reloaded since) become the names the popup shows.
 */
export function inSiteNames(text: string, urlsOfSides: readonly (readonly (string | undefined)[])[], names: readonly string[]): string {
  const named = urlsOfSides.flatMap((urls, index) => urls.flatMap((url) => (url ? [{ url: url.replace(/\/+$/, ''), name: names[index]! }] : [])));
  // Longest first: one scope's URL may begin another's ("scope:a" and "scope:a2").
  return named
    .filter(({ url }) => url !== '')
    .sort((x, y) => y.url.length - x.url.length)
    .reduce((out, { url, name }) => out.split(`${url}/`).join(name).split(url).join(name), text);
}
