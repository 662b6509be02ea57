import type { JournalEntry } from '../protocol/journal-entry';
import { groupByBytes, JOURNAL_MESSAGE_BYTES } from '../journal/journal';
import type { SiteClient } from '../platform/site-client';
import type { BackgroundToTab, PeerRole, TabToBackground } from '../protocol/runtime';
import { SyncPeer, type SyncPeerOptions } from '../engine/sync-peer';
import type { BlobLane } from '../sync/broadcast-lane';
import { unpairSite } from '../engine/unpair-site';
import { shardCopySource } from './copy-source';

export type PeerStart = Extract<BackgroundToTab, { type: 'bg/peer-start' }>;

/** A lane straight to the paired tab, closed when its peer stops. */
export type ClosableLane = BlobLane & { close(): void };

/** Runs `work` every `ms` until the answered function is called (`setInterval` in a tab). */
export type Repeat = (ms: number, work: () => void) => () => void;

export interface MemberHostOptions {
  /** The site this tab runs (the page's client). */
  readonly client: SiteClient;
  /** Tells the background: envelopes, journal lines, pending counts, problems, copy progress. */
  readonly report: (message: TabToBackground) => void;
  /** The tab's timer (see `RESEND_EVERY_MS`). */
  readonly repeat: Repeat;
  /** Opens this tab's lane for a peer (`BroadcastLane.open` in a tab); none: big files' bytes go by `report` too. */
  readonly openLane?: (receive: (message: unknown) => void) => ClosableLane;
  /** Settings of the engine a tab leaves at their defaults (tests set them). */
  readonly tuning?: Pick<SyncPeerOptions, 'fileSettleMs' | 'wallClock'>;
}

/** How often the tab's timer looks for work left undone: deltas to send again (the service worker may drop them; see resend-policy.ts), a stalled copy, an unanswered rejoin, a lost engine. */
export const RESEND_EVERY_MS = 3000;
/** A full-state copy that heard nothing from the other tab this long is asked for again. */
const COPY_QUIET_MS = 15_000;
/** A rejoin request (a saved site resuming after its reload) that got no answer this long goes out again. */
const REJOIN_QUIET_MS = 10_000;

/**
 * Runs a tab's end of a pairing (a member of it): one SyncPeer on the page's client, fed with the
 * envelopes the background routes here, reporting its envelopes, journal, pending count and copy progress.
 */
export class MemberHost {
  private peer: SyncPeer | undefined;
  /** The peer being started: the paired tab may answer what it sends while starting (a copy or rejoin request) before it is ready. */
  private starting: { pairId: string; peer: Promise<SyncPeer> } | null = null;
  private role: PeerRole | null = null;
  private paused = false;
  private stopTimer: (() => void) | undefined;
  /** The running peer's lane straight to the paired tab (big files' bytes skip the service worker). */
  private lane: ClosableLane | null = null;

  constructor(private readonly options: MemberHostOptions) {}

  /** The pairing this tab runs a peer for (told to the background with every site report). */
  get current(): PeerRole | null {
    return this.role;
  }

  /** The peer running now, if any. */
  get runningPeer(): SyncPeer | undefined {
    return this.peer;
  }

  async start(command: PeerStart): Promise<void> {
    if (this.role?.pairId === command.pairId && this.role.peerId === command.peerId && this.peer) return;
    await this.stop();
    const { client, report } = this.options;
    const { pairId } = command;
    if (command.role === 'source') {
      // A new pairing starts clean, even when an earlier one ended without removing the engine.
      await unpairSite(client);
      await shardCopySource(client, command.slot);
    }
    this.paused = !command.syncOn;
    // Chunks may come while the peer is still starting (a copy's first bytes): they wait for it.
    const lane = this.options.openLane?.((message) => void starting.then((peer) => peer.receiveLane(message)).catch(() => undefined)) ?? null;
    this.lane = lane;
    const starting = SyncPeer.start({
      ...this.options.tuning,
      ...(lane ? { lane } : {}),
      client,
      pairId,
      peerId: command.peerId,
      members: command.members,
      idSlot: command.slot,
      ...(command.role === 'target' ? { awaitCopyFrom: command.copyFrom ?? command.members[0]! } : {}),
      resume: command.role === 'resume',
      paused: this.paused,
      numberer: command.numberer ?? false,
      ...(command.numbererPeer ? { numbererPeer: command.numbererPeer } : {}),
      ...(command.formerNumberers ? { formerNumberers: command.formerNumberers } : {}),
      send: (envelope) => report({ type: 'tab/envelope', pairId, envelope }),
      onJournal: (entries: JournalEntry[]) => {
        for (const group of groupByBytes(entries, JOURNAL_MESSAGE_BYTES)) report({ type: 'tab/journal', entries: group });
      },
      onJournalStatus: (ids, status) => report({ type: 'tab/journal-status', ids: ids.slice(-1000), status }),
      onPending: (pending) => report({ type: 'tab/pending', pairId, pending }),
      onProblem: (problem) => report({ type: 'tab/problem', pairId, problem: problem?.slice(0, 500) ?? null }),
      onCopyProgress: ({ done, total }) => report({ type: 'tab/copy-progress', pairId, done, total }),
      onCopyDone: (error) => report({ type: 'tab/copy-done', pairId, ...(error ? { error: error.slice(0, 2000) } : {}) }),
    });
    this.starting = { pairId, peer: starting };
    try {
      this.peer = await starting;
    } finally {
      this.starting = null;
    }
    // Sync switched while the peer was starting (a reloaded tab takes a while).
    if (this.peer.isPaused !== this.paused) this.peer.setPaused(this.paused);
    this.role = { pairId, peerId: command.peerId };
    // What the popup shows of this side starts from this page's peer (a reloaded page's old counts are gone).
    report({ type: 'tab/pending', pairId, pending: this.peer.pendingCount });
    report({ type: 'tab/problem', pairId, problem: null });
    this.stopTimer = this.options.repeat(RESEND_EVERY_MS, () => this.lookForWorkLeft());
  }

  /** Whether this page holds a change that has not reached every member yet (see SyncPeer.hasUnsyncedChanges). */
  get hasUnsyncedChanges(): boolean {
    return this.peer?.hasUnsyncedChanges ?? false;
  }

  /** What the tab's timer does each time. */
  private lookForWorkLeft(): void {
    if (!this.paused && this.peer && this.peer.pendingCount > 0) this.peer.resendDue();
    void this.peer?.askAgainIfCopyStalled(COPY_QUIET_MS);
    void this.peer?.rejoinAgainIfUnanswered(REJOIN_QUIET_MS);
    // A few file look-ups, no PHP request: older builds lose the engine's files on a runtime rotation.
    void this.peer?.repairIfLost();
  }

  /**
   * The pairing ended (unpaired, its other tab closed): the peer stops and the engine leaves the
   * site, so later writes leave no trace. A stop for a pairing other than the one running is stale
   * and changes nothing. Resolves with the journal line of the removal.
   */
  async end(pairId: string): Promise<JournalEntry | null> {
    if (this.role && this.role.pairId !== pairId) return null;
    await this.stop();
    const { client } = this.options;
    const site = (await client.absoluteUrl).slice(0, 200);
    const line = { id: crypto.randomUUID(), time: Date.now(), direction: 'local', site, kind: 'pairing', target: site } as const;
    try {
      const removed = await unpairSite(client);
      return {
        ...line,
        summary: `Sync removed from this site: ${removed.triggers.length} capture triggers, ${removed.tables.length} engine tables, ${removed.preloads.length} preloads`,
        status: 'info',
      };
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      return { ...line, summary: 'Could not remove sync from this site', status: 'failed', detail: cause.slice(0, 20_000) };
    }
  }

  /** Stops the peer and leaves the site as it is (the page replaced its client, another pairing starts). */
  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    this.lane?.close();
    this.lane = null;
    const peer = this.peer;
    this.peer = undefined;
    this.role = null;
    await peer?.stop().catch(() => undefined);
  }

  /** Hands an envelope from the paired tab to the peer (which validates it and journals what it refuses). */
  async receive(pairId: string, envelope: unknown): Promise<void> {
    if (this.starting?.pairId === pairId) return (await this.starting.peer).receive(envelope);
    return this.running(pairId).receive(envelope);
  }

  setSync(pairId: string, on: boolean): void {
    if (this.starting?.pairId === pairId) {
      this.paused = !on;
      return;
    }
    const peer = this.running(pairId);
    this.paused = !on;
    peer.setPaused(!on);
  }

  /** The group's switch for low IDs changed, or another site took over numbering (see `bg/numbering`): this site numbers if it is the numberer. */
  async setNumbering(pairId: string, on: boolean, numbererPeer: string, formerNumberers: readonly string[]): Promise<void> {
    const peer = await this.startingOrRunning(pairId);
    peer.setNumbering(numbererPeer, on, formerNumberers);
  }

  /** The group's membership changed (see `bg/member`; `life`: a reset member's new site URL). */
  async changeMember(pairId: string, change: 'add' | 'remove' | 'reset', peerId: string, life?: string): Promise<void> {
    const peer = await this.startingOrRunning(pairId);
    if (change === 'add') await peer.addMember(peerId);
    else if (change === 'remove') await peer.removeMember(peerId);
    else await peer.resetMember(peerId, life);
  }

  /** This tab's copy comes from `peerId` now: the member it was asked of reloaded (see `bg/copy-from`). */
  async copyFrom(pairId: string, peerId: string): Promise<void> {
    await (await this.startingOrRunning(pairId)).copyFrom(peerId);
  }

  /** The peer of pairing `pairId`, once started if it is starting. */
  private async startingOrRunning(pairId: string): Promise<SyncPeer> {
    return this.starting?.pairId === pairId ? this.starting.peer : this.running(pairId);
  }

  /** The user asked to apply again what this site could not apply (its cause fixed meanwhile). */
  async retry(pairId: string): Promise<void> {
    await this.running(pairId).retry();
  }

  /** After the background came back: what it may have missed goes out again. */
  resendPending(): void {
    if (!this.paused) this.peer?.resendPending();
  }

  private running(pairId: string): SyncPeer {
    if (!this.peer || this.role?.pairId !== pairId) throw new Error(`This tab is not running pairing ${pairId}`);
    return this.peer;
  }
}
