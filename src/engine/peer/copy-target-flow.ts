import { lostWithRuntime } from '../../db';
import { describeChange } from '../../journal/describe-change';
import type { SequencedBatch } from '../../sync/sequencing';
import { BLOB_STALL_MS, type BlobTransfer } from '../blob-transfer';
import { decodeDelta, type WireDelta } from '../delta';
import { missingEngineFiles } from '../engine-files';
import { installCopy, readSiteFacts, refusalFor, siteFileHashes, copyBlobs, type HandedOverDelta } from '../copy';
import { copyBytes, CopyTarget, describeCopy, describeCopyDetail, type HeldDelta, type CopyPart } from '../copy-exchange';
import type { DeltaLink } from './delta-link';
import type { LocalChanges } from './local-changes';
import type { NewEntry, PeerJournal } from './peer-journal';
import type { PeerSite } from './peer-site';

export interface CopyTargetContext {
  readonly site: PeerSite;
  readonly peerId: string;
  /** This site's slot in the copied ID plan. */
  readonly idSlot: number;
  readonly link: DeltaLink;
  readonly blobs: BlobTransfer;
  readonly journal: PeerJournal;
  readonly local: LocalChanges;
  readonly isLive: () => boolean;
  readonly isPaused: () => boolean;
  /** The copy is installed: deltas flow from the copy's position on both sides. */
  readonly goLive: () => void;
  /** The paired site's deltas go on after `appliedUpTo`. */
  readonly restartInbox: (appliedUpTo: number) => void;
  readonly resendPending: () => void;
  /**
   * The copy replaced this site's own unsent deltas: every link forgets them, and numbering goes
   * on after `atLeast` or the last seq, whichever is higher. Answers those forgotten.
   */
  readonly dropPending: (atLeast: number) => readonly SequencedBatch<WireDelta>[];
  /** The copy is installed: the links to the group's other members go on from what it included of theirs (`applied`). */
  readonly joinOthers: (applied: Readonly<Record<string, number>>, kept: readonly HandedOverDelta[]) => Promise<void>;
  /** Applies the paired site's deltas held while the copy was in flight. */
  readonly applyHeld: (held: readonly HeldDelta[]) => Promise<void>;
  readonly onCopyProgress?: (progress: { done: number; total: number }) => void;
  readonly onCopyDone?: (error?: string) => void;
}

/** Installs of one copy when the site keeps losing the engine's PHP under it. */
const COPY_INSTALL_ATTEMPTS = 3;

/** Whether `error` came from the engine's PHP gone with a rotated runtime (its files are missing now). */
async function lostToRotation(site: PeerSite, error: unknown): Promise<boolean> {
  if (lostWithRuntime(error)) return true;
  return (await missingEngineFiles(site.client).catch(() => [])).length > 0;
}

/** Who holds a copy's blobs in the store while this site pulls and installs them. */
const holderOf = (copyId: string) => `copy-in:${copyId}`;

/**
 * The target's end of a full-state copy: asks the paired site for its full state (with this
 * site's file hashes, so files it already has do not travel), takes the parts as they come,
 * pulls the bytes, checks and installs the copy, and tells the paired site. While a copy is in
 * flight the paired site's deltas are held here; they are applied after it, or dropped with it.
 */
export class CopyTargetFlow {
  private readonly target = new CopyTarget();
  /** A blob fetch ended since the copy in flight last looked (see `installIfFetched`). */
  private fetchEnded = false;

  constructor(private readonly context: CopyTargetContext) {}

  /** The copy in flight, if any. */
  get id(): string | null {
    return this.target.id;
  }

  holdDelta(delta: HeldDelta): void {
    this.target.holdDelta(delta);
  }

  /** Asks for the copy; call from a step. */
  async request(): Promise<void> {
    if (this.target.id !== null) return;
    const id = crypto.randomUUID();
    this.target.start(id, performance.now());
    try {
      const files = await siteFileHashes(this.context.site.client);
      this.context.link.control('copy-request', { copyId: id, files: [...files] });
    } catch (error) {
      await this.fail(id, error, false);
    }
  }

  /**
   * Nothing heard of the copy in flight for `quietMs`: it is given up and asked for again under
   * a new id. Resolves whether it asked again. Call from a step.
   */
  async askAgainIfStalled(quietMs: number): Promise<boolean> {
    const id = this.target.id;
    const quiet = this.target.quietFor(performance.now());
    if (id === null || quiet === null || this.context.isPaused()) return false;
    // Chunk requests or answers lost on the way (a service worker stopped in between): asked for again first.
    if (quiet >= BLOB_STALL_MS && this.target.fetch !== null) this.context.blobs.askAgainAfterStall();
    if (quiet < quietMs) return false;
    const reason = `Nothing heard of the copy for ${Math.round(quiet / 1000)} s: asked for it again`;
    this.context.link.control('copy-abort', { copyId: id, reason });
    await this.abandonBlobs(id);
    // The source's deltas held meanwhile are in the new copy or come again after it.
    this.target.settle();
    this.context.journal.write([{ direction: 'received', kind: 'pairing', target: 'full-state copy', summary: reason, status: 'info' }]);
    await this.request();
    return true;
  }

  async receivePart(part: CopyPart): Promise<void> {
    const id = this.target.id;
    if (id === null) return;
    let progress;
    try {
      progress = this.target.receive(part, performance.now());
      if (progress.kind === 'ignored') return;
      if (progress.begun !== null) {
        // Refused before the bytes are in: the versions come with the first envelope.
        const refusal = refusalFor(progress.begun, await readSiteFacts(this.context.site.client));
        if (refusal) throw refusal;
      }
    } catch (error) {
      await this.fail(id, error, true);
      return;
    }
    if (progress.kind === 'progress') {
      this.context.onCopyProgress?.({ done: progress.done, total: progress.total });
      return;
    }
    const { reassembler } = progress;
    this.context.onCopyProgress?.({ done: reassembler.byteLength, total: copyBytes(reassembler.meta, reassembler.byteLength) });
    try {
      this.target.startFetch(await reassembler.assemble(), reassembler, progress.sourceCursor);
    } catch (error) {
      await this.fail(id, error, true);
      return;
    }
    await this.installIfFetched();
  }

  /** A blob chunk was stored: progress, if it is one of the copy's. */
  stored(sha256: string, written: number): void {
    const progress = this.target.stored(sha256, written, performance.now());
    if (progress) this.context.onCopyProgress?.(progress);
  }

  /** A blob fetch ended: the copy may have all its bytes now. */
  noteFetchEnded(): void {
    this.fetchEnded = true;
  }

  /**
   * Pulls the blobs of the copy whose header is in; installs it once they are all here.
   * `onlyIfFetchEnded`: nothing to do unless a fetch ended since the last look.
   */
  async installIfFetched(onlyIfFetchEnded = false): Promise<void> {
    const id = this.target.id;
    const fetch = this.target.fetch;
    if (id === null || fetch === null || (onlyIfFetchEnded && !this.fetchEnded)) return;
    let blobs;
    do {
      // A fetch may end inside `prepare` (a part complete already): then it is looked at again.
      this.fetchEnded = false;
      blobs = await this.context.blobs.prepare(copyBlobs(fetch.copy.meta), this.context.link.remotePeerId, holderOf(id));
    } while (blobs.kind === 'waiting' && this.fetchEnded);
    if (blobs.kind === 'waiting') return;
    if (blobs.kind === 'failed') {
      await this.fail(id, new Error(`The bytes of the copy could not be fetched: ${blobs.reason}`), true);
      return;
    }
    await this.install(id);
  }

  /** The paired site gave up the copy `id` (or refused it). */
  async aborted(id: string, reason: string): Promise<void> {
    await this.fail(id, new Error(reason), false);
  }

  private async install(id: string): Promise<void> {
    const { site, peerId, idSlot, link, blobs, journal, local } = this.context;
    const { copy, baseSeq, applied, sourceCursor, headerBytes } = this.target.fetch!;
    let installation;
    for (let attempt = 1; installation === undefined; attempt++) {
      try {
        installation = await installCopy(site.client, copy, { peerId, idSlot, siteUrl: site.siteUrl, echo: site.recorder, store: site.store });
      } catch (error) {
        // Every step of an install is idempotent: one that lost the engine's PHP to a runtime rotation (older
        // builds) is completed by installing again, which writes it back.
        if (attempt < COPY_INSTALL_ATTEMPTS && (await lostToRotation(site, error))) continue;
        await this.fail(id, error, true);
        return;
      }
    }
    await blobs.releaseReceived(copyBlobs(copy.meta), holderOf(id));
    await local.replacedByCopy(copy.files.versions);
    // Numbering goes on beyond the source's cursor for this site, so none of it is taken for a duplicate.
    const dropped = this.context.dropPending(sourceCursor);
    await blobs.releaseAcked(Number.POSITIVE_INFINITY);
    journal.sentDropped();
    this.context.restartInbox(baseSeq);
    const elapsed = performance.now() - this.target.startedAt;
    const held = this.target.settle();
    this.context.goLive();
    // The links go on first: this site's old deltas the copy handed over are kept before any
    // envelope says how far the members have its deltas (`settled`, SyncPeer.settledUpTo).
    await this.context.joinOthers(applied, copy.kept ?? []);
    link.control('copy-installed', { copyId: id });
    journal.write([
      {
        direction: 'received',
        kind: 'pairing',
        target: copy.meta.siteUrl,
        summary: describeCopy(copy, elapsed),
        status: 'applied',
        detail: describeCopyDetail(installation, copyBytes(copy.meta, headerBytes)),
      },
      ...droppedLines(dropped),
    ]);
    this.context.onCopyDone?.();
    await this.context.applyHeld(held);
  }

  /** Ends the copy `id` without installing anything; the paired site is told when `tellPeer`. */
  private async fail(id: string, error: unknown, tellPeer: boolean): Promise<void> {
    if (this.target.id !== id) return;
    await this.abandonBlobs(id);
    const held = this.target.settle();
    const message = error instanceof Error ? error.message : String(error);
    if (tellPeer) this.context.link.control('copy-abort', { copyId: id, reason: message.slice(0, 2000) });
    const live = this.context.isLive();
    this.context.journal.write([
      {
        direction: 'received',
        kind: 'pairing',
        target: 'full-state copy',
        summary: `Could not copy the paired site’s full state: ${message}`.slice(0, 500),
        status: 'failed',
        detail:
          `${error instanceof Error ? `${error.name}${'code' in error ? ` (${String(error.code)})` : ''}: ` : ''}${message}\n` +
          (live ? 'Live sync goes on as before the request.' : 'Live sync has not started: ask for a copy again.'),
      },
    ]);
    this.context.onCopyDone?.(message);
    if (live) {
      this.context.resendPending();
      // The paired site's deltas held meanwhile are applied as usual (a live site was not changed).
      await this.context.applyHeld(held);
    }
  }

  /** The blobs of the copy `id` in flight here: no more pulling, and what was pulled goes. */
  private async abandonBlobs(id: string): Promise<void> {
    const fetch = this.target.fetch;
    if (this.target.id === id && fetch !== null) await this.context.blobs.abandon(copyBlobs(fetch.copy.meta), holderOf(id));
  }
}

/**
 * What the copy replaced of this site's own changes, never sent. Said to people when they made
 * them (a post, a setting); WordPress's own writes of a fresh page are a technical line.
 */
function droppedLines(dropped: readonly SequencedBatch<WireDelta>[]): NewEntry[] {
  if (dropped.length === 0) return [];
  const made = dropped.flatMap((batch) => {
    const decoded = decodeDelta(batch.payload);
    return decoded.ok ? (describeChange(decoded.delta)?.subjects ?? []) : [];
  });
  const detail = `Batches ${dropped[0]!.seq} to ${dropped.at(-1)!.seq}${made.length > 0 ? `:\n${made.join('\n')}` : ''}`;
  if (made.length === 0) {
    return [{ direction: 'local', kind: 'rows', target: 'local changes', summary: `Dropped ${dropped.length} unsent change(s) WordPress made before the copy: the copy replaced them`, status: 'info', detail }];
  }
  const named = made.length === 1 ? made[0]! : `${made[0]} and ${made.length - 1} more`;
  return [{ direction: 'local', kind: 'pairing', target: 'local changes', summary: `Replaced by the copy, never sent: ${named}`, status: 'info', detail }];
}
