import browser from 'webextension-polyfill';
import { appendEntries, settlePendingLines } from '../src/journal/journal';
import { PagedJournalWriter } from '../src/journal/journal-pages';
import type { JournalEntry } from '../src/protocol/journal-entry';
import {
  ENDED_PAIRINGS_STORAGE_KEY,
  noEndedPairings,
  noPairings,
  PAIRINGS_STORAGE_KEY,
  type EndedPairings,
  type Pairings,
} from '../src/pairing/pairings';
import { emptyRegistry, REGISTRY_STORAGE_KEY, type TabRegistry } from '../src/registry/tab-registry';
import { showBadge } from './badge';
import { sessionValue } from './session-value';

/** Everything the background knows, each in session storage (read by the popup too). */
export const registry = sessionValue<TabRegistry>(REGISTRY_STORAGE_KEY, emptyRegistry);
export const pairings = sessionValue<Pairings>(PAIRINGS_STORAGE_KEY, noPairings, showBadge);
export const endedPairings = sessionValue<EndedPairings>(ENDED_PAIRINGS_STORAGE_KEY, noEndedPairings);
const journal = new PagedJournalWriter({
  get: async (key) => (await browser.storage.session.get(key))[key],
  set: (items) => browser.storage.session.set(items),
  remove: (keys) => browser.storage.session.remove(keys),
});

/** The journal's limits are kept by its pages (whole pages go), not here. */
const UNBOUNDED = { entries: Infinity, bytes: Infinity };

export function journalAppend(entries: readonly JournalEntry[]): Promise<unknown> {
  if (entries.length === 0) return Promise.resolve();
  return journal.update((current) => appendEntries(current, entries, UNBOUNDED));
}

/** Sets the status of the lines `ids` (e.g. a sent batch the other tab acknowledged). */
export function journalSetStatus(ids: readonly string[], status: JournalEntry['status']): Promise<unknown> {
  const wanted = new Set(ids);
  return journal.update((current) =>
    current.some((entry) => wanted.has(entry.id) && entry.status !== status)
      ? current.map((entry) => (wanted.has(entry.id) ? { ...entry, status } : entry))
      : current,
  );
}

/** The peers of `sites` are gone (a reload, the pairing ended): none of their lines stays pending. */
export function journalSettlePending(sites: readonly string[]): Promise<unknown> {
  return journal.update((current) => settlePendingLines(current, sites));
}

export function journalClear(): Promise<unknown> {
  return journal.update(() => []);
}
