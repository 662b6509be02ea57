import { applyBatch, drainNow, installCapture, parseChangesMessage } from '../db';
import { applyFileChanges, Exclusions, FileRecorder, findDatabasePath } from '../files';
import type { SiteClient } from '../platform/site-client';
import type { JournalEntry } from '../journal/entry';
import { createHlcClock, decodeHlc, encodeHlc, type HlcClock } from '../sync/hlc';
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
    const [absoluteUrl, root] = await Promise.all([client.absoluteUrl, client.documentRoot]);
    const siteUrl = absoluteUrl.replace(/\/+$/, '');
    await installCapture(client, { peerId: options.peerId, siteUrl });
    const exclusions = Exclusions.forSite(root, await findDatabasePath(client, root));
    // The recorder starts before the peer exists; its journal events reach the peer once it does.
    const started: { peer?: SyncPeer } = {};
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
    started.peer = peer;
    peer.stopMessages = await client.onMessage((data) => peer.onSiteMessage(data));
    return peer;
  }

  /** Unacknowledged deltas (the badge's pending count). */
  get pendingCount(): number {
    return outboxPending(this.outbox).length;
  }

  /** Sends what the site holds right now: changes made outside requests, files still settling. */
  async flush(): Promise<void> {
    await this.step(async () => {
      // Posts through onMessage like a request's drain; the listener queues it behind this step.
      await drainNow(this.options.client);
    });
    await this.sendLocalChanges(null);
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

  private onSiteMessage(data: string): void {
    const parsed = parseChangesMessage(data);
    if (parsed === null) return;
    if (!parsed.ok) {
      this.journal([{ direction: 'local', kind: 'input', target: 'site message', summary: parsed.error, status: 'rejected' }]);
      return;
    }
    void this.sendLocalChanges(parsed.value);
  }

  private scheduleFileFlush(): void {
    clearTimeout(this.fileTimer);
    this.fileTimer = setTimeout(() => void this.sendLocalChanges(null), this.options.fileSettleMs ?? 150);
  }

  private sendLocalChanges(db: Delta['db']): Promise<void> {
    return this.step(async () => {
      const files = await this.recorder.takeBatch();
      const delta: Delta = { files: files.changes, db };
      if (isEmptyDelta(delta)) return;
      const { state, batch } = outboxEnqueue(this.outbox, encodeDelta(delta));
      this.outbox = state;
      this.journal(describeDelta(delta, 'sent', 'pending'));
      this.sendDelta(batch);
    });
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
      if (acked.ok) this.outbox = acked.state;
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
        else this.journal([{ direction: 'received', kind: 'pairing', target: 'peer', summary: resend.error, status: 'failed' }]);
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
    const files = await applyFileChanges(client, decoded.delta.files, { root: this.root, echo: this.recorder });
    const db =
      files.failures.length === 0 && decoded.delta.db
        ? await applyBatch(client, decoded.delta.db, {
            fromSiteUrl,
            toSiteUrl: this.siteUrl,
            fromPeer: this.options.remotePeerId,
          })
        : null;
    this.journal(describeApply(decoded.delta, files, db));
    const failed = files.failures.length > 0 || db?.status === 'failed';
    if (failed) {
      const reason = files.failures[0]?.reason ?? (db?.status === 'failed' ? db.error.message : 'failed');
      this.sendControl({ ...this.header('nack'), seq: this.outbox.lastSeq, nackSeq: batch.seq, reason: reason.slice(0, 1000) });
    }
    return !failed;
  }

  private step<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: unknown) => {
      this.journal([
        {
          direction: 'local',
          kind: 'pairing',
          target: 'sync engine',
          summary: `Unexpected error: ${error instanceof Error ? error.message : String(error)}`,
          status: 'failed',
        },
      ]);
    });
    return next;
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
