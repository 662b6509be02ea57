import type { JournalEntry } from '../protocol/journal-entry';
import type { BackgroundToTab, TabReply } from '../protocol/runtime';
import type { TabRegistry } from '../registry/tab-registry';
import type { EndedPairings, Pairings } from './pairings';

/** A value the background keeps (in `chrome.storage.session` in the extension); updates are serialized. */
export interface Stored<T> {
  read(): Promise<T>;
  update(change: (value: T) => T): Promise<T>;
}

/** How the background reaches the content script of a tab. */
export interface TabTransport {
  /** Sends and waits for the answer; a tab that is gone or reloading answers with an error (never rejects). */
  send(tabId: number, message: BackgroundToTab): Promise<TabReply>;
  /** Posts without an answer when the tab has an open line; false: none (then `send` is used). */
  post?(tabId: number, message: BackgroundToTab): boolean;
}

/** The journal the popup shows. */
export interface CoordinatorJournal {
  append(entries: readonly JournalEntry[]): Promise<unknown>;
  /** Sets the status of the lines `ids` (a sent batch the other tab acknowledged). */
  setStatus(ids: readonly string[], status: JournalEntry['status']): Promise<unknown>;
  /** The peers of `sites` are gone (a reload, the pairing ended): none of their lines stays pending. */
  settlePending(sites: readonly string[]): Promise<unknown>;
}

/** Where new ids come from (random in the extension; tests may name them). */
export interface CoordinatorIds {
  pairId(): string;
  /** The peer id of `tabId`'s side of a new pairing. */
  peerId(tabId: number): string;
  lineId(): string;
}

/** What the pairing coordinator is given: where the background keeps its state, how it reaches tabs, ids and time. */
export interface CoordinatorDeps {
  readonly registry: Stored<TabRegistry>;
  readonly pairings: Stored<Pairings>;
  readonly endedPairings: Stored<EndedPairings>;
  readonly tabs: TabTransport;
  readonly journal: CoordinatorJournal;
  readonly ids: CoordinatorIds;
  readonly now: () => number;
}
