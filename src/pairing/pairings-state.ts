import type { TabRegistry } from '../registry/tab-registry';
import {
  ENDED_PAIRINGS_LIMIT,
  FORMER_SIDES_LIMIT,
  handOverNumbering,
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

/** The pairing's other tabs. */
export function otherSides(pairing: Pairing, tabId: number): PairedSide[] {
  return pairing.sides.filter((side) => side.tabId !== tabId);
}

/** A side whose state a new copy can come from: one not being copied into itself. */
export function copySourceFor(pairing: Pairing, tabId: number): PairedSide | undefined {
  return otherSides(pairing, tabId).find((side) => !side.copy);
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
  const sides = pairing.sides.map((side) => (side.tabId === tabId ? change(side) : side));
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

/** A copy into `toTabId` starts. */
export function startCopy(pairing: Pairing, toTabId: number, copy: Omit<CopyProgress, 'done' | 'total'>): Pairing {
  const started = updateSide(pairing, toTabId, (side) => ({ ...side, copy: { ...copy, done: 0, total: 0 } }));
  const handedOver = copy.reason === 'restore' ? handOverNumbering(started, toTabId) : started;
  return { ...handedOver, phase: 'copying', error: undefined };
}

export function withCopyProgress(pairing: Pairing, toTabId: number, done: number, total: number): Pairing {
  return updateSide(pairing, toTabId, (side) => (side.copy ? { ...side, copy: { ...side.copy, done, total } } : side));
}

/** The copy into `toTabId` is installed: once no copy is under way, the group is live. */
export function copyInstalled(pairing: Pairing, toTabId: number): Pairing {
  const done = updateSide(pairing, toTabId, withoutCopy);
  if (done.sides.some((side) => side.copy) || done.phase === 'error') return done;
  const { error: _error, ...rest } = done;
  return { ...rest, phase: 'live' };
}

export function markError(pairing: Pairing, error: string): Pairing {
  return { ...pairing, sides: pairing.sides.map(withoutCopy), phase: 'error', error };
}

/** A tab joins the group, in the next slot. */
export function addSide(pairing: Pairing, side: Omit<PairedSide, 'slot'>): Pairing {
  return { ...pairing, sides: [...pairing.sides, { ...side, slot: pairing.nextSlot }], nextSlot: pairing.nextSlot + 1 };
}

/** A tab leaves the group (its slot is not given out again). */
export function removeSide(pairing: Pairing, tabId: number): Pairing {
  const left = copyInstalled(pairing, tabId);
  const gone = left.sides.find((side) => side.tabId === tabId);
  const former = gone ? [...(left.formerSides ?? []), { siteUrl: gone.siteUrl, name: gone.name, scope: gone.scope }].slice(-FORMER_SIDES_LIMIT) : left.formerSides;
  return {
    ...handOverNumbering(left, tabId),
    sides: left.sides.filter((side) => side.tabId !== tabId),
    ...(former ? { formerSides: former } : {}),
  };
}

function withoutCopy(side: PairedSide): PairedSide {
  if (!side.copy) return side;
  const { copy: _copy, ...rest } = side;
  return rest;
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
