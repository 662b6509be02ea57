import { fitEntry } from '../../journal/journal';
import { RecurringFailures } from '../../journal/recurring';
import type { JournalEntry } from '../../protocol/journal-entry';
import type { Unsyncable } from '../syncable-changes';

/** A journal line as the peer's parts write it: the journal adds its id, time and site. */
export type NewEntry = Omit<JournalEntry, 'id' | 'time' | 'site'>;

export interface PeerJournalOptions {
  readonly peerId: string;
  readonly siteUrl: string;
  readonly wallClock?: () => number;
  readonly onJournal?: (entries: JournalEntry[]) => void;
  readonly onJournalStatus?: (ids: string[], status: JournalEntry['status']) => void;
}

/**
 * One peer's journal: numbers and stamps its lines, folds failures that keep coming back, and
 * settles the status of lines whose outcome comes later (a sent delta acknowledged, a copy
 * installed or refused).
 */
export class PeerJournal {
  /** Set once the peer stops: failures of its work in flight are its site going, not news. */
  stopping = false;
  private count = 0;
  private readonly recurring = new RecurringFailures();
  /** Line ids are unique across restarts of a peer with the same id (a reloaded tab). */
  private readonly prefix: string;
  /** The lines of each unacknowledged delta, by seq. */
  private readonly sentLines = new Map<number, string[]>();
  /** The line of each full-state copy sent and not yet installed or refused, by copy id. */
  private readonly copyLines = new Map<string, string[]>();
  /** Paths already journaled as not syncable. */
  private readonly skippedPaths = new Set<string>();

  constructor(private readonly options: PeerJournalOptions) {
    this.prefix = `${options.peerId.slice(0, 40)}-${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Journals `entries`; answers their ids. */
  write(entries: NewEntry[]): string[] {
    if (this.stopping) entries = entries.filter((entry) => entry.status !== 'failed' && entry.status !== 'rejected');
    if (entries.length === 0 || !this.options.onJournal) return [];
    const time = this.options.wallClock?.() ?? Date.now();
    const site = this.options.siteUrl.slice(0, 200);
    const lines = entries.map((entry) => this.recurring.fold({ ...fitEntry(entry), id: `${this.prefix}-${++this.count}`, time, site }));
    this.options.onJournal(lines);
    return lines.map((line) => line.id);
  }

  /** A message from the paired site refused whole: nothing of it was used. */
  refused(target: string, summary: string): void {
    this.write([{ direction: 'received', kind: 'input', target, summary: summary.slice(0, 500), status: 'rejected' }]);
  }

  unexpected(error: unknown): void {
    if (this.stopping) return;
    const summary = `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    this.write([{ direction: 'local', kind: 'pairing', target: 'sync engine', summary, status: 'failed' }]);
  }

  /** File changes left out because the paired site could never take their paths: shown once per path. */
  skipped(skipped: readonly Unsyncable[]): void {
    const fresh = skipped.filter(({ path }) => !this.skippedPaths.has(path));
    for (const { path } of fresh) this.skippedPaths.add(path);
    this.write(
      fresh.map(({ path, reason }) => ({
        direction: 'local',
        kind: 'files',
        target: path,
        summary: `Not synced: the paired site cannot take this file name (${reason}). Rename it to sync it; everything else goes on.`,
        status: 'failed',
      })),
    );
  }

  /** The lines of the delta `seq` sent: `applied` once the paired site acknowledges it. */
  trackSent(seq: number, ids: string[]): void {
    this.sentLines.set(seq, ids);
  }

  sentAcknowledged(upTo: number): void {
    const ids: string[] = [];
    for (const [seq, lines] of this.sentLines) {
      if (seq > upTo) continue;
      ids.push(...lines);
      this.sentLines.delete(seq);
    }
    this.settle(ids, 'applied');
  }

  /** Sent deltas that will never be acknowledged (a copy replaced them): no longer pending. */
  sentDropped(): void {
    const ids = [...this.sentLines.values()].flat();
    this.sentLines.clear();
    this.settle(ids, 'info');
  }

  trackCopy(copyId: string, ids: string[]): void {
    this.copyLines.set(copyId, ids);
  }

  copySettled(copyId: string, status: JournalEntry['status']): void {
    const ids = this.copyLines.get(copyId) ?? [];
    this.copyLines.delete(copyId);
    this.settle(ids, status);
  }

  private settle(ids: string[], status: JournalEntry['status']): void {
    if (ids.length > 0) this.options.onJournalStatus?.(ids, status);
  }
}
