import type { ChangeFeed } from '../db';
import type { SiteClient } from '../platform/site-client';
import type { JournalEntry } from '../protocol/journal-entry';
import { createHlcClock, decodeHlc, type HlcClock } from '../sync/hlc';
import type { SequencedBatch } from '../sync/sequencing';
import { MAX_ENVELOPE_BYTES, parseLaneChunk, WIRE_VERSION, type Envelope, type PeerMessage } from '../sync/wire';
import { GroupLinks, type LinkParts } from './peer/group-links';
import type { BlobLane } from '../sync/broadcast-lane';
import { BlobTransfer } from './blob-transfer';
import { blobWritesOf, encodeDelta, type Delta, type WireDelta } from './delta';
import { FileVersions } from './file-versions';
import { KeptDeltas } from './peer/kept-deltas';
import { Membership } from './peer/membership';
import type { HeldDelta } from './copy-exchange';
import { describeDelta } from './summaries';
import { describeReloadLoss, type ReloadLoss } from './rejoin';
import { applyDelta, type ApplyDeltaContext } from './peer/apply-delta';
import { CopySourceFlow } from './peer/copy-source-flow';
import { CopyTargetFlow } from './peer/copy-target-flow';
import { DeltaLink, type DeltaLinkOptions } from './peer/delta-link';
import { EngineGuard } from './peer/engine-guard';
import { LocalChanges } from './peer/local-changes';
import { Numberer } from './peer/numberer';
import { handsOver, heldOf, NumbererHandoff } from './peer/numberer-handoff';
import { openPeerSite } from './peer/open-site';
import { PeerJournal } from './peer/peer-journal';
import type { PeerSite } from './peer/peer-site';
import { RejoinFlow } from './peer/rejoin-flow';
import { Steps, type Beside } from './peer/steps';

export { MAX_BATCHES_IN_FLIGHT } from './peer/local-changes';

export interface SyncPeerOptions {
  client: SiteClient;
  pairId: string;
  /** This site's peer id. */
  peerId: string;
  /** The other members of the group (their peer ids): one link to each. */
  members: readonly string[];
  /** This site's slot in the ID plan: a full-state copy gives it this slot's range. */
  idSlot: number;
  /** Hands one JSON-safe envelope to the transport; its `to` names the member it is for. */
  send: (message: PeerMessage<WireDelta>) => void;
  /**
   * This tab's lane to the other tabs (wire.ts), for blob chunks' bytes; what arrives on it goes
   * to `receiveLane`. Without one, they go by `send` like everything else.
   */
  lane?: BlobLane;
  /** Journal lines as they happen. */
  onJournal?: (entries: JournalEntry[]) => void;
  /** Quiet time after the last file event before file-only changes go out. */
  fileSettleMs?: number;
  wallClock?: () => number;
  /** Ask this member for a full-state copy right away; send no local changes until it is installed. */
  awaitCopyFrom?: string;
  /**
   * The site is a saved site that reloaded while paired: it kept its files and database (with the
   * engine's tables and captured rows) and lost this peer. Resume from there with the other
   * members, which are still running: no full-state copy (see `rejoin.ts`).
   */
  resume?: boolean;
  /** Start with sync off (see `setPaused`). */
  paused?: boolean;
  /**
   * This site is its group's numberer (docs/ids.md): it gives the rows made while synced low IDs
   * and sends the renumberings to every member. Never a site that starts from a copy: its
   * renumberings so far may not all be in the copy.
   */
  numberer?: boolean;
  /**
   * The member that numbers, or numbered, the group's rows (docs/ids.md), on every member: a
   * change another member made after it applied a renumbering holds the low IDs, and is applied
   * here only once that renumbering is (its `deps`). Kept after the numberer left or stopped
   * numbering: its renumberings may still be on their way.
   */
  numbererPeer?: string;
  /**
   * The members that numbered the group's rows before `numbererPeer` (they left, or started
   * over): changes wait for their renumberings too, and a numberer named after them catches up
   * with them before it numbers (NumbererHandoff).
   */
  formerNumberers?: readonly string[];
  /** Quiet time after the last change before the numberer's pass. */
  numberSettleMs?: number;
  /** How often a numberer named after others asks the members again how far they hold their deltas. */
  handoffAskEveryMs?: number;
  /** The count of unacknowledged local deltas, whenever it changes (the toolbar badge). */
  onPending?: (count: number) => void;
  /** Bytes of a full-state copy received so far, of `total`. */
  onCopyProgress?: (progress: { done: number; total: number }) => void;
  /** A full-state copy this site asked for ended: installed, or not (`error`, also journaled). */
  onCopyDone?: (error?: string) => void;
  /** Journal lines whose status changed: a sent delta's lines become `applied` once every member acknowledged it. */
  onJournalStatus?: (ids: string[], status: JournalEntry['status']) => void;
  /**
   * What keeps this site from syncing right now (its engine files lost, a received change it
   * cannot apply), or `null` once nothing does. Told on every change.
   */
  onProblem?: (problem: string | null) => void;
}

/**
 * One site's end of a sync group, put together from parts with one job each (src/engine/peer/).
 * Once per site: its own changes made into deltas (LocalChanges), the engine put back when
 * Playground loses it (EngineGuard), big files (BlobTransfer) and the journal (PeerJournal).
 * Once per other member (GroupLinks): the delta link with acks and resends (DeltaLink), both ends
 * of the full-state copy (CopyTargetFlow, CopySourceFlow) and resuming after a reload
 * (RejoinFlow). Every delta goes from its origin to each member directly, under one numbering,
 * and the all-or-nothing apply (applyDelta) serves every link. Members joining, starting over and
 * leaving change the links (Membership); the other members' deltas applied here are kept until
 * all have them, for a member that leaves before they reached every member (KeptDeltas). This
 * class holds the state the parts share (sync on or off, live or waiting for a copy) and routes
 * envelopes to them.
 * Everything that touches the site runs one step at a time (Steps), except the bytes of blob
 * chunks: served and stored beside the steps, so a window of them moves at once.
 */
export class SyncPeer {
  private readonly steps: Steps;
  private readonly clock: HlcClock;
  private readonly journal: PeerJournal;
  private readonly guard: EngineGuard;
  private readonly fileVersions = new FileVersions();
  private readonly blobs: BlobTransfer;
  private readonly kept: KeptDeltas;
  private readonly membership: Membership;
  private readonly local: LocalChanges;
  private readonly numberer: Numberer;
  private readonly links = new GroupLinks();
  /** Links whose next delta waits (for its big files, or for deltas of other members it may build on), not failed. */
  private readonly waiting = new Set<LinkParts>();
  private paused: boolean;
  private stopping = false;
  /** False until the copy asked for at start is installed (and after it failed): no deltas in or out. */
  private live: boolean;
  /** A copy asked for while paused: requested on resume. */
  private copyOnResume = false;
  /** The member this site's copy is asked of (see `copyFrom`). */
  private copyFromMember: string;
  private problem: string | null = null;
  private pendingReported = 0;
  /**
   * A full-state copy replaced this site's state once the group had a numberer: the copy may lack
   * renumberings some member applied, so this site numbers no rows unless it is named numberer
   * by a handoff, which catches up with them first (see `setNumbering`).
   */
  private copyMayLackRenumberings: boolean;
  /** The copy in flight replaces a state that went back, from the only other member: it lacks no renumbering this site sent (see `restoreAfterGoingBack`). */
  private copyHasEveryRenumbering = false;
  /** The journal said this page's site went back (see `restoreAfterGoingBack`). */
  private toldWentBack = false;
  /** The group's numberer (see `SyncPeerOptions.numbererPeer`). */
  private numbererPeer: string | undefined;
  /** Those before it (see `SyncPeerOptions.formerNumberers`). */
  private formerNumberers: readonly string[];
  private readonly handoff: NumbererHandoff;

  private constructor(
    private readonly options: SyncPeerOptions,
    private readonly site: PeerSite,
    feed: ChangeFeed,
  ) {
    const { peerId, pairId } = options;
    if (options.members.length === 0) throw new Error('A sync group needs at least one other member');
    this.clock = createHlcClock(peerId, { wallClock: options.wallClock });
    this.paused = options.paused ?? false;
    this.live = options.awaitCopyFrom === undefined;
    this.copyMayLackRenumberings = options.awaitCopyFrom !== undefined && options.numbererPeer !== undefined;
    this.numbererPeer = options.numbererPeer;
    this.formerNumberers = options.formerNumberers ?? [];
    this.copyFromMember = options.awaitCopyFrom ?? options.members[0]!;
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
    this.blobs = new BlobTransfer({
      store: site.store,
      send: (to, message) => this.links.get(to)?.link.control(message.kind, message),
      lane: options.lane && {
        address: options.lane.address,
        send: (to, chunk) => {
          if (!this.stopping) options.lane?.send(to, { v: WIRE_VERSION, kind: 'blob-bytes', pairId, from: peerId, ...chunk });
        },
      },
      onFetchEnded: () => {
        for (const parts of this.links.all()) parts.copyIn.noteFetchEnded();
        void this.steps.run(() => this.applyHeldIfReceiving());
      },
      // A stored chunk is booked as a step of its own; the copy in flight installs once its bytes are all
      // here. A stopped peer books nothing more (its site may be another one now).
      inOrder: (work) =>
        this.stopping
          ? Promise.resolve()
          : this.steps.run(async () => {
              await work();
              for (const parts of this.links.all()) await parts.copyIn.installIfFetched(true);
            }),
      onStored: (sha256, written) => {
        for (const parts of this.links.all()) parts.copyIn.stored(sha256, written);
      },
      journal: (entries) => this.journal.write(entries),
    });
    this.kept = new KeptDeltas(this.blobs);
    this.membership = new Membership({
      peerId,
      siteUrl: site.siteUrl,
      links: this.links,
      kept: this.kept,
      blobs: this.blobs,
      journal: this.journal,
      openLink: (remotePeerId, startFrom) => this.openLink(remotePeerId, startFrom),
      takeDelta: (parts, held) => this.takeDelta(parts, held),
      takeFromOrigin: (parts, held) => {
        parts.relayedBy = null;
        return this.takeDelta(parts, held);
      },
      releaseAckedByAll: () => this.releaseAckedByAll(),
      reportPending: () => this.reportPending(),
      awaitingCopy: () => !this.live || this.copyInFlight,
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
    this.numberer = new Numberer({
      site,
      peerId,
      guard: this.guard,
      journal: this.journal,
      steps: this.steps,
      settleMs: options.numberSettleMs ?? 300,
      mayRun: () => this.deltasFlow && !this.stopping && this.handoff.ready,
      renumbered: () => this.local.pull(),
    });
    this.handoff = new NumbererHandoff({
      peerId,
      links: this.links,
      reconciling: (member) => this.membership.reconciles(member),
      mayAsk: () => this.deltasFlow && !this.stopping,
      ask: (to, origins) => to.link.control('numbering-ask', { origins: [...origins] }),
      onReady: () => this.numberer.schedule(),
      ...(options.handoffAskEveryMs !== undefined ? { askEveryMs: options.handoffAskEveryMs } : {}),
    });
    for (const remotePeerId of new Set(options.members)) this.links.add(this.openLink(remotePeerId));
    if (options.numberer && options.numbererPeer === undefined) this.numbererPeer = peerId;
    this.updateNumbering(options.numberer ?? false);
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
    if (options.resume) await peer.steps.run(async () => {
      for (const parts of peer.links.all()) await parts.rejoin.ask();
    });
    else if (options.awaitCopyFrom !== undefined) await peer.requestCopy();
    // Changes captured while capture was being installed.
    peer.local.schedulePull();
    return peer;
  }

  /** Unacknowledged deltas (the badge's pending count): what some member has not acknowledged yet. */
  get pendingCount(): number {
    return this.links.pendingCount;
  }

  /**
   * Whether some change of this site has not reached every member yet: not in a delta yet (waiting
   * in the site's outbox, files settling) or not acknowledged by every member. A page that closes
   * now takes it with it.
   */
  get hasUnsyncedChanges(): boolean {
    return this.local.unsent || this.links.pendingCount > 0;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether the site still waits for a member to answer its rejoin request. */
  get rejoining(): boolean {
    return this.links.some((parts) => parts.rejoin.waiting);
  }

  /** Sends what the site holds right now: changes made outside requests, files still settling, the numberer's renumberings due. */
  async flush(): Promise<void> {
    await this.steps.run(async () => {
      await this.local.pull();
      await this.local.send(null);
      this.handoff.nudge();
      await this.numberer.passIfDue();
    });
  }

  /**
   * Takes one envelope from the transport. Anything malformed or foreign is journaled and dropped.
   * Resolves once its work is done, including a blob chunk served or stored beside the ordered steps.
   */
  async receive(message: unknown): Promise<void> {
    const beside = await this.steps.run(async () => {
      const handled = await this.handle(message);
      // What came may be what a numberer named after others waited for (NumbererHandoff).
      this.handoff.check();
      return handled;
    });
    await beside?.work;
  }

  /** Takes one message from this tab's lane (a blob chunk's bytes): stored beside the ordered steps; anything else is journaled and dropped. */
  async receiveLane(message: unknown): Promise<void> {
    if (this.stopping) return;
    const parsed = parseLaneChunk(message, { pairId: this.options.pairId, self: this.options.peerId });
    const from = parsed.ok ? parsed.value.from : '';
    if (!parsed.ok || !this.links.get(from)) {
      this.journal.refused('peer message', parsed.ok ? `Rejected lane message: from: ${from} is not a member of this group` : parsed.error);
      return;
    }
    await this.steps.beside(this.blobs.receiveLaneChunk(parsed.value, from)).work;
  }

  /** Applies received deltas again after a failure (e.g. once its cause was fixed). */
  retry(): Promise<void> {
    return this.steps.run(async () => {
      for (const parts of this.links.receiving()) await this.applyInOrder(parts, parts.link.ready());
    });
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
    for (const parts of this.links.all()) parts.link.resendAll();
  }

  /**
   * What a tab's timer calls every few seconds: sends again the unacknowledged deltas whose wait
   * is over (see resend-policy.ts: backing off while nothing is heard, never while acknowledgements
   * come, never a delta the member refused).
   */
  resendDue(nowMs = performance.now()): void {
    for (const parts of this.links.all()) parts.link.resendDue(nowMs);
  }

  /**
   * Asks the member `awaitCopyFrom` for its full state. Resolves once the request (with this
   * site's file hashes) is sent; the copy ends with `onCopyDone` and a journal line. While it is
   * in flight this site sends no deltas and holds the source's; once installed, its own
   * unacknowledged changes are dropped (the copy replaced them) and deltas flow from the copy's
   * position on both sides. While paused, the request goes out on resume.
   */
  requestCopy(): Promise<void> {
    if (this.paused) {
      this.copyOnResume = true;
      return Promise.resolve();
    }
    return this.steps.run(() => this.copySource().copyIn.request());
  }

  /**
   * A copy in flight that heard nothing from the source for `quietMs` (its request or some of its
   * envelopes were lost, e.g. with a service worker stopped in between) is aborted and asked for
   * again under a new id. Resolves whether it asked again. A restored member's hello held here as
   * long waits no more for a member that never said how far it has the old life (its tab hangs).
   */
  askAgainIfCopyStalled(quietMs: number): Promise<boolean> {
    return this.steps.run(async () => {
      let asked = false;
      for (const { copyIn } of this.links.all()) if (copyIn.id !== null) asked = (await copyIn.askAgainIfStalled(quietMs)) || asked;
      await this.membership.stopWaitingForSilent(quietMs);
      return asked;
    });
  }

  /**
   * Unanswered rejoin requests go out again under a new id after `quietMs` (the request or its
   * answer may have been lost with a service worker stopped in between). Resolves whether it did.
   */
  rejoinAgainIfUnanswered(quietMs: number): Promise<boolean> {
    return this.steps.run(async () => {
      let asked = false;
      for (const parts of this.links.all()) asked = (await parts.rejoin.askAgainIfUnanswered(quietMs)) || asked;
      return asked;
    });
  }

  /**
   * Sync off: local changes are still captured and queued (see `onPending`), nothing is sent and
   * the other members' deltas are left unapplied (they keep them until acknowledged). On resume
   * every pending delta goes out and each member is asked for what it sent meanwhile.
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
    this.numberer.schedule();
    this.resendPending();
    for (const { link } of this.links.all()) link.control('resend', { resendFrom: link.appliedUpTo + 1 });
    // What was held meanwhile that no one sends again (a member that left, its deltas relayed).
    void this.steps.run(() => this.applyHeldIfReceiving());
  }

  /**
   * The member this site's copy was asked of reloaded and lost its own site (its link was reset):
   * the copy is asked of `member` instead. Nothing once a copy is installed.
   */
  copyFrom(member: string): Promise<void> {
    if (this.live) return Promise.resolve();
    this.copyFromMember = member;
    return this.requestCopy();
  }

  /**
   * The group's numberer and those before it (see `SyncPeerOptions.numbererPeer`,
   * `formerNumberers`), and whether low IDs are on: this site numbers if it is the numberer,
   * unless a copy replaced its state since the group had one (`copyMayLackRenumberings`). Named
   * by a handoff (`handsOver`), it catches up with the former numberers first.
   */
  setNumbering(numbererPeer: string, lowIdsOn: boolean, formerNumberers: readonly string[] = []): void {
    const handedOver = handsOver({ numbererPeer: this.numbererPeer, formers: this.formerNumberers }, { numbererPeer, formers: formerNumberers });
    this.numbererPeer = numbererPeer;
    this.formerNumberers = [...new Set([...this.formerNumberers, ...formerNumberers])];
    if (handedOver && numbererPeer === this.options.peerId) this.copyMayLackRenumberings = false;
    this.updateNumbering(lowIdsOn, handedOver);
  }

  /**
   * A copy replaced this site's state. A numberer named by a handoff that has not caught up yet
   * has numbered nothing: it catches up from the copy's state. Any other site that numbered, or
   * may have, numbers no more (`copyMayLackRenumberings`).
   */
  private copyReplacedState(): void {
    if (this.copyHasEveryRenumbering) {
      this.copyHasEveryRenumbering = false;
      this.numberer.schedule();
      return;
    }
    if (this.numberer.isActive && !this.handoff.ready) {
      this.handoff.catchUpWith(this.formerNumberers);
      return;
    }
    if (this.numbererPeer !== undefined) this.copyMayLackRenumberings = true;
    this.numberer.setActive(false);
    this.handoff.stop();
  }

  /**
   * The resumed site's database went back (Playground lost its last writes with the reload), and
   * `member`, the only other one, has what it lost: its full state replaces this site's. It
   * applied every renumbering this site sent, and one never sent is gone with the state the copy
   * replaces: a numberer numbers on. In a larger group nothing is done (answers false): a copy
   * there would restart this member's life under its old id and site, which the members' relays
   * of its old life are not made for (a tab taken out later left a member waiting for good).
   * Call from a step.
   */
  private async restoreAfterGoingBack(member: string, copyIn: CopyTargetFlow, lost: ReloadLoss): Promise<boolean> {
    const restoring = this.links.all().length === 1;
    // Each member's answer finds it: said once.
    if (!this.toldWentBack) this.journal.write([{ direction: 'local', kind: 'pairing', target: 'paired site', summary: describeReloadLoss(lost, restoring), status: restoring ? 'info' : 'failed' }]);
    this.toldWentBack = true;
    if (!restoring) return false;
    this.copyFromMember = member;
    this.copyHasEveryRenumbering = true;
    if (this.paused) this.copyOnResume = true;
    else await copyIn.request();
    return true;
  }

  /** Starts or stops the numberer (see `setNumbering`); a numberer named after others catches up with them first. */
  private updateNumbering(lowIdsOn: boolean, handedOver = true): void {
    const numbers = lowIdsOn && this.numbererPeer === this.options.peerId && !this.copyMayLackRenumberings;
    if (numbers && (handedOver || !this.numberer.isActive)) this.handoff.catchUpWith(this.formerNumberers);
    if (!numbers) this.handoff.stop();
    this.numberer.setActive(numbers);
  }

  /** Whether this site hands out low IDs (docs/ids.md): it is the numberer, caught up with those before it. */
  get isNumberer(): boolean {
    return this.numberer.isActive && this.handoff.ready;
  }

  /** A member joined the group (see Membership.add). */
  addMember(remotePeerId: string): Promise<void> {
    return this.steps.run(async () => this.membership.add(remotePeerId));
  }

  /**
   * A member starts over from a copy, its new life at the site URL `life`: call on every other
   * member before it asks for its copy (see Membership.reset).
   */
  resetMember(remotePeerId: string, life?: string): Promise<void> {
    return this.steps.run(async () => {
      await this.membership.reset(remotePeerId, life);
      this.handoff.startedOver(remotePeerId);
    });
  }

  /** A member left the group; the last other member cannot be removed (see Membership.remove). */
  removeMember(remotePeerId: string): Promise<void> {
    return this.steps.run(async () => {
      await this.membership.remove(remotePeerId);
      this.handoff.check();
    });
  }

  /** Stops for good. Work in flight may fail as its site goes (a replaced client): that is no failure to report. */
  async stop(): Promise<void> {
    this.markStopping();
    this.local.stopFlushing();
    await this.steps.settled();
    await this.membership.closeAll();
    await this.local.close();
  }


  /** The links and flows toward one other member. */
  private openLink(remotePeerId: string, startFrom?: DeltaLinkOptions['startFrom']): LinkParts {
    const { site, options } = this;
    const { peerId, pairId } = options;
    const link = new DeltaLink({
      pairId,
      peerId,
      remotePeerId,
      siteUrl: site.siteUrl,
      clock: this.clock,
      journal: this.journal,
      send: options.send,
      deltasFlow: () => this.deltasFlow,
      settledUpTo: () => this.settledUpTo(),
      // A link that closed (the member left, or starts over on a new one) says nothing more.
      stopped: () => this.stopping || this.links.get(remotePeerId) !== parts,
      onPending: () => this.reportPending(),
      ...(startFrom ? { startFrom } : {}),
    });
    const restartInbox = (appliedUpTo: number) => {
      link.restartInbox(appliedUpTo);
      parts.arrivals.clear();
      this.blobs.forgetFetches(remotePeerId);
    };
    const applyHeld = async (held: readonly HeldDelta[]) => {
      for (const delta of held) await this.receiveDelta(parts, delta);
      await this.membership.takeRelaysHeldDuringCopy();
    };
    const resendPending = () => {
      this.blobs.askAgain();
      link.resendAll();
    };
    const copyIn = new CopyTargetFlow({
      site,
      peerId,
      idSlot: options.idSlot,
      link,
      blobs: this.blobs,
      journal: this.journal,
      local: this.local,
      isLive: () => this.live,
      isPaused: () => this.paused,
      goLive: () => {
        this.live = true;
        this.copyReplacedState();
      },
      restartInbox,
      resendPending,
      dropPending: (atLeast) => this.dropPending(atLeast),
      joinOthers: (applied, kept) => this.membership.joinOthers(remotePeerId, applied, kept),
      applyHeld,
      onCopyProgress: options.onCopyProgress,
      onCopyDone: options.onCopyDone,
    });
    const copyOut = new CopySourceFlow({
      site,
      link,
      blobs: this.blobs,
      journal: this.journal,
      local: this.local,
      fileVersions: this.fileVersions,
      wallClock: options.wallClock,
      appliedFromOthers: () => this.links.appliedFrom(remotePeerId),
      handOver: (applied, ownUpTo) => this.membership.handOver(parts, applied, ownUpTo),
      cannotServe: () => {
        if (this.paused) return 'Sync is paused on the paired site';
        if (!this.live || this.copyInFlight) return 'The paired site is waiting for a full-state copy itself';
        return null;
      },
      restartInbox,
      applyHeld,
    });
    const rejoin = new RejoinFlow({
      site,
      peerId,
      remotePeerId,
      link,
      local: this.local,
      fileVersions: this.fileVersions,
      journal: this.journal,
      pageSince: this.clock.now(),
      restartInbox,
      // A reloaded member's deltas wait until every member answered its rejoin: the last answer sends them on every link.
      resendPending: () => this.resendPending(),
      wentBack: (lost) => this.restoreAfterGoingBack(remotePeerId, copyIn, lost),
    });
    const applying: ApplyDeltaContext = {
      site,
      remotePeerId,
      lacksDeps: (deps) => this.lacksDeps(deps),
      lacksRenumberings: (deps) => this.lacksRenumberings(remotePeerId, deps),
      blobSource: () => parts.relayedBy ?? remotePeerId,
      applied: (batch) => this.keepForRelaying(parts, batch, parts.lastSiteUrl),
      fileVersions: this.fileVersions,
      blobs: this.blobs,
      guard: this.guard,
      journal: this.journal,
      sendLocalFirst: () => this.local.send(null),
    };
    const parts: LinkParts = { remotePeerId, link, copyIn, copyOut, rejoin, applying, lastSiteUrl: '', relayedBy: null, arrivals: new Map(), restartInbox };
    return parts;
  }

  /** A copy replaced this site's unsent deltas: every link forgets them, under one numbering still. Answers those dropped. */
  private dropPending(atLeast: number): readonly SequencedBatch<WireDelta>[] {
    const dropped = this.links.retained();
    for (const { link } of this.links.all()) link.dropPending(atLeast);
    this.membership.startedOverAfter(Math.max(atLeast, ...this.links.all().map(({ link }) => link.lastSeq)));
    return dropped;
  }

  /** The member a copy is asked of. */
  private copySource(): LinkParts {
    const name = this.copyFromMember;
    const source = this.links.get(name);
    if (!source) throw new Error(`Cannot ask ${name} for a copy: it is not a member of this group any more`);
    return source;
  }

  private get copyInFlight(): boolean {
    return this.links.some((parts) => parts.copyIn.id !== null);
  }

  /** Deltas flow: not paused, not waiting for (or after a failed) first copy, no copy in flight, not rejoining. */
  private get deltasFlow(): boolean {
    return !this.paused && this.live && !this.copyInFlight && !this.rejoining;
  }

  private markStopping(): void {
    this.stopping = true;
    this.numberer.cancel();
    this.handoff.stop();
    this.journal.stopping = true;
  }

  /** Numbers a delta of this site's changes once, puts it in every link's outbox and sends it; answers its seq. */
  private sendLocalDelta(delta: Delta): number {
    // In a group, what this site applied of the others goes with it: a member applies it only once it has that too.
    const payload = this.links.receivesFromSeveral ? { ...encodeDelta(delta), deps: this.links.appliedFrom() } : encodeDelta(delta);
    const batches = this.links.all().map(({ link }) => ({ link, batch: link.enqueue(payload) }));
    const seq = batches[0]!.batch.seq;
    if (batches.some(({ batch }) => batch.seq !== seq)) throw new Error(`The links' numbering parted (${batches.map(({ batch }) => batch.seq).join(', ')})`);
    this.blobs.offer(seq, blobWritesOf(payload));
    this.journal.trackSent(seq, this.journal.write(describeDelta(delta, 'sent', 'pending')));
    for (const { link, batch } of batches) link.send(batch);
    if (delta.db) this.numberer.schedule();
    return seq;
  }

  private async handle(message: unknown): Promise<Beside | void> {
    const parts = this.linkOf(message);
    if (!parts) return;
    const envelope = parts.link.take(message);
    if (envelope === null) return;
    const clock = decodeHlc(envelope.hlc);
    if (clock) this.clock.receive(clock);
    const overtaken = parts.link.heard(clock);
    if (envelope.settled !== undefined) await this.kept.settle(parts.remotePeerId, envelope.settled);
    if (this.links.get(parts.remotePeerId) !== parts) {
      // A member that left: its deltas still on their way are applied, nothing else of it counts.
      if (envelope.kind === 'delta') await this.membership.fromGone(parts, { batch: { seq: envelope.seq, payload: envelope.payload }, siteUrl: envelope.siteUrl });
      return;
    }
    if (parts.rejoin.isStale(envelope, clock)) return;
    if (envelope.kind === 'rejoin') return parts.rejoin.answer(envelope, clock);
    if (envelope.kind === 'rejoined') return parts.rejoin.answered(envelope, clock);
    if (parts.link.acknowledge(envelope.ackUpTo, clock)) await this.releaseAckedByAll();
    return this.dispatch(parts, envelope, overtaken);
  }

  /**
   * How far every member has this site's deltas (`settled` on its envelopes: the others forget
   * what they kept of them). After a restart, its old life counts as acknowledged on every link,
   * but reaches the members relayed: the old deltas its copy handed over are kept here until
   * each member said it has them, and are not settled before. Before, the members that kept
   * them let them go at once, and when the relayers left before their relays landed, a member
   * never got them (fuzz seed 7555).
   */
  private settledUpTo(): number {
    const ownOldLife = this.kept.firstKept(this.options.peerId);
    return ownOldLife === null ? this.links.ackedByAll : Math.min(this.links.ackedByAll, ownOldLife - 1);
  }

  /**
   * What every member has acknowledged leaves the site's outbox, with its blobs, and its journal
   * lines read as applied. In a group, the members are told at once (`settled`): they forget what
   * they kept of it for relaying, big files included.
   */
  private async releaseAckedByAll(): Promise<void> {
    const upTo = this.links.newlyAckedByAll();
    if (upTo === null) return;
    if (this.links.size >= 2) for (const { link } of this.links.all()) link.control('ack', {});
    this.journal.sentAcknowledged(upTo);
    this.local.acknowledged(upTo);
    await this.blobs.releaseAcked(upTo);
  }

  /** The link a message came on, by its sender; a sender outside the group is refused (journaled). */
  private linkOf(message: unknown): LinkParts | undefined {
    const from = senderOf(message);
    const parts = typeof from === 'string' ? (this.links.get(from) ?? this.links.departed(from)) : undefined;
    if (parts) return parts;
    if (typeof from === 'string' && from !== this.options.peerId) {
      this.journal.refused('peer message', `Rejected envelope: from: ${from.slice(0, 100)} is not a member of this group`);
    } else {
      // A link's own checks say what is wrong with it (no sender, an echo of this member's own).
      this.links.all()[0]!.link.take(message);
    }
    return undefined;
  }

  private async dispatch(parts: LinkParts, envelope: Envelope<WireDelta>, overtaken: boolean): Promise<Beside | void> {
    const { link, copyIn, copyOut } = parts;
    switch (envelope.kind) {
      case 'delta': {
        const held: HeldDelta = { batch: { seq: envelope.seq, payload: envelope.payload }, siteUrl: envelope.siteUrl };
        parts.relayedBy = null;
        if (copyIn.id !== null) copyIn.holdDelta(held);
        // Not applied, not acknowledged: the member sends it again on resume or after the copy.
        else if (!this.live || this.paused || this.copyInFlight) return;
        else if (copyOut.holding) copyOut.holdDelta(held);
        else if (!this.membership.holdsBack(parts, held)) await this.receiveDelta(parts, held);
        return;
      }
      case 'relay':
        return this.membership.relayed(parts, envelope);
      case 'relayed':
        return this.membership.heard(parts.remotePeerId, envelope.origin, envelope.upTo, envelope.life);
      case 'numbering-ask':
        return link.control('numbering-held', { held: heldOf(this.links, envelope.origins) });
      case 'numbering-held':
        return this.handoff.told(parts.remotePeerId, envelope.held);
      case 'hello':
        return this.membership.greeted(parts, envelope, overtaken);
      case 'copy-request':
        return this.membership.copyRequested(parts, envelope);
      case 'copy-begin':
      case 'copy-chunk':
      case 'copy-end':
        return copyIn.receivePart(envelope);
      case 'copy-installed':
        this.membership.greetedWithCopy(parts.remotePeerId);
        return copyOut.installed(envelope);
      case 'copy-abort':
        if (copyIn.id === envelope.copyId) return copyIn.aborted(envelope.copyId, envelope.reason);
        return copyOut.aborted(envelope);
      case 'resend': {
        const error = link.answerResend(this.membership.resendFrom(envelope.resendFrom), decodeHlc(envelope.hlc));
        if (error !== null) this.journal.write([{ direction: 'received', kind: 'pairing', target: 'peer', summary: error, status: 'failed' }]);
        return;
      }
      // Served and stored beside the ordered steps, so a window of chunks moves at once and live
      // deltas do not wait behind a big file; a stored chunk is booked in order (`inOrder`).
      case 'blob-request':
        return this.steps.beside(this.blobs.serve(envelope, envelope.from));
      case 'blob-chunk':
        return this.steps.beside(this.blobs.receiveChunk(envelope, envelope.from));
      case 'blob-missing':
        await this.blobs.onMissing(envelope.sha256, envelope.from);
        return copyIn.installIfFetched(true);
      case 'nack':
        link.refused(envelope.nackSeq);
        this.journal.write([
          { direction: 'sent', kind: 'rows', target: `batch ${envelope.nackSeq}`, summary: `${this.refuser(parts)} could not apply it: ${envelope.reason}`, status: 'failed' },
        ]);
        return;
      default:
        // ack, hello: the piggybacked ackUpTo was the point; a lost tail shows up here.
        if (this.deltasFlow && !copyOut.holding && this.membership.mayAskForLostDeltas(parts.remotePeerId)) link.observeSenderSeq(envelope.seq);
    }
  }

  /**
   * A delta no one will send again (relayed, or from a member that left): applied now, held while
   * sync is off, dropped while a copy will replace this site's state.
   */
  private async takeDelta(parts: LinkParts, held: HeldDelta): Promise<void> {
    if (!this.live || this.copyInFlight) return;
    if (!this.paused) return this.receiveDelta(parts, held);
    this.noteArrival(parts, held);
    parts.link.hold(held.batch);
  }

  private async receiveDelta(parts: LinkParts, held: HeldDelta): Promise<void> {
    const { batch, siteUrl } = held;
    // One this site has already (applied, or by a copy) is kept all the same: its big files are pulled if not here.
    if (batch.seq <= parts.link.appliedUpTo && this.keepsForRelaying(parts)) {
      await this.kept.keepHad(parts.remotePeerId, { batch, siteUrl }, parts.relayedBy ?? parts.remotePeerId);
    }
    this.noteArrival(parts, held);
    const ready = parts.link.receive(batch, parts.relayedBy === null);
    if (ready.length > 0) await this.applyInOrder(parts, ready);
  }

  /** How a delta not applied yet arrived (`parts.relayedBy`: who relayed it, if anyone), for when it is. */
  private noteArrival(parts: LinkParts, { batch, siteUrl }: HeldDelta): void {
    if (batch.seq > parts.link.appliedUpTo) parts.arrivals.set(batch.seq, { siteUrl, relayedBy: parts.relayedBy });
  }

  /** A blob fetch ended (or, `onlyWaiting`, another link applied deltas): the deltas held back go on, unless this site stopped taking other members' changes meanwhile; `onlyWaiting` leaves a failed one for its retry. */
  private async applyHeldIfReceiving(onlyWaiting = false): Promise<void> {
    if (!this.live || this.paused || this.copyInFlight) return;
    for (const parts of this.links.receiving()) {
      if (parts.copyOut.holding || (onlyWaiting && !this.waiting.has(parts))) continue;
      await this.applyInOrder(parts, parts.link.ready());
    }
  }

  /**
   * Applies one member's deltas in order; stops at the first failure and keeps it and the rest
   * for `retry()`. A delta whose blobs are still on their way is kept the same way, without a
   * failure: it is applied once they are here (see BlobTransfer). The other links go on.
   */
  private async applyInOrder(parts: LinkParts, batches: readonly SequencedBatch<WireDelta>[]): Promise<void> {
    const before = parts.link.appliedUpTo;
    const outcome = await parts.link.applyInOrder(batches, async (batch) => {
      const arrival = parts.arrivals.get(batch.seq);
      if (arrival) ({ siteUrl: parts.lastSiteUrl, relayedBy: parts.relayedBy } = arrival);
      const applied = await applyDelta(parts.applying, batch, parts.lastSiteUrl);
      if (applied.kind === 'applied') parts.arrivals.delete(batch.seq);
      if (applied.kind !== 'failed') return applied.kind;
      this.setProblem(`Changes from the paired site are held back: batch ${batch.seq} could not be applied (see the journal)`);
      return { failed: applied.reason };
    });
    if (outcome === 'applied') this.setProblem(null);
    if (parts.link.appliedUpTo > before) this.numberer.schedule();
    // Marked before Membership.applied: a member starting over may be reconciled there, its new life
    // applied through this link at once, and what that leaves waiting must stay marked.
    if (outcome === 'waiting') this.waiting.add(parts);
    else if (outcome !== 'none') this.waiting.delete(parts);
    if (outcome !== 'none') await this.membership.applied(parts);
    // Another member's deltas may have waited for these (see `WireDelta.deps`); one that failed waits for a retry.
    if (parts.link.appliedUpTo > before && this.links.receivesFromSeveral) await this.applyHeldIfReceiving(true);
  }

  /**
   * Whether this site has not applied some of the deltas `deps` names (see `WireDelta.deps`); a
   * member it never knew of is not waited for.
   */
  private lacksDeps(deps: Readonly<Record<string, number>>): boolean {
    return Object.entries(deps).some(([member, upTo]) => {
      const parts = this.links.get(member) ?? this.links.departed(member);
      return parts !== undefined && parts.link.appliedUpTo < upTo;
    });
  }

  /**
   * Whether a delta of `origin` must wait for the deltas of a numberer (current or former) it
   * builds on (see `SyncPeerOptions.numbererPeer`): a numberer's own wait for none of its own,
   * they come in order.
   */
  private lacksRenumberings(origin: string, deps: Readonly<Record<string, number>>): boolean {
    const numberers = this.numbererPeer === undefined ? this.formerNumberers : [this.numbererPeer, ...this.formerNumberers];
    return numberers.some((numberer) => numberer !== origin && deps[numberer] !== undefined && this.lacksDeps({ [numberer]: deps[numberer] }));
  }

  /** Who refused a delta of this site's, as its journal line says: in a group, the member's site. */
  private refuser(parts: LinkParts): string {
    return this.links.size >= 2 && parts.lastSiteUrl !== '' ? `The member at ${parts.lastSiteUrl}` : 'The paired site';
  }

  /**
   * Keeps a delta of `parts`' member that this site applied, should some member lack it when its
   * origin leaves or starts over (KeptDeltas).
   */
  private keepForRelaying(parts: LinkParts, batch: SequencedBatch<WireDelta>, siteUrl: string): void {
    if (this.keepsForRelaying(parts)) this.kept.keep(parts.remotePeerId, { batch, siteUrl });
  }

  /**
   * Whether this site keeps the deltas of `parts`' member for relaying: unless no other member is
   * linked (a pair). Those of a member gone that came relayed too: their relayer may reload before
   * every member has them (fuzz seed 7246), and this site relays on what it applies of a member
   * gone (Membership.applied), each delta once.
   */
  private keepsForRelaying(parts: LinkParts): boolean {
    return this.links.some((other) => other.remotePeerId !== parts.remotePeerId);
  }

  private reportPending(): void {
    const pending = this.links.pendingCount;
    if (pending === this.pendingReported) return;
    this.pendingReported = pending;
    this.options.onPending?.(pending);
  }

  private setProblem(problem: string | null): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.options.onProblem?.(problem);
  }
}

/** Who a message says it is from, before it is checked (a JSON text is read for it too). */
function senderOf(message: unknown): unknown {
  let value = message;
  if (typeof message === 'string' && message.length <= MAX_ENVELOPE_BYTES) {
    try {
      value = JSON.parse(message);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null ? (value as { from?: unknown }).from : undefined;
}
