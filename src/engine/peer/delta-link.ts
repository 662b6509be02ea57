import { compareHlc, encodeHlc, type Hlc, type HlcClock } from '../../sync/hlc';
import { FrameAssembler, isFrameLike, MAX_FRAMED_ENVELOPE_BYTES, MAX_WIRE_MESSAGE_BYTES, toFrames } from '../../sync/framing';
import { jsonByteLength } from '../../sync/json-size';
import { deltasToResend, type ResendState } from '../../sync/resend-policy';
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
} from '../../sync/sequencing';
import { MAX_ENVELOPE_BYTES, parseEnvelope, WIRE_VERSION, type Envelope, type PeerMessage } from '../../sync/wire';
import { WireDeltaSchema, type WireDelta } from '../delta';
import type { PeerJournal } from './peer-journal';

export interface DeltaLinkOptions {
  readonly pairId: string;
  readonly peerId: string;
  readonly remotePeerId: string;
  /** This site's URL, sent with every delta (the receiver rewrites it to its own). */
  readonly siteUrl: string;
  readonly clock: HlcClock;
  readonly journal: PeerJournal;
  /** Hands one JSON-safe message to the transport towards the paired site. */
  readonly send: (message: PeerMessage<WireDelta>) => void;
  /** Whether deltas may go out now (sync on, no copy or rejoin in flight): held in the outbox otherwise. */
  readonly deltasFlow: () => boolean;
  /** Nothing more goes out once the peer stops: its site may be another one now. */
  readonly stopped: () => boolean;
  readonly onPending?: (count: number) => void;
  /** How far every member of the group acknowledged this site's deltas (sent as `settled`: the others forget what they kept of them to relay). */
  readonly settledUpTo: () => number;
  /** This site's numbering so far, for a link opened to a member that joined later (default: none yet). */
  readonly startFrom?: { readonly lastSeq: number; readonly retained: readonly SequencedBatch<WireDelta>[] };
}

/** The body of a control envelope of `kind`: what `DeltaLink.control` stamps. */
export type Control<K extends Envelope['kind']> = Omit<Extract<Envelope<WireDelta>, { kind: K }>, 'v' | 'kind' | 'pairId' | 'from' | 'to' | 'ackUpTo' | 'hlc' | 'seq'>;

/** What became of received deltas given to `applyInOrder`. */
export type InOrderOutcome = 'applied' | 'waiting' | 'failed' | 'none';

/**
 * The delta link to the paired site: numbers this site's deltas and keeps them until they are
 * acknowledged (sending them again when due or asked), takes the paired site's deltas in order
 * (holding early ones, asking for missing ones, acknowledging applied ones), and puts envelopes
 * on the wire (stamped, as frames when too big for one message) and takes them off it (validated).
 */
export class DeltaLink {
  private outbox: OutboxState<WireDelta>;
  private inbox: InboxCursor<WireDelta> = createInboxCursor();
  /** When unacknowledged deltas go out again on their own (resend-policy.ts). */
  private resend: ResendState = { lastProgressMs: 0, refusedFrom: null };
  /** The paired site's clock on the envelope that carried the latest acknowledgement. */
  private lastAckClock: Hlc | null = null;
  /** The latest clock on an envelope taken from the paired site. */
  private newestHeard: Hlc | null = null;
  /** Envelopes too big for one message arrive as frames: joined here. */
  private readonly frames: FrameAssembler;

  constructor(private readonly options: DeltaLinkOptions) {
    this.frames = new FrameAssembler({ pairId: options.pairId, self: options.peerId, peer: options.remotePeerId });
    this.outbox = createOutbox(options.startFrom);
  }

  /** The member at the other end of this link. */
  get remotePeerId(): string {
    return this.options.remotePeerId;
  }

  get lastSeq(): number {
    return this.outbox.lastSeq;
  }

  get ackedUpTo(): number {
    return this.outbox.ackedUpTo;
  }

  get appliedUpTo(): number {
    return this.inbox.appliedUpTo;
  }

  get pending(): readonly SequencedBatch<WireDelta>[] {
    return outboxPending(this.outbox);
  }

  get unacknowledgedCount(): number {
    return this.outbox.unacked.length;
  }

  // --- The wire ---------------------------------------------------------------------------

  /** What every envelope carries besides its kind: who sends it, its latest seq, what of the paired site's it applied, when. */
  stamp() {
    const { pairId, peerId, remotePeerId, clock } = this.options;
    return {
      pairId,
      from: peerId,
      to: remotePeerId,
      seq: this.outbox.lastSeq,
      ackUpTo: this.inbox.appliedUpTo,
      hlc: encodeHlc(clock.now()),
      settled: this.options.settledUpTo(),
    };
  }

  /** Sends a control envelope of `kind` (anything but a delta). */
  control<K extends Exclude<Envelope['kind'], 'delta'>>(kind: K, body: Control<K>): void {
    this.post({ v: WIRE_VERSION, kind, ...this.stamp(), ...body } as Envelope<WireDelta>);
  }

  /** Sends `envelope` as one message, or as frames when it is bigger than one message may be. */
  post(envelope: Envelope<WireDelta>): void {
    if (this.options.stopped()) return;
    if (jsonByteLength(envelope, MAX_WIRE_MESSAGE_BYTES) <= MAX_WIRE_MESSAGE_BYTES) {
      this.options.send(envelope);
      return;
    }
    const frames = toFrames(JSON.stringify(envelope), { pairId: this.options.pairId, from: this.options.peerId, to: this.options.remotePeerId });
    for (const frame of frames ?? [envelope]) this.options.send(frame);
  }

  /** The envelope in `message` (joined from frames once the last one is in), or null: refused (journaled) or incomplete. */
  take(message: unknown): Envelope<WireDelta> | null {
    let whole = message;
    let maxBytes = MAX_ENVELOPE_BYTES;
    if (isFrameLike(message)) {
      const arrival = this.frames.accept(message);
      if (arrival.kind === 'rejected') this.options.journal.refused('peer message', arrival.error);
      if (arrival.kind !== 'complete') return null;
      whole = arrival.json;
      maxBytes = MAX_FRAMED_ENVELOPE_BYTES;
    }
    const { pairId, peerId, remotePeerId } = this.options;
    const parsed = parseEnvelope(whole, { pairId, self: peerId, peer: remotePeerId, payload: WireDeltaSchema, maxBytes });
    if (parsed.ok) return parsed.value;
    this.options.journal.refused('peer message', parsed.error);
    return null;
  }

  /**
   * Notes the clock of an envelope just taken from the paired site; answers whether one it sent
   * later came first (the transport reordered them).
   */
  heard(clock: Hlc | null): boolean {
    if (clock === null) return false;
    if (this.newestHeard !== null && compareHlc(clock, this.newestHeard) < 0) return true;
    this.newestHeard = clock;
    return false;
  }

  // --- This site's deltas -----------------------------------------------------------------

  /** Numbers a delta of this site's and keeps it until acknowledged (`send` sends it). */
  enqueue(payload: WireDelta): SequencedBatch<WireDelta> {
    const { state, batch } = outboxEnqueue(this.outbox, payload);
    this.setOutbox(state);
    return batch;
  }

  /** Sends one of this site's deltas, if deltas flow (it waits in the outbox otherwise). */
  send(batch: SequencedBatch<WireDelta>): void {
    if (!this.options.deltasFlow()) return;
    this.outbox = outboxMarkSent(this.outbox, [batch.seq], performance.now());
    this.post({ v: WIRE_VERSION, kind: 'delta', ...this.stamp(), seq: batch.seq, siteUrl: this.options.siteUrl, payload: batch.payload });
  }

  /** Sends every unacknowledged delta again, if deltas flow. */
  resendAll(): void {
    for (const batch of this.pending) this.send(batch);
  }

  /** Sends again the unacknowledged deltas whose wait is over (resend-policy.ts). */
  resendDue(nowMs: number): void {
    if (!this.options.deltasFlow()) return;
    for (const entry of deltasToResend(this.outbox, nowMs, this.resend)) this.send(entry);
  }

  /**
   * The paired site applied this site's deltas up to `upTo` (its clock `clock`): they are
   * forgotten. Answers whether that acknowledged anything new.
   */
  acknowledge(upTo: number, clock: Hlc | null): boolean {
    if (upTo <= this.outbox.ackedUpTo) return false;
    const acked = outboxAck(this.outbox, upTo);
    if (!acked.ok) return false;
    this.setOutbox(acked.state);
    const refusedFrom = this.resend.refusedFrom !== null && this.resend.refusedFrom > upTo ? this.resend.refusedFrom : null;
    this.resend = { lastProgressMs: performance.now(), refusedFrom };
    this.lastAckClock = clock;
    return true;
  }

  /** The paired site asked for this site's deltas from `from` again; answers why not, if it cannot be done. */
  answerResend(from: number, clock: Hlc | null): string | null {
    if (!this.options.deltasFlow()) return null;
    const resend = outboxResend(this.outbox, from);
    if (resend.ok) {
      for (const batch of resend.batches) this.send(batch);
      return null;
    }
    // A delayed request from before the paired site acknowledged what it asks for is stale, not a
    // sign that it lost its state: its clock only moves forward.
    const stale = clock !== null && this.lastAckClock !== null && compareHlc(clock, this.lastAckClock) < 0;
    return stale ? null : resend.error;
  }

  /** The paired site could not apply the delta `seq`: it and what follows are not sent again on a timer (it holds them until the user retries there). */
  refused(seq: number): void {
    if (seq > this.outbox.ackedUpTo) this.resend = { ...this.resend, refusedFrom: Math.min(this.resend.refusedFrom ?? Infinity, seq) };
  }

  /** The paired site's state starts over (its page reloaded, or a copy): nothing it refused or acknowledged before counts. */
  restartResends(): void {
    this.resend = { lastProgressMs: performance.now(), refusedFrom: null };
  }

  /** Unacknowledged deltas, each rewritten by `map` (its seq kept). */
  mapPending(map: (payload: WireDelta) => WireDelta): void {
    this.setOutbox(outboxMapPending(this.outbox, map));
  }

  /** Forgets the unacknowledged deltas (a copy replaced them); numbering goes on after `lastSeq`. Answers those dropped. */
  dropPending(lastSeq: number): readonly SequencedBatch<WireDelta>[] {
    const { state, dropped } = outboxDropPending(this.outbox, lastSeq);
    this.setOutbox(state);
    this.restartResends();
    return dropped;
  }

  // --- The paired site's deltas -----------------------------------------------------------

  /**
   * Takes a delta of the paired site's: answers the deltas now ready to apply in order (none when
   * it came early or twice; a duplicate is acknowledged again, a gap asked for unless
   * `askForGaps` is false: a relayed delta's gap is filled by the other relays, and the member
   * may not have what its old life sent).
   */
  receive(batch: SequencedBatch<WireDelta>, askForGaps = true): readonly SequencedBatch<WireDelta>[] {
    const { cursor, arrival } = inboxReceive(this.inbox, batch);
    this.inbox = cursor;
    if (arrival.kind === 'apply') return arrival.batches;
    if (arrival.kind === 'duplicate') this.control('ack', {});
    else if (arrival.askResend && askForGaps) this.control('resend', { resendFrom: arrival.resendFrom });
    return [];
  }

  /** Keeps a received delta unapplied (sync is off): `ready()` hands it out later, in order. */
  hold(batch: SequencedBatch<WireDelta>): void {
    if (batch.seq <= this.inbox.appliedUpTo || this.inbox.held.some((held) => held.seq === batch.seq)) return;
    this.inbox = { ...this.inbox, held: [...this.inbox.held, batch].sort((a, b) => a.seq - b.seq) };
  }

  /** Every received delta not applied yet (waiting for an earlier one, for bytes, after a failure, or sync off), in order. */
  unapplied(): readonly SequencedBatch<WireDelta>[] {
    return this.inbox.held;
  }

  /** Received deltas held back (waiting for bytes, or after a failure), in order. */
  ready(): SequencedBatch<WireDelta>[] {
    return [...inboxReady(this.inbox)];
  }

  /**
   * Applies `batches` in order with `apply`; stops at the first that is not applied and holds it
   * and the rest (for `retry`, or once its bytes are here). Acknowledges what was applied.
   */
  async applyInOrder(
    batches: readonly SequencedBatch<WireDelta>[],
    apply: (batch: SequencedBatch<WireDelta>) => Promise<'applied' | 'waiting' | { failed: string }>,
  ): Promise<InOrderOutcome> {
    for (const [index, batch] of batches.entries()) {
      const outcome = await apply(batch);
      if (outcome !== 'applied') {
        if (outcome !== 'waiting') this.control('nack', { nackSeq: batch.seq, reason: outcome.failed });
        const unapplied = batches.slice(index).filter((b) => !this.inbox.held.some((held) => held.seq === b.seq));
        this.inbox = { ...this.inbox, held: [...this.inbox.held, ...unapplied].sort((a, b) => a.seq - b.seq) };
        if (outcome === 'waiting' && index > 0) this.control('ack', {});
        return outcome === 'waiting' ? 'waiting' : 'failed';
      }
      this.inbox = inboxApplied(this.inbox, batch.seq);
    }
    if (batches.length === 0) return 'none';
    this.control('ack', {});
    return 'applied';
  }

  /** The paired site's deltas go on after `appliedUpTo` (a rejoin, a copy): those held here are gone. */
  restartInbox(appliedUpTo: number): void {
    this.inbox = createInboxCursor(appliedUpTo);
  }

  /** The paired site's latest seq, as an ack or hello carries it: a lost tail is asked for. */
  observeSenderSeq(seq: number): void {
    const missingFrom = inboxObserveSenderSeq(this.inbox, seq);
    if (missingFrom !== null) this.control('resend', { resendFrom: missingFrom });
  }

  private setOutbox(state: OutboxState<WireDelta>): void {
    const before = this.outbox.unacked.length;
    this.outbox = state;
    if (state.unacked.length !== before) this.options.onPending?.(state.unacked.length);
  }
}
