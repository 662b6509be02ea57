/**
 * The pairings the background keeps in `chrome.storage.session` (key `PAIRINGS_STORAGE_KEY`),
 * read by the popup. Plain JSON; every change is a pure function returning a new state.
 */
export const PAIRINGS_STORAGE_KEY = 'pairings';

import type { TabDocument } from '../protocol/runtime';
import type { StorageKind } from '../protocol/site';

export interface PairedSide {
  tabId: number;
  peerId: string;
  /**
   * This side's slot in the ID plan (the copy source's 0, the target's 1): fixed for the pairing,
   * kept when a reload restores or resumes the side.
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
}

/**
 * `copying`: one side's full state is going to the other (pairing sites that differ, or restoring
 * a reloaded tab); `live`: deltas flow (when `syncOn`); `error`: stopped, `error` says why.
 */
export type PairingPhase = 'copying' | 'live' | 'error';

export interface CopyProgress {
  fromTabId: number;
  toTabId: number;
  reason: 'pairing' | 'restore';
  done: number;
  total: number;
}

export interface Pairing {
  pairId: string;
  sides: [PairedSide, PairedSide];
  syncOn: boolean;
  phase: PairingPhase;
  copy?: CopyProgress;
  error?: string;
  createdAt: number;
}

export type Pairings = readonly Pairing[];
export const noPairings: Pairings = [];

/** Pairings that ended without the user asking (key in `chrome.storage.session`), newest last. */
export const ENDED_PAIRINGS_STORAGE_KEY = 'ended-pairings';
export const ENDED_PAIRINGS_LIMIT = 5;

/** Why a pairing ended on its own, shown in the popup until the user dismisses it. */
export interface EndedPairing {
  pairId: string;
  tabIds: [number, number];
  siteUrls: [string, string];
  reason: string;
  at: number;
}

export type EndedPairings = readonly EndedPairing[];
export const noEndedPairings: EndedPairings = [];
