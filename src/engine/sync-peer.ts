import { applyCheckedBatch, ChangeFeed, installCapture, lostWithRuntime } from '../db';
import {
  applyFileChangesAtomically,
  BlobStore,
  Exclusions,
  FileRecorder,
  findDatabasePath,
  SizeAwareReader,
  type FileChange,
  type FileContentReader,
} from '../files';
import type { SiteClient } from '../platform/site-client';
import type { JournalEntry } from '../protocol/journal-entry';
import { RecurringFailures } from '../journal/recurring';
import { compareHlc, createHlcClock, decodeHlc, encodeHlc, type Hlc, type HlcClock } from '../sync/hlc';
import {
  createInboxCursor,
  createOutbox,
  inboxApplied,
  inboxObserveSenderSeq,
  inboxReady,
  inboxReceive,
  outboxAck,
  outboxDropPending,
  outboxEnqueue,
  outboxMapPending,
  outboxMarkSent,
  outboxPending,
  outboxResend,
  type InboxCursor,
  type OutboxState,
  type SequencedBatch,
} from '../sync/sequencing';
import { fitEntry } from '../journal/journal';
import { deltasToResend, type ResendState } from '../sync/resend-policy';
import { FrameAssembler, isFrameLike, MAX_FRAMED_ENVELOPE_BYTES, MAX_WIRE_MESSAGE_BYTES, toFrames } from '../sync/framing';
import { jsonByteLength } from '../sync/json-size';
import { MAX_ENVELOPE_BYTES, parseEnvelope, parseLaneChunk, WIRE_VERSION, type Envelope, type EnvelopeOf, type PeerMessage } from '../sync/wire';
import type { BlobLane } from '../sync/broadcast-lane';
import { BLOB_STALL_MS, BlobTransfer, type BlobMessage } from './blob-transfer';
import { blobWritesOf, decodeDelta, encodeDelta, isEmptyDelta, WireDeltaSchema, type Delta, type WireDelta } from './delta';
import { missingEngineFiles, reinstallEngine } from './engine-files';
import { splitSyncable, type Unsyncable } from './syncable-changes';
import { currentFiles, filesWanted, orderedChanges, pathsBelowFoldersOnTheWay, pathsOnTheWay } from './rejoin';
import { FileVersions } from './file-versions';
import { fileChangesToApply } from './spare-newer';
import {
  captureSnapshot,
  installSnapshot,
  readSiteFacts,
  refusalFor,
  siteFileHashes,
  snapshotBlobs,
  snapshotToEnvelopes,
} from './snapshot';
import { copyBytes, CopySource, CopyTarget, describeCopy, describeCopyDetail, formatBytes, type HeldDelta, type SnapshotPart } from './snapshot-exchange';
import { describeApply, describeDelta } from './summaries';

export interface SyncPeerOptions {
  client: SiteClient;
  pairId: string;
  /** This site's peer id, and the paired site's. */
  peerId: string;
  remotePeerId: string;
  /** Hands one JSON-safe envelope to the transport towards the paired site. */
  send: (message: PeerMessage<WireDelta>) => void;
  /**
   * This tab's lane straight to the paired tab (wire.ts), for blob chunks' bytes; what arrives on
   * it goes to `receiveLane`. Without one, they go by `send` like everything else.
   */
  lane?: BlobLane;
  /** Journal lines as they happen. */
  onJournal?: (entries: JournalEntry[]) => void;
  /** Quiet time after the last file event before file-only changes go out. */
  fileSettleMs?: number;
  wallClock?: () => number;
  /** Ask the peer for a full-state copy right away; send no local changes until it is installed. */
  awaitSnapshot?: boolean;
  /**
   * The site is a saved site that reloaded while paired: it kept its files and database (with the
   * engine's tables and captured rows) and lost this peer. Resume from there with the peer, which
   * is still running: no full-state copy (see `rejoin.ts`).
   */
  resume?: boolean;
  /** Start with sync off (see `setPaused`). */
  paused?: boolean;
  /** The count of unacknowledged local deltas, whenever it changes (the toolbar badge). */
  onPending?: (count: number) => void;
  /** Bytes of a full-state copy received so far, of `total`. */
  onCopyProgress?: (progress: { done: number; total: number }) => void;
  /** A full-state copy this site asked for ended: installed, or not (`error`, also journaled). */
  onCopyDone?: (error?: string) => void;
  /** Journal lines whose status changed: a sent delta's lines become `applied` once the peer acknowledged it. */
  onJournalStatus?: (ids: string[], status: JournalEntry['status']) => void;
  /**
   * What keeps this site from syncing right now (its engine files lost, a received change it
   * cannot apply), or `null` once nothing does. Told on every change.
   */
  onProblem?: (problem: string | null) => void;
}

type NewEntry = Omit<JournalEntry, 'id' | 'time' | 'site'>;

/** Runs of one engine task when the site keeps losing the engine's files under it. */
const ENGINE_TASK_ATTEMPTS = 3;
/** Database batches (each at most about 2 MiB, see capture-drain.php) taken from the site's outbox and not yet acknowledged, at most. */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** Work an envelope started beside the ordered steps (wrapped: a step's promise would wait for it). */
interface Beside {
  readonly work: Promise<void>;
}

/**
 * One site's end of a pairing: captures what changes on it (rows through the capture triggers,
 * files through the FS journal) and sends it as sequenced deltas; applies the peer's deltas in
 * order, each all or nothing on the database side, and acknowledges them. Everything that
 * touches the site runs one step at a time, except the bytes of blob chunks: served and stored
 * beside the steps, so a window of them moves at once.
 */
export class SyncPeer {
  private outbox: OutboxState<WireDelta> = createOutbox();
  private inbox: InboxCursor<WireDelta> = createInboxCursor();
  private chain: Promise<unknown> = Promise.resolve();
  private fileTimer: ReturnType<typeof setTimeout> | undefined;
  private feed: ChangeFeed | undefined;
  /** A pull of the site's outbox is queued and has not started yet. */
  private pullQueued = false;
  /** Batches wait in the site's outbox until fewer of the ones taken are unacknowledged. */
  private pullHeld = false;
  /** The database batch (its seq in the site's outbox) each unacknowledged delta carries. */
  private readonly batchOfDelta = new Map<number, number>();
  private journalCount = 0;
  private readonly recurring = new RecurringFailures();
  /** Journal ids are unique across restarts of a peer with the same id (a reloaded tab). */
  private readonly journalPrefix: string;
  /** The journal line of each full-state copy sent and not yet installed or refused, by snapshot id. */
  private readonly copyLines = new Map<string, string[]>();
  /** The journal lines of each unacknowledged delta, by seq. */
  private readonly sentLines = new Map<number, string[]>();
  /** The peer's site URL from its latest delta, for held batches applied later. */
  private lastPeerSiteUrl = '';
  private readonly clock: HlcClock;
  private fileVersions = new FileVersions();
  private paused: boolean;
  private stopping = false;
  /** False until the copy asked for at start is installed (and after it failed): no deltas in or out. */
  private live: boolean;
  /** A copy asked for while paused: requested on resume. */
  private copyOnResume = false;
  private readonly copyTarget = new CopyTarget();
  private readonly copySource = new CopySource();
  /** The copy whose blobs this site serves (as the source), if any. */
  private servedCopy: string | null = null;
  /** This site reloaded and asked the peer to rejoin (under this id, then): nothing else goes out or comes in until it answers. */
  private rejoin: { id: string; askedAt: number } | null = null;
  /** Envelopes of the peer's stamped before this are from before a reload (of either side) and are ignored. */
  private peerSince: Hlc | null = null;
  /** When this page (this peer) started; the peer's rejoin envelopes carry theirs. */
  private readonly pageSince: Hlc;
  /** The start of the peer's latest page heard of: rejoin envelopes from an earlier page are from a page that is gone. */
  private peerPageSince: Hlc | null = null;
  /** The stamp of the latest rejoin request answered: its duplicates and the page's older requests are not answered again. */
  private rejoinAnswered: Hlc | null = null;
  /** Paths already journaled as not syncable (splitSyncable). */
  private readonly skippedPaths = new Set<string>();
  /** When unacknowledged deltas go out again on their own (resend-policy.ts). */
  private resend: ResendState = { lastProgressMs: 0, refusedFrom: null };
  /** Envelopes too big for one message arrive as frames: joined here. */
  private readonly frames: FrameAssembler;
  /** The peer's clock on the envelope that carried the latest ack. */
  private lastAckClock: Hlc | null = null;
  private problem: string | null = null;
  private readonly blobs: BlobTransfer;
  /** A blob fetch ended since the copy in flight last looked (see `installCopyIfFetched`). */
  private fetchEnded = false;

  private constructor(
    private readonly options: SyncPeerOptions,
    private readonly siteUrl: string,
    private readonly root: string,
    private readonly recorder: FileRecorder,
    private readonly exclusions: Exclusions,
    private readonly store: BlobStore,
    private readonly reader: FileContentReader,
  ) {
    this.clock = createHlcClock(options.peerId, { wallClock: options.wallClock });
    this.pageSince = this.clock.now();
    this.frames = new FrameAssembler({ pairId: options.pairId, self: options.peerId, peer: options.remotePeerId });
    this.journalPrefix = `${options.peerId.slice(0, 40)}-${Math.random().toString(36).slice(2, 8)}`;
    this.paused = options.paused ?? false;
    this.live = !options.awaitSnapshot;
    this.blobs = new BlobTransfer({
      store,
      send: (message) => this.sendBlobMessage(message),
      lane: options.lane && {
        address: options.lane.address,
        send: (to, chunk) => {
          if (!this.stopping) options.lane?.send(to, { v: WIRE_VERSION, kind: 'blob-bytes', pairId: options.pairId, from: options.peerId, ...chunk });
        },
      },
      onFetchEnded: () => {
        this.fetchEnded = true;
        void this.step(() => this.applyReadyIfReceiving());
      },
      // A stored chunk is booked as a step of its own; the copy in flight installs once its bytes are all
      // here. A stopped peer books nothing more (its site may be another one now).
      inOrder: (work) =>
        this.stopping
          ? Promise.resolve()
          : this.step(async () => {
              await work();
              await this.installCopyIfFetched(true);
            }),
      onStored: (sha256, written) => {
        const progress = this.copyTarget.stored(sha256, written, performance.now());
        if (progress) this.options.onCopyProgress?.(progress);
      },
      journal: (entries) => this.journal(entries),
    });
  }

  /** Installs capture on the site (idempotent) and starts recording. */
  static async start(options: SyncPeerOptions): Promise<SyncPeer> {
    const { client } = options;
    // The recorder and the message listener start before the peer exists; they reach it once it does.
    const started: { peer?: SyncPeer } = {};
    // Listening comes before capture, so no drain's signal is missed.
    const feed = await ChangeFeed.listen(client, {
      peerId: options.peerId,
      onSignal: () => started.peer?.schedulePull(),
      onDrainError: (cause) => started.peer?.journal([{ direction: 'local', kind: 'rows', target: 'site capture', summary: cause, status: 'failed' }]),
      onRejected: (error, source) => started.peer?.journal([{ direction: 'local', kind: 'input', target: source, summary: error.slice(0, 500), status: 'rejected' }]),
    });
    const [absoluteUrl, root] = await Promise.all([client.absoluteUrl, client.documentRoot]);
    const siteUrl = absoluteUrl.replace(/\/+$/, '');
    // A resumed site keeps the rows its outbox holds (the reload lost only the engine's files).
    if (options.resume) await reinstallEngine(client, { peerId: options.peerId, siteUrl });
    else await installCapture(client, { peerId: options.peerId, siteUrl, discardOutbox: true });
    const exclusions = Exclusions.forSite(root, await findDatabasePath(client, root));
    // Blobs of an earlier page's deltas are of no use: that page's outbox and fetches are gone.
    const store = BlobStore.forSite(readerOf(client), root);
    await store.clear();
    const reader = new SizeAwareReader(readerOf(client), store);
    const recorder = await FileRecorder.start({ ...readerOf(client), journalFSEvents: (path, callback) => client.journalFSEvents(path, callback) }, {
      root,
      exclusions,
      reader,
      onUnsentBlobs: (names) => void started.peer?.blobs.discardUnlessHeld(names),
      onTracked: () => started.peer?.scheduleFileFlush(),
    });
    const peer = new SyncPeer(options, siteUrl, root, recorder, exclusions, store, reader);
    peer.feed = feed;
    started.peer = peer;
    if (options.resume) await peer.step(() => peer.sendRejoin());
    else if (options.awaitSnapshot) await peer.requestSnapshot();
    // Changes captured while capture was being installed.
    peer.schedulePull();
    return peer;
  }

  /** Unacknowledged deltas (the badge's pending count). */
  get pendingCount(): number {
    return outboxPending(this.outbox).length;
  }

  /** Sends what the site holds right now: changes made outside requests, files still settling. */
  async flush(): Promise<void> {
    await this.step(async () => {
      await this.pullSiteChanges();
      await this.enqueueLocalChanges(null);
    });
  }

  /**
   * Takes one envelope from the transport. Anything malformed or foreign is journaled and dropped.
   * Resolves once its work is done, including a blob chunk served or stored beside the ordered steps.
   */
  async receive(message: unknown): Promise<void> {
    const beside = await this.step(() => this.handleEnvelope(message));
    await beside?.work;
  }

  /** Takes one message from this tab's lane (a blob chunk's bytes): stored beside the ordered steps; anything else is journaled and dropped. */
  async receiveLane(message: unknown): Promise<void> {
    if (this.stopping) return;
    const parsed = parseLaneChunk(message, { pairId: this.options.pairId, self: this.options.peerId, peer: this.options.remotePeerId });
    if (!parsed.ok) {
      this.journal([{ direction: 'received', kind: 'input', target: 'peer message', summary: parsed.error.slice(0, 500), status: 'rejected' }]);
      return;
    }
    await this.beside(this.blobs.receiveLaneChunk(parsed.value)).work;
  }

  /** Applies received deltas again after a failure (e.g. once its cause was fixed). */
  retry(): Promise<void> {
    return this.step(() => this.applyReady([...inboxReady(this.inbox)]));
  }

  /**
   * Puts the engine back if the site lost its files (see `reinstallIfLost`); resolves whether it
   * had to. Costs a few file look-ups and no PHP request when nothing is missing: cheap enough to
   * call every few seconds.
   */
  repairIfLost(): Promise<boolean> {
    return this.step(async () => {
      if (!(await this.reinstallIfLost())) return false;
      // What the triggers captured meanwhile leaves now (a pull captures it into the outbox first).
      await this.pullSiteChanges();
      return true;
    });
  }

  /** Sends every unacknowledged delta again (after a reconnect), and asks again for the blob chunks on their way here. */
  resendPending(): void {
    this.blobs.askAgain();
    if (!this.sendsDeltas) return;
    for (const batch of outboxPending(this.outbox)) this.sendDelta(batch);
  }

  /**
   * What a tab's timer calls every few seconds: sends again the unacknowledged deltas whose wait
   * is over (see resend-policy.ts: backing off while nothing is heard, never while acknowledgements
   * come, never a delta the peer refused).
   */
  resendDue(nowMs = performance.now()): void {
    if (!this.sendsDeltas) return;
    for (const entry of deltasToResend(this.outbox, nowMs, this.resend)) this.sendDelta(entry);
  }

  /**
   * Asks the peer for its full state. Resolves once the request (with this site's file hashes)
   * is sent; the copy ends with `onCopyDone` and a journal line. While it is in flight this site
   * sends no deltas and holds the peer's; once installed, its own unacknowledged changes are
   * dropped (the copy replaced them) and deltas flow from the copy's position on both sides.
   * While paused, the request goes out on resume.
   */
  requestSnapshot(): Promise<void> {
    if (this.paused) {
      this.copyOnResume = true;
      return Promise.resolve();
    }
    return this.step(() => this.sendCopyRequest());
  }

  /**
   * A copy in flight that heard nothing from the source for `quietMs` (its request or some of its
   * envelopes were lost, e.g. with a service worker stopped in between) is aborted and asked for
   * again under a new id. Resolves whether it asked again.
   */
  askAgainIfCopyStalled(quietMs: number): Promise<boolean> {
    return this.step(async () => {
      const id = this.copyTarget.id;
      const quiet = this.copyTarget.quietFor(performance.now());
      if (id === null || quiet === null || this.paused) return false;
      // Chunk requests or answers lost on the way (a service worker stopped in between): asked for again first.
      if (quiet >= BLOB_STALL_MS && this.copyTarget.fetch !== null) this.blobs.askAgainAfterStall();
      if (quiet < quietMs) return false;
      const reason = `Nothing heard of the copy for ${Math.round(quiet / 1000)} s: asked for it again`;
      this.sendControl({ ...this.header('snapshot-abort'), seq: this.outbox.lastSeq, snapshotId: id, reason });
      await this.abandonCopyBlobs(id);
      // The source's deltas held meanwhile are in the new copy or come again after it.
      this.copyTarget.settle();
      this.journal([{ direction: 'received', kind: 'pairing', target: 'full-state copy', summary: reason, status: 'info' }]);
      await this.sendCopyRequest();
      return true;
    });
  }

  /**
   * Sync off: local changes are still captured and queued (see `onPending`), nothing is sent and
   * the peer's deltas are left unapplied (it keeps them until acknowledged). On resume every
   * pending delta goes out and the peer is asked for what it sent meanwhile.
   */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) return;
    if (this.copyOnResume) {
      this.copyOnResume = false;
      void this.requestSnapshot();
    }
    if (!this.sendsDeltas) return;
    this.resendPending();
    this.sendControl({ ...this.header('resend'), seq: this.outbox.lastSeq, resendFrom: this.inbox.appliedUpTo + 1 });
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Deltas flow: not paused, not waiting for (or after a failed) first copy, no copy in flight, not rejoining. */
  private get sendsDeltas(): boolean {
    return !this.paused && this.live && this.copyTarget.id === null && this.rejoin === null;
  }

  /** Stops for good. Work in flight may fail as its site goes (a replaced client): that is no failure to report. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.fileTimer);
    await this.chain;
    await this.withdrawServedCopy().catch(() => undefined);
    await this.feed?.stop();
    await this.recorder.stop();
  }

  /** The site said batches wait in its outbox: one pull, queued behind the work in progress. */
  private schedulePull(): void {
    if (this.pullQueued) return;
    this.pullQueued = true;
    void this.step(async () => {
      this.pullQueued = false;
      await this.pullSiteChanges();
    });
  }

  /**
   * Takes the batches waiting in the site's outbox into deltas, in order; journals failed drains.
   * A pull that finds the engine gone reinstalls it and pulls again.
   */
  private async pullSiteChanges(): Promise<void> {
    const feed = this.feed;
    if (!feed) return;
    // The site's outbox keeps batches durably: this side holds only a window of them (memory stays
    // bounded through a big import, or while sync is paused), and takes more as they are acknowledged.
    const room = MAX_BATCHES_IN_FLIGHT - this.batchOfDelta.size;
    this.pullHeld = room <= 0;
    if (this.pullHeld) return;
    const { batches, errors, more } = await this.withEngine(() => feed.pull(room));
    for (const cause of errors) {
      this.journal([{ direction: 'local', kind: 'rows', target: 'site capture', summary: cause.slice(0, 500), status: 'failed', detail: cause }]);
    }
    for (const batch of batches) await this.enqueueLocalChanges(batch);
    this.pullHeld = more;
    this.pullAgainIfRoom();
  }

  /** Takes more of the batches left in the site's outbox once the window has room for them. */
  private pullAgainIfRoom(): void {
    if (this.pullHeld && this.batchOfDelta.size < MAX_BATCHES_IN_FLIGHT) this.schedulePull();
  }

  private scheduleFileFlush(): void {
    clearTimeout(this.fileTimer);
    this.fileTimer = setTimeout(() => void this.sendLocalChanges(null), this.options.fileSettleMs ?? 150);
  }

  private sendLocalChanges(db: Delta['db']): Promise<void> {
    return this.step(() => this.enqueueLocalChanges(db));
  }

  /**
   * Takes the files recorded so far, puts them, `db` and `alsoFiles` (changes read otherwise) in
   * the outbox as one delta, and sends it.
   */
  private async enqueueLocalChanges(db: Delta['db'], alsoFiles: readonly FileChange[] = []): Promise<void> {
    const files = await this.recorder.takeBatch();
    const { syncable, skipped, arrived } = splitSyncable([...files.changes, ...alsoFiles]);
    this.journalSkipped(skipped);
    const arrivedNow = arrived.length > 0 ? await currentFiles(this.reader, this.root, this.exclusions, arrived) : [];
    const delta: Delta = { files: orderedChanges([...syncable, ...arrivedNow]), db, hlc: encodeHlc(this.clock.now()) };
    if (isEmptyDelta(delta)) return;
    this.fileVersions.record(delta.files, delta.hlc);
    const { state, batch } = outboxEnqueue(this.outbox, encodeDelta(delta));
    this.setOutbox(state);
    this.blobs.offer(batch.seq, blobWritesOf(batch.payload));
    if (db) this.batchOfDelta.set(batch.seq, db.seq);
    this.sentLines.set(batch.seq, this.journal(describeDelta(delta, 'sent', 'pending')));
    this.sendDelta(batch);
  }

  /** File changes left out because the paired site could never take their paths: shown once per path. */
  private journalSkipped(skipped: readonly Unsyncable[]): void {
    const fresh = skipped.filter(({ path }) => !this.skippedPaths.has(path));
    for (const { path } of fresh) this.skippedPaths.add(path);
    this.journal(
      fresh.map(({ path, reason }) => ({
        direction: 'local',
        kind: 'files',
        target: path,
        summary: `Not synced: the paired site cannot take this file name (${reason}). Rename it to sync it; everything else goes on.`,
        status: 'failed',
      })),
    );
  }

  private header<K extends Envelope['kind']>(kind: K) {
    return {
      v: WIRE_VERSION,
      kind,
      pairId: this.options.pairId,
      from: this.options.peerId,
      ackUpTo: this.inbox.appliedUpTo,
      hlc: encodeHlc(this.clock.now()),
    } as const;
  }

  private setOutbox(state: OutboxState<WireDelta>): void {
    const before = this.outbox.unacked.length;
    this.outbox = state;
    if (state.unacked.length !== before) this.options.onPending?.(state.unacked.length);
  }

  private sendDelta(batch: SequencedBatch<WireDelta>): void {
    if (!this.sendsDeltas) return;
    this.outbox = outboxMarkSent(this.outbox, [batch.seq], performance.now());
    this.post({ ...this.header('delta'), seq: batch.seq, siteUrl: this.siteUrl, payload: batch.payload });
  }

  private sendControl(envelope: Envelope<WireDelta>): void {
    this.post(envelope);
  }

  private sendBlobMessage(message: BlobMessage): void {
    this.sendControl({ ...this.header(message.kind), seq: this.outbox.lastSeq, ...message } as Envelope<WireDelta>);
  }

  /** Sends `envelope` as one message, or as frames when it is bigger than one message may be. */
  private post(envelope: Envelope<WireDelta>): void {
    // A stopping peer's site may be gone (a replaced client): what it would say now is about another site.
    if (this.stopping) return;
    if (jsonByteLength(envelope, MAX_WIRE_MESSAGE_BYTES) <= MAX_WIRE_MESSAGE_BYTES) {
      this.options.send(envelope);
      return;
    }
    const frames = toFrames(JSON.stringify(envelope), { pairId: this.options.pairId, from: this.options.peerId });
    for (const frame of frames ?? [envelope]) this.options.send(frame);
  }

  private async handleEnvelope(message: unknown): Promise<Beside | void> {
    if (isFrameLike(message)) {
      const arrival = this.frames.accept(message);
      if (arrival.kind === 'rejected') this.journal([{ direction: 'received', kind: 'input', target: 'peer message', summary: arrival.error, status: 'rejected' }]);
      if (arrival.kind !== 'complete') return;
      return this.handleWholeEnvelope(arrival.json, MAX_FRAMED_ENVELOPE_BYTES);
    }
    return this.handleWholeEnvelope(message, MAX_ENVELOPE_BYTES);
  }

  private async handleWholeEnvelope(message: unknown, maxBytes: number): Promise<Beside | void> {
    const parsed = parseEnvelope(message, {
      pairId: this.options.pairId,
      self: this.options.peerId,
      peer: this.options.remotePeerId,
      payload: WireDeltaSchema,
      maxBytes,
    });
    if (!parsed.ok) {
      this.journal([{ direction: 'received', kind: 'input', target: 'peer message', summary: parsed.error, status: 'rejected' }]);
      return;
    }
    const envelope = parsed.value;
    const remoteClock = decodeHlc(envelope.hlc);
    if (remoteClock) this.clock.receive(remoteClock);
    if (this.fromBeforeRejoin(envelope, remoteClock)) return;
    if (envelope.kind === 'rejoin') return this.answerRejoin(envelope, remoteClock);
    if (envelope.kind === 'rejoined') return this.onRejoined(envelope, remoteClock);
    if (envelope.ackUpTo > this.outbox.ackedUpTo) {
      const acked = outboxAck(this.outbox, envelope.ackUpTo);
      if (acked.ok) {
        this.setOutbox(acked.state);
        const refusedFrom = this.resend.refusedFrom !== null && this.resend.refusedFrom > envelope.ackUpTo ? this.resend.refusedFrom : null;
        this.resend = { lastProgressMs: performance.now(), refusedFrom };
        this.lastAckClock = remoteClock;
        this.markSentLinesApplied(envelope.ackUpTo);
        this.releaseAckedBatches(envelope.ackUpTo);
        await this.blobs.releaseAcked(envelope.ackUpTo);
      }
    }
    const lastSeq = this.outbox.lastSeq;
    switch (envelope.kind) {
      case 'delta': {
        const held: HeldDelta = { batch: { seq: envelope.seq, payload: envelope.payload }, siteUrl: envelope.siteUrl };
        if (this.copyTarget.id !== null) this.copyTarget.holdDelta(held);
        // Not applied, not acknowledged: the peer sends it again on resume or after the copy.
        else if (!this.live || this.paused) return;
        else if (this.copySource.holding) this.copySource.holdDelta(held);
        else await this.receiveDelta(held);
        return;
      }
      case 'snapshot-request':
        return this.answerCopyRequest(envelope);
      case 'snapshot-begin':
      case 'snapshot-chunk':
      case 'snapshot-end':
        return this.receiveCopyPart(envelope);
      case 'snapshot-installed':
        return this.onPeerInstalledCopy(envelope);
      case 'snapshot-abort':
        return this.onCopyAbort(envelope);
      case 'resend': {
        if (!this.sendsDeltas) return;
        const resend = outboxResend(this.outbox, envelope.resendFrom);
        if (resend.ok) for (const batch of resend.batches) this.sendDelta(batch);
        else if (!this.sentBeforeLastAck(remoteClock)) this.journal([{ direction: 'received', kind: 'pairing', target: 'peer', summary: resend.error, status: 'failed' }]);
        return;
      }
      // Served and stored beside the peer's ordered work, so a window of chunks moves at once and
      // live deltas do not wait behind a big file; a stored chunk is booked in order (`inOrder`).
      case 'blob-request':
        return this.beside(this.blobs.serve(envelope));
      case 'blob-chunk':
        return this.beside(this.blobs.receiveChunk(envelope));
      case 'blob-missing':
        await this.blobs.onMissing(envelope.sha256);
        return this.installCopyIfFetched(true);
      case 'nack':
        // Not sent again on a timer: the peer holds it (and what follows) until the user retries there.
        if (envelope.nackSeq > this.outbox.ackedUpTo) this.resend = { ...this.resend, refusedFrom: Math.min(this.resend.refusedFrom ?? Infinity, envelope.nackSeq) };
        this.journal([
          {
            direction: 'sent',
            kind: 'rows',
            target: `batch ${envelope.nackSeq}`,
            summary: `The paired site could not apply it: ${envelope.reason}`,
            status: 'failed',
          },
        ]);
        return;
      default: {
        // ack, hello: the piggybacked ackUpTo above was the point; a lost tail shows up here.
        if (!this.sendsDeltas || this.copySource.holding) return;
        const missingFrom = inboxObserveSenderSeq(this.inbox, envelope.seq);
        if (missingFrom !== null) this.sendControl({ ...this.header('resend'), seq: lastSeq, resendFrom: missingFrom });
      }
    }
  }

  private async receiveDelta({ batch, siteUrl }: HeldDelta): Promise<void> {
    const { cursor, arrival } = inboxReceive(this.inbox, batch);
    this.inbox = cursor;
    const lastSeq = this.outbox.lastSeq;
    if (arrival.kind === 'apply') await this.applyReady([...arrival.batches], siteUrl);
    else if (arrival.kind === 'duplicate') this.sendControl({ ...this.header('ack'), seq: lastSeq });
    else if (arrival.askResend) this.sendControl({ ...this.header('resend'), seq: lastSeq, resendFrom: arrival.resendFrom });
  }

  // --- Resuming after a saved site reloaded ----------------------------------------------

  /**
   * Unanswered rejoin requests go out again under a new id after `quietMs` (the request or its
   * answer may have been lost with a service worker stopped in between). Resolves whether it did.
   */
  rejoinAgainIfUnanswered(quietMs: number): Promise<boolean> {
    return this.step(async () => {
      if (this.rejoin === null || performance.now() - this.rejoin.askedAt < quietMs) return false;
      await this.sendRejoin();
      return true;
    });
  }

  /** Whether the site still waits for the peer to answer its rejoin request. */
  get rejoining(): boolean {
    return this.rejoin !== null;
  }

  /** Asks the peer to go on from where this reloaded site stands; its files as the reload left them go with it. */
  private async sendRejoin(): Promise<void> {
    const id = crypto.randomUUID();
    this.rejoin = { id, askedAt: performance.now() };
    const files = await siteFileHashes(this.options.client);
    // Deltas enqueued meanwhile (rows the outbox kept) wait for the answer; they are numbered after baseSeq.
    this.sendControl({ ...this.header('rejoin'), seq: this.outbox.lastSeq, rejoinId: id, pageSince: encodeHlc(this.pageSince), baseSeq: this.outbox.ackedUpTo, files: [...files] });
  }

  /**
   * While this site waits for the answer to its rejoin, only that answer counts: anything else
   * was sent before the peer heard of the reload (its numbering and acks are the old page's).
   * Afterwards, and on the other side of a rejoin, envelopes stamped before it are stale.
   * Rejoin envelopes are judged by the page that sent them instead: when both sites reloaded, a
   * page stamps its own request before its answer to the other's, and that request still stands.
   */
  private fromBeforeRejoin(envelope: Envelope<WireDelta>, clock: Hlc | null): boolean {
    if (envelope.kind === 'rejoin' || envelope.kind === 'rejoined') {
      const page = decodeHlc(envelope.pageSince);
      if (page === null || clock === null || isBefore(page, this.peerPageSince)) return true;
      this.peerPageSince = page;
      if (envelope.kind === 'rejoined') return this.rejoin === null || envelope.rejoinId !== this.rejoin.id;
      // Both sites reloaded: each answers the other's rejoin while waiting for its own answer.
      return this.rejoinAnswered !== null && compareHlc(clock, this.rejoinAnswered) <= 0;
    }
    const stale = isBefore(clock, this.peerSince);
    return this.rejoin !== null || stale;
  }

  /**
   * The peer's site reloaded and kept what it had: its deltas now go on after its `baseSeq`, this
   * site's unacknowledged ones go to it again, and it is asked for the files it changed whose
   * changes were lost with its page.
   */
  private async answerRejoin(request: EnvelopeOf<'rejoin'>, clock: Hlc | null): Promise<void> {
    this.rejoinAnswered = clock;
    this.peerSince = latest(this.peerSince, clock);
    // The peer's new page refused nothing yet.
    this.resend = { lastProgressMs: performance.now(), refusedFrom: null };
    // Files recorded here and not sent yet are on the way too.
    await this.enqueueLocalChanges(null);
    // The reloaded site forgot which of this site's file changes a newer one has overtaken since.
    this.setOutbox(outboxMapPending(this.outbox, (payload) => this.withoutOvertakenFiles(payload)));
    const here = await siteFileHashes(this.options.client);
    const bothReloaded = this.rejoin === null ? null : { reloadedWinsDifferences: this.options.remotePeerId < this.options.peerId };
    const want = filesWanted(request.files, here, pathsOnTheWay(outboxPending(this.outbox)), bothReloaded);
    this.restartInbox(request.baseSeq);
    this.sendControl({ ...this.header('rejoined'), seq: this.outbox.lastSeq, rejoinId: request.rejoinId, pageSince: encodeHlc(this.pageSince), baseSeq: this.outbox.ackedUpTo, want });
    this.journal([
      {
        direction: 'received',
        kind: 'pairing',
        target: 'paired site',
        summary: `The paired site reloaded and resumes from its saved state: ${this.outbox.unacked.length} change(s) of this site go to it again, ${want.length} of its file(s) come here`,
        status: 'info',
        ...(want.length > 0 ? { detail: want.slice(0, 200).join('\n') } : {}),
      },
    ]);
    this.resendPending();
    const settle = pathsBelowFoldersOnTheWay(outboxPending(this.outbox), here.keys(), request.files.map(([path]) => path));
    if (settle.length > 0) await this.enqueueLocalChanges(null, await currentFiles(this.reader, this.root, this.exclusions, settle));
  }

  /** `payload` without the file changes a newer change to their path (this site's, or one applied from the peer) overtook. */
  private withoutOvertakenFiles(payload: WireDelta): WireDelta {
    const decoded = decodeDelta(payload);
    if (!decoded.ok) return payload;
    const { delta } = decoded;
    const current = delta.files.filter((change) => !this.fileVersions.overtaken(change, delta.hlc));
    return current.length === delta.files.length ? payload : encodeDelta({ ...delta, files: current });
  }

  /** The peer answered: deltas flow again from both positions, with the files it asked for first. */
  private async onRejoined(answer: EnvelopeOf<'rejoined'>, clock: Hlc | null): Promise<void> {
    if (this.rejoin === null || this.rejoin.id !== answer.rejoinId) return;
    this.rejoin = null;
    this.peerSince = latest(this.peerSince, clock);
    this.resend = { lastProgressMs: performance.now(), refusedFrom: null };
    this.restartInbox(answer.baseSeq);
    const files = await currentFiles(this.reader, this.root, this.exclusions, answer.want);
    const waiting = this.outbox.unacked.length;
    this.journal([
      {
        direction: 'local',
        kind: 'pairing',
        target: 'paired site',
        summary: `Resumed after the reload from this site’s saved state: ${waiting} change(s) kept on this site go out, ${files.length} file(s) the paired site lacked are sent`,
        status: 'info',
      },
    ]);
    this.resendPending();
    if (files.length > 0) await this.enqueueLocalChanges(null, files);
    this.schedulePull();
  }

  // --- Full-state copy, target side -------------------------------------------------------

  private async sendCopyRequest(): Promise<void> {
    if (this.copyTarget.id !== null) return;
    const id = crypto.randomUUID();
    this.copyTarget.start(id, performance.now());
    try {
      const files = await siteFileHashes(this.options.client);
      this.sendControl({ ...this.header('snapshot-request'), seq: this.outbox.lastSeq, snapshotId: id, files: [...files] });
    } catch (error) {
      await this.failCopy(id, error, false);
    }
  }

  private async receiveCopyPart(part: SnapshotPart): Promise<void> {
    const id = this.copyTarget.id;
    if (id === null) return;
    let progress;
    try {
      progress = this.copyTarget.receive(part, performance.now());
      if (progress.kind === 'ignored') return;
      if (progress.begun !== null) {
        // Refused before the bytes are in: the versions come with the first envelope.
        const refusal = refusalFor(progress.begun, await readSiteFacts(this.options.client));
        if (refusal) throw refusal;
      }
    } catch (error) {
      await this.failCopy(id, error, true);
      return;
    }
    if (progress.kind === 'progress') {
      this.options.onCopyProgress?.({ done: progress.done, total: progress.total });
      return;
    }
    const { reassembler } = progress;
    this.options.onCopyProgress?.({ done: reassembler.byteLength, total: copyBytes(reassembler.meta, reassembler.byteLength) });
    try {
      this.copyTarget.startFetch(await reassembler.assemble(), reassembler, progress.sourceCursor);
    } catch (error) {
      await this.failCopy(id, error, true);
      return;
    }
    await this.installCopyIfFetched();
  }

  /**
   * Pulls the blobs of the copy whose header is in (BlobTransfer's window); installs it once they
   * are all here. `onlyIfFetchEnded`: nothing to do unless a fetch ended since the last look.
   */
  private async installCopyIfFetched(onlyIfFetchEnded = false): Promise<void> {
    const id = this.copyTarget.id;
    const fetch = this.copyTarget.fetch;
    if (id === null || fetch === null || (onlyIfFetchEnded && !this.fetchEnded)) return;
    let blobs;
    do {
      // A fetch may end inside `prepare` (a part complete already): then it is looked at again.
      this.fetchEnded = false;
      blobs = await this.blobs.prepare(snapshotBlobs(fetch.snapshot.meta), targetCopyHolder(id));
    } while (blobs.kind === 'waiting' && this.fetchEnded);
    if (blobs.kind === 'waiting') return;
    if (blobs.kind === 'failed') {
      await this.failCopy(id, new Error(`The bytes of the copy could not be fetched: ${blobs.reason}`), true);
      return;
    }
    await this.installCopy(id);
  }

  private async installCopy(id: string): Promise<void> {
    const { client, peerId } = this.options;
    const { snapshot, baseSeq, sourceCursor, headerBytes } = this.copyTarget.fetch!;
    let installation;
    try {
      installation = await installSnapshot(client, snapshot, { peerId, siteUrl: this.siteUrl, echo: this.recorder, store: this.store });
    } catch (error) {
      await this.failCopy(id, error, true);
      return;
    }
    await this.blobs.releaseReceived(snapshotBlobs(snapshot.meta), targetCopyHolder(id));
    // Whatever was recorded before and during the copy is the copy's now; so are file versions.
    await this.recorder.takeBatch();
    this.fileVersions = new FileVersions();
    // Numbering goes on beyond the source's cursor for this site, so none of it is taken for a duplicate.
    const { state, dropped } = outboxDropPending(this.outbox, sourceCursor);
    this.setOutbox(state);
    await this.blobs.releaseAcked(Number.POSITIVE_INFINITY);
    this.resend = { lastProgressMs: performance.now(), refusedFrom: null };
    // The copy emptied the site's outbox and its batch numbering goes on from the source's cursor.
    this.batchOfDelta.clear();
    this.feed?.restart();
    const droppedLines = [...this.sentLines.values()].flat();
    this.sentLines.clear();
    if (droppedLines.length > 0) this.options.onJournalStatus?.(droppedLines, 'info');
    this.restartInbox(baseSeq);
    const elapsed = performance.now() - this.copyTarget.startedAt;
    const held = this.copyTarget.settle();
    this.live = true;
    this.sendControl({ ...this.header('snapshot-installed'), seq: this.outbox.lastSeq, snapshotId: id });
    this.journal([
      {
        direction: 'received',
        kind: 'pairing',
        target: snapshot.meta.siteUrl,
        summary: describeCopy(snapshot, elapsed),
        status: 'applied',
        detail: describeCopyDetail(installation, copyBytes(snapshot.meta, headerBytes)),
      },
      ...(dropped.length === 0
        ? []
        : [
            {
              direction: 'local' as const,
              kind: 'pairing' as const,
              target: 'local changes',
              summary: `Dropped ${dropped.length} unsent local change(s) made before the copy: the copy replaced them`,
              status: 'info' as const,
              detail: `Batches ${dropped[0]!.seq} to ${dropped.at(-1)!.seq}`,
            },
          ]),
    ]);
    this.options.onCopyDone?.();
    await this.applyHeld(held);
  }

  /** Ends the copy `id` without installing anything; the peer is told when `tellPeer`. */
  private async failCopy(id: string, error: unknown, tellPeer: boolean): Promise<void> {
    if (this.copyTarget.id !== id) return;
    await this.abandonCopyBlobs(id);
    const held = this.copyTarget.settle();
    const message = error instanceof Error ? error.message : String(error);
    if (tellPeer) this.sendControl({ ...this.header('snapshot-abort'), seq: this.outbox.lastSeq, snapshotId: id, reason: message.slice(0, 2000) });
    this.journal([
      {
        direction: 'received',
        kind: 'pairing',
        target: 'full-state copy',
        summary: `Could not copy the paired site’s full state: ${message}`.slice(0, 500),
        status: 'failed',
        detail: `${error instanceof Error ? `${error.name}${'code' in error ? ` (${String(error.code)})` : ''}: ` : ''}${message}\n` +
          (this.live ? 'Live sync goes on as before the request.' : 'Live sync has not started: ask for a copy again.'),
      },
    ]);
    this.options.onCopyDone?.(message);
    if (this.live) {
      this.resendPending();
      // The peer's deltas held meanwhile are applied as usual (a live site was not changed).
      await this.applyHeld(held);
    }
  }

  /** The blobs of the copy `id` in flight here: no more pulling, and what was pulled goes. */
  private async abandonCopyBlobs(id: string): Promise<void> {
    const fetch = this.copyTarget.fetch;
    if (this.copyTarget.id === id && fetch !== null) await this.blobs.abandon(snapshotBlobs(fetch.snapshot.meta), targetCopyHolder(id));
  }

  private async applyHeld(held: readonly HeldDelta[]): Promise<void> {
    for (const delta of held) await this.receiveDelta(delta);
  }

  // --- Full-state copy, source side -------------------------------------------------------

  private async answerCopyRequest(request: EnvelopeOf<'snapshot-request'>): Promise<void> {
    const refuse = (reason: string) =>
      this.sendControl({ ...this.header('snapshot-abort'), seq: this.outbox.lastSeq, snapshotId: request.snapshotId, reason });
    if (this.paused) return refuse('Sync is paused on the paired site');
    if (!this.live || this.copyTarget.id !== null) return refuse('The paired site is waiting for a full-state copy itself');
    if (!this.copySource.accept(request)) return;
    const { client, pairId, peerId } = this.options;
    // One copy is served at a time: a new request means the target gave up the one before.
    await this.withdrawServedCopy();
    try {
      // Everything captured so far goes into the outbox first: the copy contains up to baseSeq.
      await this.pullSiteChanges();
      await this.enqueueLocalChanges(null);
      const baseSeq = this.outbox.lastSeq;
      const snapshot = await captureSnapshot(client, {
        store: this.store,
        discard: (names) => this.blobs.discardUnlessHeld(names),
        targetFiles: new Map(request.files),
        siteUrl: this.siteUrl,
        wallClock: this.options.wallClock,
      });
      // Served until the target installed the copy or gave it up.
      this.blobs.offerFor(sourceCopyHolder(request.snapshotId), snapshotBlobs(snapshot.meta));
      this.servedCopy = request.snapshotId;
      const header = { pairId, from: peerId, seq: this.outbox.lastSeq, ackUpTo: this.inbox.appliedUpTo, hlc: encodeHlc(this.clock.now()) };
      const envelopes = await snapshotToEnvelopes(snapshot, { snapshotId: request.snapshotId, baseSeq, header });
      for (const envelope of envelopes) this.sendControl(envelope);
      const { meta } = snapshot;
      const line = this.journal([
        {
          direction: 'sent',
          kind: 'pairing',
          target: 'full-state copy',
          summary: `Sent this site’s full state: ${meta.fileCount.toLocaleString('en-US')} files (${meta.shippedFileCount.toLocaleString('en-US')} with bytes), ${formatBytes(meta.database.size)} database`,
          status: 'pending',
        },
      ]);
      this.copyLines.set(request.snapshotId, line);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      refuse(`The paired site could not take its full state: ${message}`.slice(0, 2000));
      this.journal([{ direction: 'sent', kind: 'pairing', target: 'full-state copy', summary: `Could not send this site’s full state: ${message}`.slice(0, 500), status: 'failed' }]);
      await this.withdrawServedCopy();
      await this.applyHeld(this.copySource.settle(request.snapshotId) ?? []);
    }
  }

  /** The target installed the copy: its deltas go on after its `seq` (its numbering may have restarted). */
  private async onPeerInstalledCopy(envelope: EnvelopeOf<'snapshot-installed'>): Promise<void> {
    if (this.servedCopy === envelope.snapshotId) await this.withdrawServedCopy();
    const held = this.copySource.settle(envelope.snapshotId);
    if (held === null) return;
    this.settleCopyLine(envelope.snapshotId, 'applied');
    this.restartInbox(envelope.seq);
    this.journal([{ direction: 'sent', kind: 'pairing', target: 'full-state copy', summary: 'The paired site installed this site’s full state', status: 'applied' }]);
    await this.applyHeld(held);
  }

  private async onCopyAbort(envelope: EnvelopeOf<'snapshot-abort'>): Promise<void> {
    if (this.copyTarget.id === envelope.snapshotId) {
      await this.failCopy(envelope.snapshotId, new Error(envelope.reason), false);
      return;
    }
    if (this.servedCopy === envelope.snapshotId) await this.withdrawServedCopy();
    const held = this.copySource.settle(envelope.snapshotId);
    if (held === null) return;
    this.settleCopyLine(envelope.snapshotId, 'info');
    this.journal([
      { direction: 'sent', kind: 'pairing', target: 'full-state copy', summary: `The paired site did not install this site’s full state: ${envelope.reason}`.slice(0, 500), status: 'info', detail: envelope.reason },
    ]);
    await this.applyHeld(held);
  }

  /** The blobs of the copy this site serves go from its store (unless a delta still names one). */
  private async withdrawServedCopy(): Promise<void> {
    if (this.servedCopy === null) return;
    const id = this.servedCopy;
    this.servedCopy = null;
    await this.blobs.withdraw(sourceCopyHolder(id));
  }

  /**
   * A delayed request from before the peer acknowledged what it asks for is stale, not a sign
   * that the peer lost its state: the peer's clock only moves forward.
   */
  private sentBeforeLastAck(clock: Hlc | null): boolean {
    return clock !== null && this.lastAckClock !== null && compareHlc(clock, this.lastAckClock) < 0;
  }

  /** Applies batches in order; stops at the first failure and keeps it and the rest for `retry()`. */
  /**
   * Applies batches in order; stops at the first failure and keeps it and the rest for `retry()`.
   * A batch whose blobs are still on their way is kept the same way, without a failure: it is
   * applied once they are here (see BlobTransfer).
   */
  private async applyReady(batches: SequencedBatch<WireDelta>[], fromSiteUrl?: string): Promise<void> {
    for (const [index, batch] of batches.entries()) {
      const outcome = await this.applyOne(batch, fromSiteUrl ?? this.lastPeerSiteUrl);
      if (outcome !== 'applied') {
        if (outcome === 'failed') this.setProblem(`Changes from the paired site are held back: batch ${batch.seq} could not be applied (see the journal)`);
        const unapplied = batches.slice(index).filter((b) => !this.inbox.held.some((held) => held.seq === b.seq));
        this.inbox = { ...this.inbox, held: [...this.inbox.held, ...unapplied].sort((a, b) => a.seq - b.seq) };
        if (outcome === 'waiting' && index > 0) this.sendControl({ ...this.header('ack'), seq: this.outbox.lastSeq });
        return;
      }
      this.inbox = inboxApplied(this.inbox, batch.seq);
    }
    if (batches.length > 0) {
      this.setProblem(null);
      this.sendControl({ ...this.header('ack'), seq: this.outbox.lastSeq });
    }
  }

  /**
   * The peer's deltas go on after `appliedUpTo` (a rejoin, a full-state copy): those held here are
   * gone, and so are the blob fetches they started (a part received so far stays, to resume from).
   */
  private restartInbox(appliedUpTo: number): void {
    this.inbox = createInboxCursor(appliedUpTo);
    this.blobs.forgetFetches();
  }

  /** A blob fetch ended: the batches it held back go on, unless this site stopped taking the peer's changes meanwhile. */
  private async applyReadyIfReceiving(): Promise<void> {
    if (!this.live || this.paused || this.copyTarget.id !== null || this.copySource.holding) return;
    await this.applyReady([...inboxReady(this.inbox)]);
  }

  private async applyOne(batch: SequencedBatch<WireDelta>, fromSiteUrl: string): Promise<'applied' | 'waiting' | 'failed'> {
    this.lastPeerSiteUrl = fromSiteUrl;
    const decoded = decodeDelta(batch.payload);
    if (!decoded.ok) {
      this.journal([{ direction: 'received', kind: 'input', target: `batch ${batch.seq}`, summary: decoded.error, status: 'rejected' }]);
      this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason: decoded.error });
      return 'failed';
    }
    const blobWrites = blobWritesOf(batch.payload);
    const blobs = await this.blobs.prepare(blobWrites);
    if (blobs.kind === 'waiting') return 'waiting';
    if (blobs.kind === 'failed') {
      const reason = `The bytes of a big file could not be fetched: ${blobs.reason}`;
      this.journal([{ direction: 'received', kind: 'files', target: `batch ${batch.seq}`, summary: reason, status: 'failed' }]);
      this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason });
      return 'failed';
    }
    const { client } = this.options;
    // Local file changes still settling go out first, stamped after this delta: they win on both sites.
    await this.enqueueLocalChanges(null);
    const { apply, beaten } = await fileChangesToApply(decoded.delta.files, decoded.delta.hlc, this.fileVersions, {
      client,
      root: this.root,
      exclusions: this.exclusions,
    });
    // Files first (the rows may name them: an active plugin), then the rows in one transaction;
    // if either part fails, the files go back too, so the delta is applied whole or not at all.
    const transaction = await applyFileChangesAtomically(client, apply, { root: this.root, echo: this.recorder, blobs: this.store });
    const files = transaction.report;
    let db: Awaited<ReturnType<typeof applyCheckedBatch>> | null = null;
    let refusal: string | null = null;
    if (files.failures.length === 0 && decoded.delta.db) {
      try {
        const batch = decoded.delta.db;
        db = await this.withEngine(() =>
          applyCheckedBatch(client, batch, { fromSiteUrl, toSiteUrl: this.siteUrl, fromPeer: this.options.remotePeerId }),
        );
      } catch (error) {
        // Refused before anything was written (a batch claiming another peer, a clock far ahead).
        refusal = error instanceof Error ? error.message : String(error);
      }
    }
    const failed = refusal !== null || files.failures.length > 0 || db?.status === 'failed' || db?.status === 'gap';
    if (!failed) {
      await transaction.commit();
      this.fileVersions.record(apply, decoded.delta.hlc);
      this.journal(describeApply({ ...decoded.delta, files: apply }, files, db, beaten, { from: fromSiteUrl, to: this.siteUrl }));
      await this.blobs.releaseReceived(blobWrites);
      return 'applied';
    }
    const undoProblems = await transaction.rollback();
    if (undoProblems.length > 0) {
      this.journal([{ direction: 'received', kind: 'files', target: `batch ${batch.seq}`, summary: 'Some files of a failed batch could not be put back', status: 'failed', detail: undoProblems.join('\n') }]);
    }
    if (refusal !== null) {
      this.journal([{ direction: 'received', kind: 'input', target: `batch ${batch.seq}`, summary: `Rejected batch: ${refusal}`.slice(0, 500), status: 'rejected' }]);
      this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason: refusal.slice(0, 1000) });
      return 'failed';
    }
    this.journal(describeApply({ ...decoded.delta, files: apply }, files, db, beaten, { from: fromSiteUrl, to: this.siteUrl }));
    const reason = files.failures[0]?.reason ?? (db?.status === 'failed' ? db.error.message : `database batch ${db?.seq} out of order`);
    this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason: reason.slice(0, 1000) });
    return 'failed';
  }

  /**
   * Older Playground builds lose everything under /internal when they rotate the PHP runtime:
   * the engine's PHP, the preload (nothing drains) and the ID-shard filter. The triggers live in
   * the database and keep capturing meanwhile. Puts it all back and sends what was captured.
   */
  private async reinstallIfLost(): Promise<boolean> {
    const { client, peerId } = this.options;
    const missing = await missingEngineFiles(client);
    if (missing.length === 0) return false;
    // The tab may have switched to another site under this peer (the page's client now serves it) before the
    // tab noticed: its engine is missing there because it was never ours. Nothing more of this peer runs.
    if ((await client.absoluteUrl).replace(/\/+$/, '') !== this.siteUrl) {
      this.stopping = true;
      throw new Error('The tab switched to another site: this peer stops');
    }
    this.setProblem('Playground Sync’s files are gone from this site (Playground replaced its PHP runtime): reinstalling');
    const { missed } = await reinstallEngine(client, { peerId, siteUrl: this.siteUrl });
    const caughtUp = [
      missed?.created.length ? `tables made meanwhile, sent with their rows: ${missed.created.join(', ')}` : '',
      missed?.dropped.length ? `tables dropped meanwhile: ${missed.dropped.join(', ')}` : '',
      missed?.rebuilt.length ? `tables rebuilt meanwhile (without capture), their rows sent again: ${missed.rebuilt.join(', ')}` : '',
    ].filter(Boolean);
    this.journal([
      {
        direction: 'local',
        kind: 'pairing',
        target: 'sync engine',
        summary: 'Playground Sync’s files were gone from this site (Playground replaced its PHP runtime): reinstalled them',
        status: 'info',
        detail: [`Missing: ${missing.join(', ')}`, ...caughtUp].join('\n'),
      },
    ]);
    this.setProblem(null);
    return true;
  }

  /** Runs an engine task; if it failed because the engine's files are gone, reinstalls them and runs it once more. */
  private async withEngine<T>(task: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await task();
      } catch (error) {
        // Another instance's rotation may also take the files while the task runs (only its
        // input, or what was just put back): again, a few times (rotations are hundreds of requests apart).
        const reinstalled = await this.reinstallIfLost();
        // What the triggers captured meanwhile leaves with the next pull.
        if (reinstalled) this.schedulePull();
        if ((!reinstalled && !lostWithRuntime(error)) || attempt >= ENGINE_TASK_ATTEMPTS) throw error;
      }
    }
  }

  private setProblem(problem: string | null): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.options.onProblem?.(problem);
  }

  /** Work that runs beside the ordered steps: its failure is journaled like theirs. */
  private beside(work: Promise<void>): Beside {
    return { work: work.catch((error: unknown) => this.journalUnexpected(error)) };
  }

  private step<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: unknown) => this.journalUnexpected(error));
    return next;
  }

  private journalUnexpected(error: unknown): void {
    if (this.stopping) return;
    this.journal([
      {
        direction: 'local',
        kind: 'pairing',
        target: 'sync engine',
        summary: `Unexpected error: ${error instanceof Error ? error.message : String(error)}`,
        status: 'failed',
      },
    ]);
  }

  /** The site's outbox may forget the database batches of deltas the peer acknowledged. */
  private releaseAckedBatches(upTo: number): void {
    for (const [deltaSeq, batchSeq] of this.batchOfDelta) {
      if (deltaSeq > upTo) continue;
      this.feed?.releaseUpTo(batchSeq);
      this.batchOfDelta.delete(deltaSeq);
    }
    this.pullAgainIfRoom();
  }

  private settleCopyLine(snapshotId: string, status: JournalEntry['status']): void {
    const ids = this.copyLines.get(snapshotId);
    this.copyLines.delete(snapshotId);
    if (ids?.length) this.options.onJournalStatus?.(ids, status);
  }

  private markSentLinesApplied(upTo: number): void {
    const ids: string[] = [];
    for (const [seq, lines] of this.sentLines) {
      if (seq > upTo) continue;
      ids.push(...lines);
      this.sentLines.delete(seq);
    }
    if (ids.length > 0) this.options.onJournalStatus?.(ids, 'applied');
  }

  /** Journals `entries`; answers their ids. Failures of a stopping peer's work in flight are its site going, not news. */
  private journal(entries: NewEntry[]): string[] {
    if (this.stopping) entries = entries.filter((entry) => entry.status !== 'failed' && entry.status !== 'rejected');
    if (entries.length === 0 || !this.options.onJournal) return [];
    const time = this.options.wallClock?.() ?? Date.now();
    const lines = entries.map((entry) =>
      this.recurring.fold({ ...fitEntry(entry), id: `${this.journalPrefix}-${++this.journalCount}`, time, site: this.siteUrl.slice(0, 200) }),
    );
    this.options.onJournal(lines);
    return lines.map((line) => line.id);
  }
}

/** The members the recorder reads through, as plain calls (no `bind` on a Comlink proxy). */
function readerOf(client: SiteClient) {
  return {
    readFileAsBuffer: (path: string) => client.readFileAsBuffer(path),
    fileExists: (path: string) => client.fileExists(path),
    listFiles: (path: string, options?: { prependPath?: boolean }) => client.listFiles(path, options),
    isDir: (path: string) => client.isDir(path),
    run: (request: Parameters<SiteClient['run']>[0]) => client.run(request),
    // The recorder's journal fences: a file of its own in the engine's scratch area.
    writeFile: (path: string, data: string | Uint8Array) => client.writeFile(path, data),
    mkdir: (path: string) => client.mkdir(path),
    unlink: (path: string) => client.unlink(path),
    rmdir: (path: string, options?: { recursive?: boolean }) => client.rmdir(path, options),
  };
}

/** Who holds a copy's blobs in the store: the target while it pulls and installs them, the source while it serves them. */
const targetCopyHolder = (snapshotId: string) => `copy-in:${snapshotId}`;
const sourceCopyHolder = (snapshotId: string) => `copy:${snapshotId}`;

/** Whether `clock` is known and earlier than `mark` (nothing is before an unknown mark). */
function isBefore(clock: Hlc | null, mark: Hlc | null): boolean {
  return clock !== null && mark !== null && compareHlc(clock, mark) < 0;
}

function latest(a: Hlc | null, b: Hlc | null): Hlc | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareHlc(a, b) < 0 ? b : a;
}
