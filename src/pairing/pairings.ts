/**
 * The pairings the background keeps in `chrome.storage.session` (key `PAIRINGS_STORAGE_KEY`),
 * read by the popup. A pairing is a sync group of two or more tabs (its sides, in the order they
 * joined). Plain JSON; every change is a pure function returning a new state.
 */
export const PAIRINGS_STORAGE_KEY = 'pairings';

import { MAX_FORMER_NUMBERERS } from '../protocol/ids';
import type { TabDocument } from '../protocol/runtime';
import type { StorageKind } from '../protocol/site';

export interface PairedSide {
  tabId: number;
  peerId: string;
  /**
   * This side's slot in the ID plan (the first copy source's 0, then one each in the order they
   * joined): fixed for the group, kept when a reload restores or resumes the side, never reused.
   */
  slot: number;
  scope: string;
  siteUrl: string;
  /** The site's name as the page showed it when paired (or restored). */
  name: string;
  /** How the page keeps this site: only a temporary one is lost (and restored) on reload. */
  storage: StorageKind;
  /** The document and client that run this side's site: another one means the tab reloaded or switched site. */
  document: TabDocument;
  /** Unacknowledged changes of this side, as its tab last reported. */
  pending: number;
  /** What keeps this side from syncing right now, as its tab last reported (none: absent). */
  problem?: string;
  /** A full-state copy into this side, under way. */
  copy?: CopyProgress;
}

/**
 * `copying`: a side's full state is going to another (grouping sites that differ, restoring a
 * reloaded tab, a tab joining); `live`: deltas flow (when `syncOn`); `error`: stopped, `error` says why.
 */
export type PairingPhase = 'copying' | 'live' | 'error';

/** A copy into a side: from which tab, why, and bytes so far. */
export interface CopyProgress {
  fromTabId: number;
  reason: 'pairing' | 'restore' | 'join';
  done: number;
  total: number;
}

export interface Pairing {
  pairId: string;
  /** Two or more, in the order they joined. */
  sides: PairedSide[];
  /** The ID slot the next tab to join takes. */
  nextSlot: number;
  /** Sites that left the group, newest last (at most FORMER_SIDES_LIMIT): the journal still names them. */
  formerSides?: FormerSide[];
  syncOn: boolean;
  /** Rows made while synced get low IDs afterwards (docs/ids.md); on for a new group until the user switches it off. */
  lowIds?: boolean;
  /**
   * The numberer's peer id, from the first time low IDs were switched on: every member applies a
   * change made after a renumbering only after that renumbering (`SyncPeerOptions.numbererPeer`).
   * When its site leaves the group or a copy replaces it, the member of the lowest slot left
   * takes over (`handOverNumbering`).
   */
  numbererPeer?: string;
  /** The numberers before `numbererPeer`, oldest first: their renumberings may still be on their way. */
  formerNumberers?: string[];
  phase: PairingPhase;
  error?: string;
  createdAt: number;
}

/** A site that was in a group, as the journal's lines about it name it. */
export type FormerSide = Pick<PairedSide, 'siteUrl' | 'name' | 'scope'>;
export const FORMER_SIDES_LIMIT = 16;

export type Pairings = readonly Pairing[];
export const noPairings: Pairings = [];

/** Pairings that ended without the user asking (key in `chrome.storage.session`), newest last. */
export const ENDED_PAIRINGS_STORAGE_KEY = 'ended-pairings';
export const ENDED_PAIRINGS_LIMIT = 5;

/** Why a pairing ended on its own, shown in the popup until the user dismisses it. */
export interface EndedPairing {
  pairId: string;
  tabIds: number[];
  siteUrls: string[];
  reason: string;
  at: number;
}

export type EndedPairings = readonly EndedPairing[];
export const noEndedPairings: EndedPairings = [];

/** The ID plan slot of a group's first copy source (it plans the ranges); the others follow in order. */
export const SOURCE_SLOT = 0;

/** Whether the group gives rows made while synced low IDs (see `Pairing.lowIds`). */
export function givesLowIds(pairing: Pick<Pairing, 'lowIds'>): boolean {
  return pairing.lowIds === true;
}

/**
 * The group's numberer (docs/ids.md): the site named `numbererPeer`; before low IDs were ever on,
 * the site of the lowest slot (the first copy source while it is in the group).
 */
export function numbererOf(pairing: Pick<Pairing, 'sides' | 'numbererPeer'>): PairedSide | undefined {
  if (pairing.numbererPeer !== undefined) return pairing.sides.find((side) => side.peerId === pairing.numbererPeer);
  return lowestSlot(pairing.sides);
}

/**
 * The numberer's site (`tabId`) leaves the group, or a copy replaces it: the site of the lowest
 * slot among the others numbers from now on, once it has every renumbering of the former ones
 * any member has (NumbererHandoff). Unchanged when `tabId` is not the numberer's.
 */
export function handOverNumbering(pairing: Pairing, tabId: number): Pairing {
  const gone = pairing.sides.find((side) => side.tabId === tabId);
  if (pairing.numbererPeer === undefined || gone?.peerId !== pairing.numbererPeer) return pairing;
  const next = nextNumberer(pairing.sides, gone.peerId);
  return next ? { ...pairing, numbererPeer: next, formerNumberers: numberersBefore(pairing.formerNumberers ?? [], gone.peerId) } : pairing;
}

/** Who numbers once `gone` (the numberer) leaves or starts over: the member of the lowest slot among the others. */
export function nextNumberer(members: readonly { peerId: string; slot: number }[], gone: string): string | undefined {
  return lowestSlot(members.filter((member) => member.peerId !== gone))?.peerId;
}

/** The former numberers once `gone` joins them, oldest first (a member that numbered twice, once). */
export function numberersBefore(formers: readonly string[], gone: string): string[] {
  return [...formers.filter((peer) => peer !== gone), gone].slice(-MAX_FORMER_NUMBERERS);
}

function lowestSlot<T extends { slot: number }>(sides: readonly T[]): T | undefined {
  return sides.reduce<T | undefined>((lowest, side) => (lowest === undefined || side.slot < lowest.slot ? side : lowest), undefined);
}
