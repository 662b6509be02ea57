import type { TabRegistry } from '../registry/tab-registry';
import {
  ENDED_PAIRINGS_LIMIT,
  type CopyProgress,
  type EndedPairing,
  type EndedPairings,
  type PairedSide,
  type Pairing,
  type Pairings,
} from './pairings';

/** The pairing a tab belongs to, if any (a tab is in one pairing at most). */
export function pairingOfTab(pairings: Pairings, tabId: number): Pairing | undefined {
  return pairings.find((pairing) => pairing.sides.some((side) => side.tabId === tabId));
}

export function findPairing(pairings: Pairings, pairId: string): Pairing | undefined {
  return pairings.find((pairing) => pairing.pairId === pairId);
}

export function sideOf(pairing: Pairing, tabId: number): PairedSide | undefined {
  return pairing.sides.find((side) => side.tabId === tabId);
}

/** The other tab of the pairing. */
export function otherSide(pairing: Pairing, tabId: number): PairedSide {
  return pairing.sides[0].tabId === tabId ? pairing.sides[1] : pairing.sides[0];
}

export function updatePairing(pairings: Pairings, pairId: string, change: (pairing: Pairing) => Pairing): Pairings {
  let changed = false;
  const next = pairings.map((pairing) => {
    if (pairing.pairId !== pairId) return pairing;
    const updated = change(pairing);
    changed ||= updated !== pairing;
    return updated;
  });
  return changed ? next : pairings;
}

export function removePairing(pairings: Pairings, pairId: string): Pairings {
  const next = pairings.filter((pairing) => pairing.pairId !== pairId);
  return next.length === pairings.length ? pairings : next;
}

export function updateSide(pairing: Pairing, tabId: number, change: (side: PairedSide) => PairedSide): Pairing {
  const sides = pairing.sides.map((side) => (side.tabId === tabId ? change(side) : side)) as [PairedSide, PairedSide];
  return sides.every((side, index) => side === pairing.sides[index]) ? pairing : { ...pairing, sides };
}

export function withPending(pairing: Pairing, tabId: number, pending: number): Pairing {
  return updateSide(pairing, tabId, (side) => (side.pending === pending ? side : { ...side, pending }));
}

export function withProblem(pairing: Pairing, tabId: number, problem: string | null): Pairing {
  return updateSide(pairing, tabId, (side) => {
    if ((side.problem ?? null) === problem) return side;
    const { problem: _problem, ...rest } = side;
    return problem === null ? rest : { ...rest, problem };
  });
}

export function startCopy(pairing: Pairing, copy: Omit<CopyProgress, 'done' | 'total'>): Pairing {
  return { ...pairing, phase: 'copying', copy: { ...copy, done: 0, total: 0 }, error: undefined };
}

export function withCopyProgress(pairing: Pairing, done: number, total: number): Pairing {
  if (!pairing.copy) return pairing;
  return { ...pairing, copy: { ...pairing.copy, done, total } };
}

export function markLive(pairing: Pairing): Pairing {
  const { copy: _copy, error: _error, ...rest } = pairing;
  return { ...rest, phase: 'live' };
}

export function markError(pairing: Pairing, error: string): Pairing {
  const { copy: _copy, ...rest } = pairing;
  return { ...rest, phase: 'error', error };
}

/** Drops pairings whose tabs are gone (closed while the service worker slept). */
export function retainPairings(pairings: Pairings, registry: TabRegistry): Pairings {
  const next = pairings.filter((pairing) => pairing.sides.every((side) => String(side.tabId) in registry));
  return next.length === pairings.length ? pairings : next;
}

/** Records why a pairing ended on its own; the oldest notices go past `limit`. */
export function recordEnded(ended: EndedPairings, notice: EndedPairing, limit = ENDED_PAIRINGS_LIMIT): EndedPairings {
  return [...ended.filter((entry) => entry.pairId !== notice.pairId), notice].slice(-limit);
}

export function dismissEnded(ended: EndedPairings, pairId: string): EndedPairings {
  const next = ended.filter((entry) => entry.pairId !== pairId);
  return next.length === ended.length ? ended : next;
}

/** Notices of pairings that involved one of `tabIds` (paired again: the notice is history). */
export function dismissEndedOfTabs(ended: EndedPairings, tabIds: readonly number[]): EndedPairings {
  const next = ended.filter((entry) => !entry.tabIds.some((tabId) => tabIds.includes(tabId)));
  return next.length === ended.length ? ended : next;
}
