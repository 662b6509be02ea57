/**
 * The pairings the background keeps in `chrome.storage.session` (key `PAIRINGS_STORAGE_KEY`),
 * read by the popup. Plain JSON; every change is a pure function returning a new state.
 */
export const PAIRINGS_STORAGE_KEY = 'pairings';
/** The journal, newest last, at most `JOURNAL_LIMIT` entries (key in `chrome.storage.session`). */
export const JOURNAL_STORAGE_KEY = 'journal';
export const JOURNAL_LIMIT = 2000;

export interface PairedSide {
  tabId: number;
  peerId: string;
  scope: string;
  siteUrl: string;
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
