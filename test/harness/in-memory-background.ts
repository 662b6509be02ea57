import { appendEntries, settlePendingLines } from '../../src/journal/journal';
import type { CoordinatorDeps, CoordinatorIds, CoordinatorJournal, Stored, TabTransport } from '../../src/pairing/coordinator-deps';
import { noEndedPairings, noPairings, type EndedPairings, type Pairings } from '../../src/pairing/pairings';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { emptyRegistry, type TabRegistry } from '../../src/registry/tab-registry';

/** A value kept in memory, updated one change at a time (as the extension's session values are). */
export class MemoryStore<T> implements Stored<T> {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(public value: T) {}
  read(): Promise<T> {
    return Promise.resolve(this.value);
  }
  update(change: (value: T) => T): Promise<T> {
    const next = this.queue.then(() => (this.value = change(this.value)));
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** The journal the popup would show, in memory: every line in order, a line sent again under its id replacing it. */
export class MemoryJournal implements CoordinatorJournal {
  readonly entries: JournalEntry[] = [];
  append(entries: readonly JournalEntry[]): Promise<unknown> {
    this.replace(appendEntries(this.entries, entries, { entries: Infinity, bytes: Infinity }));
    return Promise.resolve();
  }
  setStatus(ids: readonly string[], status: JournalEntry['status']): Promise<unknown> {
    for (const entry of this.entries) if (ids.includes(entry.id)) entry.status = status;
    return Promise.resolve();
  }
  settlePending(sites: readonly string[]): Promise<unknown> {
    this.replace(settlePendingLines(this.entries, sites));
    return Promise.resolve();
  }
  private replace(entries: readonly JournalEntry[]): void {
    if (entries !== this.entries) this.entries.splice(0, this.entries.length, ...entries);
  }
}

/** Random ids, as the extension makes them. */
export const randomIds: CoordinatorIds = {
  pairId: () => crypto.randomUUID(),
  peerId: () => crypto.randomUUID(),
  lineId: () => crypto.randomUUID(),
};

export interface MemoryBackground {
  readonly registry: MemoryStore<TabRegistry>;
  readonly pairings: MemoryStore<Pairings>;
  readonly endedPairings: MemoryStore<EndedPairings>;
  readonly journal: MemoryJournal;
  readonly deps: CoordinatorDeps;
}

/** What the background keeps, in memory, around `tabs`: the coordinator's dependencies and their state to read. */
export function memoryBackground(tabs: TabTransport, options: { ids?: Partial<CoordinatorIds>; now?: () => number } = {}): MemoryBackground {
  const registry = new MemoryStore<TabRegistry>(emptyRegistry);
  const pairings = new MemoryStore<Pairings>(noPairings);
  const endedPairings = new MemoryStore<EndedPairings>(noEndedPairings);
  const journal = new MemoryJournal();
  const ids = { ...randomIds, ...options.ids };
  return { registry, pairings, endedPairings, journal, deps: { registry, pairings, endedPairings, journal, tabs, ids, now: options.now ?? Date.now } };
}
