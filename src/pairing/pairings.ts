/**
 * The pairings the background keeps in `chrome.storage.session` (key `PAIRINGS_STORAGE_KEY`),
 * read by the popup. A pairing is a sync group of two or more tabs (its sides, in the order they
 * joined). Plain JSON; every change is a pure function returning a new state.
 */
export const PAIRINGS_STORAGE_KEY = 'pairings';

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
  /** Rows made while synced get low IDs afterwards (docs/ids.md); off unless the user switched it on. */
  lowIds?: boolean;
  /**
   * The numberer's peer id, from the first time low IDs were switched on: every member applies a
   * change made after a renumbering only after that renumbering (`SyncPeerOptions.numbererPeer`).
   */
  numbererPeer?: string;
  /** The numberer's site left the group, or a copy replaced it: no site hands out low IDs any more (see `numbererOf`). */
  numbererGone?: 'left' | 'restored';
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
 * The group's numberer (docs/ids.md): the site in the first slot, its first copy source, whose
 * rows below the group's IDs every other site copied. Once it left or a copy replaced its site,
 * none: no other site takes over (that would need every low ID it gave to reach the next one
 * first), and rows made from then on keep their high IDs.
 */
export function numbererOf(pairing: Pick<Pairing, 'sides' | 'numbererGone'>): PairedSide | undefined {
  return pairing.numbererGone ? undefined : pairing.sides.find((side) => side.slot === SOURCE_SLOT);
}
