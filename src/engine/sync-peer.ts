import { applyBatch, CHANGES_STORED_REPLY, drainNow, installCapture, parseChangesMessage } from '../db';
import { applyFileChanges, Exclusions, FileRecorder, findDatabasePath } from '../files';
import type { SiteClient } from '../platform/site-client';
import type { JournalEntry } from '../journal/entry';
import { compareHlc, createHlcClock, decodeHlc, encodeHlc, type Hlc, type HlcClock } from '../sync/hlc';
import {
  createInboxCursor,
  createOutbox,
  inboxApplied,
  inboxObserveSenderSeq,
  inboxReady,
  inboxReceive,
  outboxAck,
  outboxEnqueue,
  outboxPending,
  outboxResend,
  type InboxCursor,
  type OutboxState,
  type SequencedBatch,
} from '../sync/sequencing';
import { parseEnvelope, WIRE_VERSION, type Envelope } from '../sync/wire';
import { decodeDelta, encodeDelta, isEmptyDelta, WireDeltaSchema, type Delta, type WireDelta } from './delta';
import { FileVersions } from './file-versions';
import { describeApply, describeDelta } from './summaries';

export interface SyncPeerOptions {
  client: SiteClient;
  pairId: string;
  /** This site's peer id, and the paired site's. */
  peerId: string;
  remotePeerId: string;
  /** Hands one JSON-safe envelope to the transport towards the paired site. */
  send: (envelope: Envelope<WireDelta>) => void;
  /** Journal lines as they happen. */
  onJournal?: (entries: JournalEntry[]) => void;
  /** Quiet time after the last file event before file-only changes go out. */
  fileSettleMs?: number;
  wallClock?: () => number;
}

type NewEntry = Omit<JournalEntry, 'id' | 'time' | 'site'>;

/**
 * One site's end of a pairing: captures what changes on it (rows through the capture triggers,
 * files through the FS journal) and sends it as sequenced deltas; applies the peer's deltas in
 * order, each all or nothing on the database side, and acknowledges them. Everything that
 * touches the site runs one step at a time.
 */
export class SyncPeer {
  private outbox: OutboxState<WireDelta> = createOutbox();
  private inbox: InboxCursor<WireDelta> = createInboxCursor();
  private chain: Promise<unknown> = Promise.resolve();
  private fileTimer: ReturnType<typeof setTimeout> | undefined;
  private stopMessages: (() => Promise<void>) | undefined;
  private journalCount = 0;
  /** The peer's site URL from its latest delta, for held batches applied later. */
  private lastPeerSiteUrl = '';
  private readonly clock: HlcClock;
  private readonly fileVersions = new FileVersions();
  /** The peer's clock on the envelope that carried the latest ack. */
  private lastAckClock: Hlc | null = null;

  private constructor(
    private readonly options: SyncPeerOptions,
    private readonly siteUrl: string,
    private readonly root: string,
    private readonly recorder: FileRecorder,
  ) {
    this.clock = createHlcClock(options.peerId, { wallClock: options.wallClock });
  }

  /** Installs capture on the site (idempotent) and starts recording. */
  static async start(options: SyncPeerOptions): Promise<SyncPeer> {
    const { client } = options;
    // The recorder and the message listener start before the peer exists; they reach it once it does.
    const started: { peer?: SyncPeer } = {};
    // Listening comes before capture: a drain forgets its changes only once a listener stored them.
    const stopMessages = await client.onMessage((data) => started.peer?.onSiteMessage(data));
    const [absoluteUrl, root] = await Promise.all([client.absoluteUrl, client.documentRoot]);
    const siteUrl = absoluteUrl.replace(/\/+$/, '');
    await installCapture(client, { peerId: options.peerId, siteUrl });
    const exclusions = Exclusions.forSite(root, await findDatabasePath(client, root));
    const recorder = await FileRecorder.start(
      {
        ...readerOf(client),
        journalFSEvents: (path, callback) =>
          client.journalFSEvents(path, (operation) => {
            callback(operation);
            started.peer?.scheduleFileFlush();
          }),
      },
      { root, exclusions },
    );
    const peer = new SyncPeer(options, siteUrl, root, recorder);
    peer.stopMessages = stopMessages;
    started.peer = peer;
    return peer;
  }

  /** Unacknowledged deltas (the badge's pending count). */
  get pendingCount(): number {
    return outboxPending(this.outbox).length;
  }

  /** Sends what the site holds right now: changes made outside requests, files still settling. */
  async flush(): Promise<void> {
    await this.step(async () => {
      // Posts through onMessage like a request's drain: the batch is in the outbox when this returns.
      await drainNow(this.options.client);
      await this.enqueueLocalChanges(null);
    });
  }

  /** Takes one envelope from the transport. Anything malformed or foreign is journaled and dropped. */
  receive(message: unknown): Promise<void> {
    return this.step(() => this.handleEnvelope(message));
  }

  /** Applies received deltas again after a failure (e.g. once its cause was fixed). */
  retry(): Promise<void> {
    return this.step(() => this.applyReady([...inboxReady(this.inbox)]));
  }

  /** Sends every unacknowledged delta again (after a reconnect). */
  resendPending(): void {
    for (const batch of outboxPending(this.outbox)) this.sendDelta(batch);
  }

  async stop(): Promise<void> {
    clearTimeout(this.fileTimer);
    await this.chain;
    await this.stopMessages?.();
    await this.recorder.stop();
  }

  /**
   * A drain's batch from the site. Stored in the outbox before the reply that lets the site
   * forget it; never queued behind `step`, which may be waiting for the very request that posted it.
   */
  private async onSiteMessage(data: string): Promise<string | undefined> {
    const parsed = parseChangesMessage(data);
    if (parsed === null) return undefined;
    if (!parsed.ok) {
      this.journal([{ direction: 'local', kind: 'input', target: 'site message', summary: parsed.error, status: 'rejected' }]);
      return undefined;
    }
    try {
      await this.enqueueLocalChanges(parsed.value);
      return CHANGES_STORED_REPLY;
    } catch (error) {
      this.journalUnexpected(error);
      return undefined;
    }
  }

  private scheduleFileFlush(): void {
    clearTimeout(this.fileTimer);
    this.fileTimer = setTimeout(() => void this.sendLocalChanges(null), this.options.fileSettleMs ?? 150);
  }

  private sendLocalChanges(db: Delta['db']): Promise<void> {
    return this.step(() => this.enqueueLocalChanges(db));
  }

  /** Takes the files recorded so far, puts them and `db` in the outbox as one delta, and sends it. */
  private async enqueueLocalChanges(db: Delta['db']): Promise<void> {
    const files = await this.recorder.takeBatch();
    const delta: Delta = { files: files.changes, db, hlc: encodeHlc(this.clock.now()) };
    if (isEmptyDelta(delta)) return;
    this.fileVersions.record(delta.files, delta.hlc);
    const { state, batch } = outboxEnqueue(this.outbox, encodeDelta(delta));
    this.outbox = state;
    this.journal(describeDelta(delta, 'sent', 'pending'));
    this.sendDelta(batch);
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

  private sendDelta(batch: SequencedBatch<WireDelta>): void {
    this.options.send({ ...this.header('delta'), seq: batch.seq, siteUrl: this.siteUrl, payload: batch.payload });
  }

  private sendControl(envelope: Envelope<WireDelta>): void {
    this.options.send(envelope);
  }

  private async handleEnvelope(message: unknown): Promise<void> {
    const parsed = parseEnvelope(message, {
      pairId: this.options.pairId,
      self: this.options.peerId,
      peer: this.options.remotePeerId,
      payload: WireDeltaSchema,
    });
    if (!parsed.ok) {
      this.journal([{ direction: 'received', kind: 'input', target: 'peer message', summary: parsed.error, status: 'rejected' }]);
      return;
    }
    const envelope = parsed.value;
    const remoteClock = decodeHlc(envelope.hlc);
    if (remoteClock) this.clock.receive(remoteClock);
    if (envelope.ackUpTo > this.outbox.ackedUpTo) {
      const acked = outboxAck(this.outbox, envelope.ackUpTo);
      if (acked.ok) {
        this.outbox = acked.state;
        this.lastAckClock = remoteClock;
      }
    }
    const lastSeq = this.outbox.lastSeq;
    switch (envelope.kind) {
      case 'delta': {
        const { cursor, arrival } = inboxReceive(this.inbox, { seq: envelope.seq, payload: envelope.payload });
        this.inbox = cursor;
        if (arrival.kind === 'apply') await this.applyReady([...arrival.batches], envelope.siteUrl);
        else if (arrival.kind === 'duplicate') this.sendControl({ ...this.header('ack'), seq: lastSeq });
        else if (arrival.askResend) this.sendControl({ ...this.header('resend'), seq: lastSeq, resendFrom: arrival.resendFrom });
        return;
      }
      case 'resend': {
        const resend = outboxResend(this.outbox, envelope.resendFrom);
        if (resend.ok) for (const batch of resend.batches) this.sendDelta(batch);
        else if (!this.sentBeforeLastAck(remoteClock)) this.journal([{ direction: 'received', kind: 'pairing', target: 'peer', summary: resend.error, status: 'failed' }]);
        return;
      }
      case 'nack':
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
        const missingFrom = inboxObserveSenderSeq(this.inbox, envelope.seq);
        if (missingFrom !== null) this.sendControl({ ...this.header('resend'), seq: lastSeq, resendFrom: missingFrom });
      }
    }
  }

  /**
   * A delayed request from before the peer acknowledged what it asks for is stale, not a sign
   * that the peer lost its state: the peer's clock only moves forward.
   */
  private sentBeforeLastAck(clock: Hlc | null): boolean {
    return clock !== null && this.lastAckClock !== null && compareHlc(clock, this.lastAckClock) < 0;
  }

  /** Applies batches in order; stops at the first failure and keeps it and the rest for `retry()`. */
  private async applyReady(batches: SequencedBatch<WireDelta>[], fromSiteUrl?: string): Promise<void> {
    for (const [index, batch] of batches.entries()) {
      const ok = await this.applyOne(batch, fromSiteUrl ?? this.lastPeerSiteUrl);
      if (!ok) {
        const unapplied = batches.slice(index).filter((b) => !this.inbox.held.some((held) => held.seq === b.seq));
        this.inbox = { ...this.inbox, held: [...this.inbox.held, ...unapplied].sort((a, b) => a.seq - b.seq) };
        return;
      }
      this.inbox = inboxApplied(this.inbox, batch.seq);
    }
    if (batches.length > 0) this.sendControl({ ...this.header('ack'), seq: this.outbox.lastSeq });
  }

  private async applyOne(batch: SequencedBatch<WireDelta>, fromSiteUrl: string): Promise<boolean> {
    this.lastPeerSiteUrl = fromSiteUrl;
    const decoded = decodeDelta(batch.payload);
    if (!decoded.ok) {
      this.journal([{ direction: 'received', kind: 'input', target: `batch ${batch.seq}`, summary: decoded.error, status: 'rejected' }]);
      this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason: decoded.error });
      return false;
    }
    const { client } = this.options;
    // Local file changes still settling go out first, stamped after this delta: they win on both sites.
    await this.enqueueLocalChanges(null);
    const { apply, beaten } = this.fileVersions.partition(decoded.delta.files, decoded.delta.hlc);
    const files = await applyFileChanges(client, apply, { root: this.root, echo: this.recorder });
    this.fileVersions.record(apply, decoded.delta.hlc);
    const db =
      files.failures.length === 0 && decoded.delta.db
        ? await applyBatch(client, decoded.delta.db, {
            fromSiteUrl,
            toSiteUrl: this.siteUrl,
            fromPeer: this.options.remotePeerId,
          })
        : null;
    this.journal(describeApply({ ...decoded.delta, files: apply }, files, db, beaten));
    const failed = files.failures.length > 0 || db?.status === 'failed' || db?.status === 'gap';
    if (failed) {
      const reason = files.failures[0]?.reason ?? (db?.status === 'failed' ? db.error.message : `database batch ${db?.seq} out of order`);
      this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason: reason.slice(0, 1000) });
    }
    return !failed;
  }

  private step<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: unknown) => this.journalUnexpected(error));
    return next;
  }

  private journalUnexpected(error: unknown): void {
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

  private journal(entries: NewEntry[]): void {
    if (entries.length === 0 || !this.options.onJournal) return;
    const time = this.options.wallClock?.() ?? Date.now();
    this.options.onJournal(
      entries.map((entry) => ({ ...entry, id: `${this.options.peerId}-${++this.journalCount}`, time, site: this.siteUrl })),
    );
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
  };
}
