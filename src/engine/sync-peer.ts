import type { ChangeFeed } from '../db';
import type { SiteClient } from '../platform/site-client';
import type { JournalEntry } from '../protocol/journal-entry';
import { createHlcClock, decodeHlc, type HlcClock } from '../sync/hlc';
import type { SequencedBatch } from '../sync/sequencing';
import { parseLaneChunk, WIRE_VERSION, type Envelope, type PeerMessage } from '../sync/wire';
import type { BlobLane } from '../sync/broadcast-lane';
import { BlobTransfer } from './blob-transfer';
import { blobWritesOf, encodeDelta, type Delta, type WireDelta } from './delta';
import { FileVersions } from './file-versions';
import type { HeldDelta } from './copy-exchange';
import { describeDelta } from './summaries';
import { applyDelta, type ApplyDeltaContext } from './peer/apply-delta';
import { CopySourceFlow } from './peer/copy-source-flow';
import { CopyTargetFlow } from './peer/copy-target-flow';
import { DeltaLink } from './peer/delta-link';
import { EngineGuard } from './peer/engine-guard';
import { LocalChanges } from './peer/local-changes';
import { openPeerSite } from './peer/open-site';
import { PeerJournal } from './peer/peer-journal';
import type { PeerSite } from './peer/peer-site';
import { RejoinFlow } from './peer/rejoin-flow';
import { Steps, type Beside } from './peer/steps';

export { MAX_BATCHES_IN_FLIGHT } from './peer/local-changes';

export interface SyncPeerOptions {
  client: SiteClient;
  pairId: string;
  /** This site's peer id, and the paired site's. */
  peerId: string;
  remotePeerId: string;
  /** This site's slot in the ID plan: a full-state copy gives it this slot's range. */
  idSlot: number;
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
  awaitCopy?: boolean;
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

/**
 * One site's end of a pairing, put together from parts with one job each (src/engine/peer/):
 * the site's own changes made into deltas (LocalChanges), the delta link with acks and resends
 * (DeltaLink), the all-or-nothing apply (applyDelta), both ends of the full-state copy
 * (CopyTargetFlow, CopySourceFlow), resuming after a reload (RejoinFlow), the engine put back
 * when Playground loses it (EngineGuard), and the journal (PeerJournal). This class holds the
 * state they share (sync on or off, live or waiting for a copy) and routes envelopes to them.
 * Everything that touches the site runs one step at a time (Steps), except the bytes of blob
 * chunks: served and stored beside the steps, so a window of them moves at once.
 */
export class SyncPeer {
  private readonly steps: Steps;
  private readonly clock: HlcClock;
  private readonly journal: PeerJournal;
  private readonly guard: EngineGuard;
  private readonly fileVersions = new FileVersions();
  private readonly link: DeltaLink;
  private readonly blobs: BlobTransfer;
  private readonly local: LocalChanges;
  private readonly copyIn: CopyTargetFlow;
  private readonly copyOut: CopySourceFlow;
  private readonly rejoin: RejoinFlow;
  private readonly applying: ApplyDeltaContext;
  /** The paired site's URL from its latest delta, for held deltas applied later. */
  private lastPeerSiteUrl = '';
  private paused: boolean;
  private stopping = false;
  /** False until the copy asked for at start is installed (and after it failed): no deltas in or out. */
  private live: boolean;
  /** A copy asked for while paused: requested on resume. */
  private copyOnResume = false;
  private problem: string | null = null;

  private constructor(
    private readonly options: SyncPeerOptions,
    private readonly site: PeerSite,
    feed: ChangeFeed,
  ) {
    const { peerId, remotePeerId, pairId } = options;
    this.clock = createHlcClock(peerId, { wallClock: options.wallClock });
    this.paused = options.paused ?? false;
    this.live = !options.awaitCopy;
    this.journal = new PeerJournal({ peerId, siteUrl: site.siteUrl, wallClock: options.wallClock, onJournal: options.onJournal, onJournalStatus: options.onJournalStatus });
    this.steps = new Steps((error) => this.journal.unexpected(error));
    this.guard = new EngineGuard({
      client: site.client,
      peerId,
      siteUrl: site.siteUrl,
      journal: this.journal,
      setProblem: (problem) => this.setProblem(problem),
      onSiteSwitched: () => this.markStopping(),
      onReinstalledDuringTask: () => this.local.schedulePull(),
    });
    this.link = new DeltaLink({
      pairId,
      peerId,
      remotePeerId,
      siteUrl: site.siteUrl,
      clock: this.clock,
      journal: this.journal,
      send: options.send,
      deltasFlow: () => this.deltasFlow,
      stopped: () => this.stopping,
      onPending: options.onPending,
    });
    this.blobs = new BlobTransfer({
      store: site.store,
      send: (message) => this.link.control(message.kind, message),
      lane: options.lane && {
        address: options.lane.address,
        send: (to, chunk) => {
          if (!this.stopping) options.lane?.send(to, { v: WIRE_VERSION, kind: 'blob-bytes', pairId, from: peerId, ...chunk });
        },
      },
      onFetchEnded: () => {
        this.copyIn.noteFetchEnded();
        void this.steps.run(() => this.applyHeldIfReceiving());
      },
      // A stored chunk is booked as a step of its own; the copy in flight installs once its bytes are all
      // here. A stopped peer books nothing more (its site may be another one now).
      inOrder: (work) =>
        this.stopping
          ? Promise.resolve()
          : this.steps.run(async () => {
              await work();
              await this.copyIn.installIfFetched(true);
            }),
      onStored: (sha256, written) => this.copyIn.stored(sha256, written),
      journal: (entries) => this.journal.write(entries),
    });
    this.local = new LocalChanges({
      site,
      feed,
      clock: this.clock,
      fileVersions: this.fileVersions,
      guard: this.guard,
      journal: this.journal,
      steps: this.steps,
      fileSettleMs: options.fileSettleMs ?? 150,
      send: (delta) => this.sendLocalDelta(delta),
    });
    const restartInbox = (appliedUpTo: number) => this.restartInbox(appliedUpTo);
    const applyHeld = (held: readonly HeldDelta[]) => this.applyHeld(held);
    const resendPending = () => this.resendPending();
    this.copyIn = new CopyTargetFlow({
      site,
      peerId,
      idSlot: options.idSlot,
      link: this.link,
      blobs: this.blobs,
      journal: this.journal,
      local: this.local,
      isLive: () => this.live,
      isPaused: () => this.paused,
      goLive: () => {
        this.live = true;
      },
      restartInbox,
      resendPending,
      applyHeld,
      onCopyProgress: options.onCopyProgress,
      onCopyDone: options.onCopyDone,
    });
    this.copyOut = new CopySourceFlow({
      site,
      link: this.link,
      blobs: this.blobs,
      journal: this.journal,
      local: this.local,
      wallClock: options.wallClock,
      cannotServe: () => {
        if (this.paused) return 'Sync is paused on the paired site';
        if (!this.live || this.copyIn.id !== null) return 'The paired site is waiting for a full-state copy itself';
        return null;
      },
      restartInbox,
      applyHeld,
    });
    this.rejoin = new RejoinFlow({
      site,
      peerId,
      remotePeerId,
      link: this.link,
      local: this.local,
      fileVersions: this.fileVersions,
      journal: this.journal,
      pageSince: this.clock.now(),
      restartInbox,
      resendPending,
    });
    this.applying = {
      site,
      remotePeerId,
      fileVersions: this.fileVersions,
      blobs: this.blobs,
      guard: this.guard,
      journal: this.journal,
      sendLocalFirst: () => this.local.send(null),
    };
  }

  /** Installs capture on the site (idempotent) and starts recording. */
  static async start(options: SyncPeerOptions): Promise<SyncPeer> {
    // The site signals before the peer exists; the signals reach it once it does.
    const started: { peer?: SyncPeer } = {};
    const { site, feed } = await openPeerSite(
      { client: options.client, peerId: options.peerId, resume: options.resume ?? false },
      {
        onRowsWaiting: () => started.peer?.local.schedulePull(),
        onFilesRecorded: () => started.peer?.local.scheduleFileFlush(),
        onUnsentBlobs: (names) => void started.peer?.blobs.discardUnlessHeld(names),
        onDrainError: (cause) => started.peer?.journal.write([{ direction: 'local', kind: 'rows', target: 'site capture', summary: cause, status: 'failed' }]),
        onRejected: (error, source) =>
          started.peer?.journal.write([{ direction: 'local', kind: 'input', target: source, summary: error.slice(0, 500), status: 'rejected' }]),
      },
    );
    const peer = new SyncPeer(options, site, feed);
    started.peer = peer;
    if (options.resume) await peer.steps.run(() => peer.rejoin.ask());
    else if (options.awaitCopy) await peer.requestCopy();
    // Changes captured while capture was being installed.
    peer.local.schedulePull();
    return peer;
  }

  /** Unacknowledged deltas (the badge's pending count). */
  get pendingCount(): number {
    return this.link.pending.length;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether the site still waits for the paired site to answer its rejoin request. */
  get rejoining(): boolean {
    return this.rejoin.waiting;
  }

  /** Sends what the site holds right now: changes made outside requests, files still settling. */
  async flush(): Promise<void> {
    await this.steps.run(async () => {
      await this.local.pull();
      await this.local.send(null);
    });
  }

  /**
   * Takes one envelope from the transport. Anything malformed or foreign is journaled and dropped.
   * Resolves once its work is done, including a blob chunk served or stored beside the ordered steps.
   */
  async receive(message: unknown): Promise<void> {
    const beside = await this.steps.run(() => this.handle(message));
    await beside?.work;
  }

  /** Takes one message from this tab's lane (a blob chunk's bytes): stored beside the ordered steps; anything else is journaled and dropped. */
  async receiveLane(message: unknown): Promise<void> {
    if (this.stopping) return;
    const parsed = parseLaneChunk(message, { pairId: this.options.pairId, self: this.options.peerId, peer: this.options.remotePeerId });
    if (!parsed.ok) {
      this.journal.refused('peer message', parsed.error);
      return;
    }
    await this.steps.beside(this.blobs.receiveLaneChunk(parsed.value)).work;
  }

  /** Applies received deltas again after a failure (e.g. once its cause was fixed). */
  retry(): Promise<void> {
    return this.steps.run(() => this.applyInOrder(this.link.ready()));
  }

  /**
   * Puts the engine back if the site lost its files (see EngineGuard); resolves whether it had to.
   * Costs a few file look-ups and no PHP request when nothing is missing: cheap enough to call
   * every few seconds.
   */
  repairIfLost(): Promise<boolean> {
    return this.steps.run(async () => {
      if (!(await this.guard.reinstallIfLost())) return false;
      // What the triggers captured meanwhile leaves now (a pull captures it into the outbox first).
      await this.local.pull();
      return true;
    });
  }

  /** Sends every unacknowledged delta again (after a reconnect), and asks again for the blob chunks on their way here. */
  resendPending(): void {
    this.blobs.askAgain();
    this.link.resendAll();
  }

  /**
   * What a tab's timer calls every few seconds: sends again the unacknowledged deltas whose wait
   * is over (see resend-policy.ts: backing off while nothing is heard, never while acknowledgements
   * come, never a delta the paired site refused).
   */
  resendDue(nowMs = performance.now()): void {
    this.link.resendDue(nowMs);
  }

  /**
   * Asks the paired site for its full state. Resolves once the request (with this site's file
   * hashes) is sent; the copy ends with `onCopyDone` and a journal line. While it is in flight
   * this site sends no deltas and holds the paired site's; once installed, its own unacknowledged
   * changes are dropped (the copy replaced them) and deltas flow from the copy's position on both
   * sides. While paused, the request goes out on resume.
   */
  requestCopy(): Promise<void> {
    if (this.paused) {
      this.copyOnResume = true;
      return Promise.resolve();
    }
    return this.steps.run(() => this.copyIn.request());
  }

  /**
   * A copy in flight that heard nothing from the source for `quietMs` (its request or some of its
   * envelopes were lost, e.g. with a service worker stopped in between) is aborted and asked for
   * again under a new id. Resolves whether it asked again.
   */
  askAgainIfCopyStalled(quietMs: number): Promise<boolean> {
    return this.steps.run(() => this.copyIn.askAgainIfStalled(quietMs));
  }

  /**
   * Unanswered rejoin requests go out again under a new id after `quietMs` (the request or its
   * answer may have been lost with a service worker stopped in between). Resolves whether it did.
   */
  rejoinAgainIfUnanswered(quietMs: number): Promise<boolean> {
    return this.steps.run(() => this.rejoin.askAgainIfUnanswered(quietMs));
  }

  /**
   * Sync off: local changes are still captured and queued (see `onPending`), nothing is sent and
   * the paired site's deltas are left unapplied (it keeps them until acknowledged). On resume every
   * pending delta goes out and the paired site is asked for what it sent meanwhile.
   */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) return;
    if (this.copyOnResume) {
      this.copyOnResume = false;
      void this.requestCopy();
    }
    if (!this.deltasFlow) return;
    this.resendPending();
    this.link.control('resend', { resendFrom: this.link.appliedUpTo + 1 });
  }

  /** Stops for good. Work in flight may fail as its site goes (a replaced client): that is no failure to report. */
  async stop(): Promise<void> {
    this.markStopping();
    this.local.stopFlushing();
    await this.steps.settled();
    await this.copyOut.withdraw().catch(() => undefined);
    await this.local.close();
  }

  /** Deltas flow: not paused, not waiting for (or after a failed) first copy, no copy in flight, not rejoining. */
  private get deltasFlow(): boolean {
    return !this.paused && this.live && this.copyIn.id === null && !this.rejoin.waiting;
  }

  private markStopping(): void {
    this.stopping = true;
    this.journal.stopping = true;
  }

  /** Puts a delta of this site's changes in the link's outbox and sends it; answers its seq. */
  private sendLocalDelta(delta: Delta): number {
    const batch = this.link.enqueue(encodeDelta(delta));
    this.blobs.offer(batch.seq, blobWritesOf(batch.payload));
    this.journal.trackSent(batch.seq, this.journal.write(describeDelta(delta, 'sent', 'pending')));
    this.link.send(batch);
    return batch.seq;
  }

  private async handle(message: unknown): Promise<Beside | void> {
    const envelope = this.link.take(message);
    if (envelope === null) return;
    const clock = decodeHlc(envelope.hlc);
    if (clock) this.clock.receive(clock);
    if (this.rejoin.isStale(envelope, clock)) return;
    if (envelope.kind === 'rejoin') return this.rejoin.answer(envelope, clock);
    if (envelope.kind === 'rejoined') return this.rejoin.answered(envelope, clock);
    if (this.link.acknowledge(envelope.ackUpTo, clock)) {
      this.journal.sentAcknowledged(envelope.ackUpTo);
      this.local.acknowledged(envelope.ackUpTo);
      await this.blobs.releaseAcked(envelope.ackUpTo);
    }
    return this.dispatch(envelope);
  }

  private async dispatch(envelope: Envelope<WireDelta>): Promise<Beside | void> {
    switch (envelope.kind) {
      case 'delta': {
        const held: HeldDelta = { batch: { seq: envelope.seq, payload: envelope.payload }, siteUrl: envelope.siteUrl };
        if (this.copyIn.id !== null) this.copyIn.holdDelta(held);
        // Not applied, not acknowledged: the paired site sends it again on resume or after the copy.
        else if (!this.live || this.paused) return;
        else if (this.copyOut.holding) this.copyOut.holdDelta(held);
        else await this.receiveDelta(held);
        return;
      }
      case 'copy-request':
        return this.copyOut.answer(envelope);
      case 'copy-begin':
      case 'copy-chunk':
      case 'copy-end':
        return this.copyIn.receivePart(envelope);
      case 'copy-installed':
        return this.copyOut.installed(envelope);
      case 'copy-abort':
        if (this.copyIn.id === envelope.copyId) return this.copyIn.aborted(envelope.copyId, envelope.reason);
        return this.copyOut.aborted(envelope);
      case 'resend': {
        const error = this.link.answerResend(envelope.resendFrom, decodeHlc(envelope.hlc));
        if (error !== null) this.journal.write([{ direction: 'received', kind: 'pairing', target: 'peer', summary: error, status: 'failed' }]);
        return;
      }
      // Served and stored beside the ordered steps, so a window of chunks moves at once and live
      // deltas do not wait behind a big file; a stored chunk is booked in order (`inOrder`).
      case 'blob-request':
        return this.steps.beside(this.blobs.serve(envelope));
      case 'blob-chunk':
        return this.steps.beside(this.blobs.receiveChunk(envelope));
      case 'blob-missing':
        await this.blobs.onMissing(envelope.sha256);
        return this.copyIn.installIfFetched(true);
      case 'nack':
        this.link.refused(envelope.nackSeq);
        this.journal.write([
          { direction: 'sent', kind: 'rows', target: `batch ${envelope.nackSeq}`, summary: `The paired site could not apply it: ${envelope.reason}`, status: 'failed' },
        ]);
        return;
      default:
        // ack, hello: the piggybacked ackUpTo was the point; a lost tail shows up here.
        if (this.deltasFlow && !this.copyOut.holding) this.link.observeSenderSeq(envelope.seq);
    }
  }

  private async receiveDelta({ batch, siteUrl }: HeldDelta): Promise<void> {
    const ready = this.link.receive(batch);
    if (ready.length > 0) await this.applyInOrder(ready, siteUrl);
  }

  private async applyHeld(held: readonly HeldDelta[]): Promise<void> {
    for (const delta of held) await this.receiveDelta(delta);
  }

  /** A blob fetch ended: the deltas it held back go on, unless this site stopped taking the paired site's changes meanwhile. */
  private async applyHeldIfReceiving(): Promise<void> {
    if (!this.live || this.paused || this.copyIn.id !== null || this.copyOut.holding) return;
    await this.applyInOrder(this.link.ready());
  }

  /**
   * Applies deltas in order; stops at the first failure and keeps it and the rest for `retry()`.
   * A delta whose blobs are still on their way is kept the same way, without a failure: it is
   * applied once they are here (see BlobTransfer).
   */
  private async applyInOrder(batches: readonly SequencedBatch<WireDelta>[], fromSiteUrl?: string): Promise<void> {
    const outcome = await this.link.applyInOrder(batches, async (batch) => {
      this.lastPeerSiteUrl = fromSiteUrl ?? this.lastPeerSiteUrl;
      const applied = await applyDelta(this.applying, batch, this.lastPeerSiteUrl);
      if (applied.kind !== 'failed') return applied.kind;
      this.setProblem(`Changes from the paired site are held back: batch ${batch.seq} could not be applied (see the journal)`);
      return { failed: applied.reason };
    });
    if (outcome === 'applied') this.setProblem(null);
  }

  /**
   * The paired site's deltas go on after `appliedUpTo` (a rejoin, a full-state copy): those held
   * here are gone, and so are the blob fetches they started (a part received so far stays, to resume from).
   */
  private restartInbox(appliedUpTo: number): void {
    this.link.restartInbox(appliedUpTo);
    this.blobs.forgetFetches();
  }

  private setProblem(problem: string | null): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.options.onProblem?.(problem);
  }
}
