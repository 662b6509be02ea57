import type { ChangeFeed } from '../../db';
import type { FileChange } from '../../files';
import { encodeHlc, type HlcClock } from '../../sync/hlc';
import type { Delta } from '../delta';
import { isEmptyDelta } from '../delta';
import type { FileVersionEntry, FileVersions } from '../file-versions';
import { currentFiles, orderedChanges } from '../rejoin';
import { splitSyncable } from '../syncable-changes';
import type { EngineGuard } from './engine-guard';
import type { PeerJournal } from './peer-journal';
import type { PeerSite } from './peer-site';
import type { Steps } from './steps';

/** Database batches (each at most about 2 MiB, see capture-drain.php) taken from the site's outbox and not yet acknowledged, at most. */
export const MAX_BATCHES_IN_FLIGHT = 4;

export interface LocalChangesOptions {
  readonly site: PeerSite;
  readonly feed: ChangeFeed;
  readonly clock: HlcClock;
  readonly fileVersions: FileVersions;
  readonly guard: EngineGuard;
  readonly journal: PeerJournal;
  readonly steps: Steps;
  readonly fileSettleMs: number;
  /** Takes a delta made of this site's changes out to the paired site; answers its seq there. */
  readonly send: (delta: Delta) => number;
}

/**
 * What changes on this site, made into deltas: rows from the site's outbox (a window of its
 * batches at a time), files from the recorder once they settle. The site's outbox forgets a
 * batch only once the delta carrying it is acknowledged.
 */
export class LocalChanges {
  private fileTimer: ReturnType<typeof setTimeout> | undefined;
  /** A pull of the site's outbox is queued and has not started yet. */
  private pullQueued = false;
  /** Batches wait in the site's outbox until fewer of the ones taken are unacknowledged. */
  private pullHeld = false;
  /** A pull is taking batches from the site's outbox now. */
  private pulling = false;
  /** The database batch (its seq in the site's outbox) each unacknowledged delta carries. */
  private readonly batchOfDelta = new Map<number, number>();

  constructor(private readonly options: LocalChangesOptions) {}

  /** Whether changes of this site are not in a delta yet: batches waiting in its outbox, files settling. */
  get unsent(): boolean {
    return this.pullQueued || this.pulling || this.pullHeld || this.fileTimer !== undefined;
  }

  /** The site said batches wait in its outbox: one pull, queued behind the work in progress. */
  schedulePull(): void {
    if (this.pullQueued) return;
    this.pullQueued = true;
    void this.options.steps.run(async () => {
      this.pullQueued = false;
      await this.pull();
    });
  }

  /** Files were recorded: they go out once the site has been quiet for a moment. */
  scheduleFileFlush(): void {
    clearTimeout(this.fileTimer);
    this.fileTimer = setTimeout(() => {
      this.fileTimer = undefined;
      void this.options.steps.run(() => this.send(null));
    }, this.options.fileSettleMs);
  }

  /**
   * Takes the batches waiting in the site's outbox into deltas, in order; journals failed drains.
   * Call from a step.
   */
  async pull(): Promise<void> {
    // The site's outbox keeps batches durably: this side holds only a window of them (memory stays
    // bounded through a big import, or while sync is paused), and takes more as they are acknowledged.
    const room = MAX_BATCHES_IN_FLIGHT - this.batchOfDelta.size;
    this.pullHeld = room <= 0;
    if (!this.pullHeld) await this.take(room);
  }

  /**
   * Takes every batch waiting in the site's outbox into deltas, past the window: a full-state copy
   * is about to hold their rows, and its target's database cursor for this site goes past them, so
   * they must be deltas its target has (and keeps for relaying) too. Call from a step.
   */
  pullAll(): Promise<void> {
    return this.take(Number.POSITIVE_INFINITY);
  }

  private async take(limit: number): Promise<void> {
    const { feed, guard, journal } = this.options;
    this.pulling = true;
    try {
      const { batches, errors, more } = await guard.run(() => feed.pull(limit));
      for (const cause of errors) {
        journal.write([{ direction: 'local', kind: 'rows', target: 'site capture', summary: cause.slice(0, 500), status: 'failed', detail: cause }]);
      }
      for (const batch of batches) await this.send(batch);
      this.pullHeld = more;
    } finally {
      this.pulling = false;
    }
    this.pullAgainIfRoom();
  }

  /**
   * Sends the files recorded so far, `db` and `alsoFiles` (changes read otherwise) as one delta.
   * Call from a step.
   */
  async send(db: Delta['db'], alsoFiles: readonly FileChange[] = []): Promise<void> {
    const { site, clock, fileVersions, journal } = this.options;
    // The numberer's renumberings go alone (see `WireDeltaSchema`): the files wait for the next delta.
    if (db?.renumber) {
      this.batchOfDelta.set(this.options.send({ files: [], db, hlc: encodeHlc(clock.now()) }), db.seq);
      return;
    }
    const files = await site.recorder.takeBatch();
    const { syncable, skipped, arrived } = splitSyncable([...files.changes, ...alsoFiles]);
    journal.skipped(skipped);
    const arrivedNow = arrived.length > 0 ? await this.readCurrent(arrived) : [];
    const delta: Delta = { files: orderedChanges([...syncable, ...arrivedNow]), db, hlc: encodeHlc(clock.now()) };
    if (isEmptyDelta(delta)) return;
    fileVersions.record(delta.files, delta.hlc);
    const seq = this.options.send(delta);
    if (db) this.batchOfDelta.set(seq, db.seq);
  }

  /** The files at `paths` as they are on the site now, as changes. */
  readCurrent(paths: readonly string[]): Promise<FileChange[]> {
    const { reader, root, exclusions } = this.options.site;
    return currentFiles(reader, root, exclusions, paths);
  }

  /** The last database batch of this site's that the paired site acknowledged (the outbox keeps none up to it). */
  get acknowledgedBatch(): number {
    return this.options.feed.releasedUpTo;
  }

  /** The site's outbox may forget the database batches of deltas the paired site acknowledged. */
  acknowledged(upTo: number): void {
    for (const [deltaSeq, batchSeq] of this.batchOfDelta) {
      if (deltaSeq > upTo) continue;
      this.options.feed.releaseUpTo(batchSeq);
      this.batchOfDelta.delete(deltaSeq);
    }
    this.pullAgainIfRoom();
  }

  /**
   * A full-state copy replaced the site: what was recorded so far is the copy's, its files'
   * versions are the source's (`versions`), the site's outbox was emptied and its batch numbering
   * goes on from the copy's.
   */
  async replacedByCopy(versions: readonly FileVersionEntry[]): Promise<void> {
    await this.options.site.recorder.takeBatch();
    this.options.fileVersions.replaceWith(versions);
    this.batchOfDelta.clear();
    this.options.feed.restart();
  }

  /** No more file flushes of their own (the peer is stopping). */
  stopFlushing(): void {
    clearTimeout(this.fileTimer);
    this.fileTimer = undefined;
  }

  /** Stops listening to the site's drains and recording its files. */
  async close(): Promise<void> {
    await this.options.feed.stop();
    await this.options.site.recorder.stop();
  }

  /** Takes more of the batches left in the site's outbox once the window has room for them. */
  private pullAgainIfRoom(): void {
    if (this.pullHeld && this.batchOfDelta.size < MAX_BATCHES_IN_FLIGHT) this.schedulePull();
  }
}
