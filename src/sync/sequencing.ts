/**
 * Per-peer delivery over a transport that may drop, duplicate or reorder messages.
 *
 * The sender numbers its batches 1, 2, 3, … in an outbox and keeps each until the receiver acks
 * it; the receiver applies strictly in order, one cursor per sender. Every state here is plain
 * JSON (numbers, arrays, the caller's payloads) and every transition returns a new state, so the
 * caller persists it wherever it likes (chrome.storage, IndexedDB, the site's database: the
 * receiver's `appliedUpTo` belongs in the same SQLite transaction as the batch it applied).
 */

export interface SequencedBatch<P> {
  readonly seq: number;
  readonly payload: P;
}

// ---------------------------------------------------------------------------------------------
// Sender side

export interface OutboxEntry<P> extends SequencedBatch<P> {
  /** When it was last handed to the transport (ms), `null` if never. */
  readonly sentAt: number | null;
  readonly attempts: number;
}

export interface OutboxState<P> {
  /** The last seq assigned (0: none yet). Persist it: a reused seq would be dropped as a duplicate. */
  readonly lastSeq: number;
  /** Everything up to here is acknowledged and forgotten. */
  readonly ackedUpTo: number;
  /** Unacknowledged batches, ascending seq, contiguous from `ackedUpTo + 1` to `lastSeq`. */
  readonly unacked: readonly OutboxEntry<P>[];
}

export type AckResult<P> =
  | { readonly ok: true; readonly state: OutboxState<P>; readonly released: number }
  | { readonly ok: false; readonly error: string };

export type ResendResult<P> =
  | { readonly ok: true; readonly batches: readonly SequencedBatch<P>[] }
  /** The peer asks for batches already acknowledged and dropped: it lost its state and needs a copy. */
  | { readonly ok: false; readonly needsCopy: true; readonly error: string };

/**
 * An empty outbox, or one that joins a numbering already under way: `lastSeq` assigned so far,
 * `retained` the batches still kept for some receiver (contiguous up to `lastSeq`), all
 * unacknowledged for this one.
 */
export function createOutbox<P>(from: { readonly lastSeq: number; readonly retained: readonly SequencedBatch<P>[] } = { lastSeq: 0, retained: [] }): OutboxState<P> {
  assertSeq(from.lastSeq, 0);
  const unacked = from.retained.map(({ seq, payload }) => ({ seq, payload, sentAt: null, attempts: 0 }));
  return { lastSeq: from.lastSeq, ackedUpTo: from.lastSeq - unacked.length, unacked };
}

/** Assigns the next seq to `payload` and keeps it until acknowledged. */
export function outboxEnqueue<P>(state: OutboxState<P>, payload: P): { state: OutboxState<P>; batch: SequencedBatch<P> } {
  const seq = state.lastSeq + 1;
  if (!Number.isSafeInteger(seq)) throw new RangeError('Outbox sequence exhausted');
  return {
    state: { ...state, lastSeq: seq, unacked: [...state.unacked, { seq, payload, sentAt: null, attempts: 0 }] },
    batch: { seq, payload },
  };
}

/** Every unacknowledged batch, oldest first: what to retransmit after a reconnect. */
export function outboxPending<P>(state: OutboxState<P>): readonly SequencedBatch<P>[] {
  return state.unacked.map(({ seq, payload }) => ({ seq, payload }));
}

/** The same unacknowledged batches, each payload replaced by `map`'s (numbering unchanged). */
export function outboxMapPending<P>(state: OutboxState<P>, map: (payload: P) => P): OutboxState<P> {
  return { ...state, unacked: state.unacked.map((entry) => ({ ...entry, payload: map(entry.payload) })) };
}

/** Records that these batches were handed to the transport at `nowMs`. */
export function outboxMarkSent<P>(state: OutboxState<P>, seqs: readonly number[], nowMs: number): OutboxState<P> {
  const sent = new Set(seqs);
  return {
    ...state,
    unacked: state.unacked.map((entry) =>
      sent.has(entry.seq) ? { ...entry, sentAt: nowMs, attempts: entry.attempts + 1 } : entry,
    ),
  };
}

/**
 * The receiver has applied everything up to `upTo`. Stale (lower) acks are harmless no-ops
 * (acks may arrive out of order); an ack beyond `lastSeq` means the receiver's cursor comes from
 * another life of this outbox (e.g. a reloaded temporary site restarted its numbering), which
 * the caller must resolve by re-pairing or a copy, never by guessing.
 */
export function outboxAck<P>(state: OutboxState<P>, upTo: number): AckResult<P> {
  if (!Number.isSafeInteger(upTo) || upTo < 0) return { ok: false, error: `Bad ack ${upTo}` };
  if (upTo > state.lastSeq) {
    return { ok: false, error: `Ack up to ${upTo} is ahead of the last batch sent (${state.lastSeq})` };
  }
  if (upTo <= state.ackedUpTo) return { ok: true, state, released: 0 };
  const unacked = state.unacked.filter((entry) => entry.seq > upTo);
  return {
    ok: true,
    state: { ...state, ackedUpTo: upTo, unacked },
    released: state.unacked.length - unacked.length,
  };
}

/** The batches from `fromSeq` on, for a receiver that reported a gap. */
export function outboxResend<P>(state: OutboxState<P>, fromSeq: number): ResendResult<P> {
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) {
    return { ok: false, needsCopy: true, error: `Bad resend request from ${fromSeq}` };
  }
  if (fromSeq <= state.ackedUpTo) {
    return {
      ok: false,
      needsCopy: true,
      error: `Resend from ${fromSeq} asked, but everything up to ${state.ackedUpTo} was acknowledged and dropped`,
    };
  }
  return { ok: true, batches: outboxPending(state).filter((batch) => batch.seq >= fromSeq) };
}

/**
 * Forgets every unacknowledged batch without it being acknowledged (a full-state copy replaced
 * what they carried). Numbering goes on from `lastSeq`, or from `atLeast` if that is higher (the
 * receiver's cursor from an earlier life of this outbox: a stale ack up to it then acknowledges
 * nothing new). The receiver must be told the resulting `lastSeq`.
 */
export function outboxDropPending<P>(
  state: OutboxState<P>,
  atLeast = 0,
): { state: OutboxState<P>; dropped: readonly SequencedBatch<P>[] } {
  assertSeq(atLeast, 0);
  const lastSeq = Math.max(state.lastSeq, atLeast);
  return { state: { lastSeq, ackedUpTo: lastSeq, unacked: [] }, dropped: outboxPending(state) };
}

// ---------------------------------------------------------------------------------------------
// Receiver side: one cursor per sender

export interface InboxCursor<P> {
  /** Every batch up to here has been applied (0: none). */
  readonly appliedUpTo: number;
  /** Batches that arrived ahead of a gap, ascending seq, all above `appliedUpTo`. */
  readonly held: readonly SequencedBatch<P>[];
  /** The `resendFrom` last requested, so a burst of out-of-order arrivals asks only once. */
  readonly askedResendFrom: number | null;
}

export type Arrival<P> =
  /**
   * Apply these in this order (the batch that arrived and the held ones it unblocked, or held
   * ones already next in line), calling `inboxApplied` after each.
   */
  | { readonly kind: 'apply'; readonly batches: readonly SequencedBatch<P>[] }
  /** Already applied: ack `ackUpTo` again (the sender evidently missed the ack) and drop it. */
  | { readonly kind: 'duplicate'; readonly ackUpTo: number }
  /**
   * Ahead of a missing batch. `held` says whether it was kept for later; `askResend` whether to
   * send a resend request from `resendFrom` now (false if that request is already out).
   */
  | { readonly kind: 'gap'; readonly resendFrom: number; readonly askResend: boolean; readonly held: boolean };

export interface InboxLimits {
  /** How many out-of-order batches to hold; beyond it the highest seqs are dropped (they will be resent). */
  readonly maxHeld?: number;
}

export const DEFAULT_MAX_HELD = 256;

export function createInboxCursor<P>(appliedUpTo = 0): InboxCursor<P> {
  assertSeq(appliedUpTo, 0);
  return { appliedUpTo, held: [], askedResendFrom: null };
}

/** Classifies an arriving batch. The cursor advances only through `inboxApplied`. */
export function inboxReceive<P>(
  cursor: InboxCursor<P>,
  batch: SequencedBatch<P>,
  limits: InboxLimits = {},
): { cursor: InboxCursor<P>; arrival: Arrival<P> } {
  assertSeq(batch.seq, 1);
  const next = cursor.appliedUpTo + 1;
  if (batch.seq < next) return { cursor, arrival: { kind: 'duplicate', ackUpTo: cursor.appliedUpTo } };
  if (batch.seq === next) return { cursor, arrival: { kind: 'apply', batches: [batch, ...heldRun(cursor, next + 1)] } };

  const maxHeld = limits.maxHeld ?? DEFAULT_MAX_HELD;
  const alreadyHeld = cursor.held.some((entry) => entry.seq === batch.seq);
  const held = alreadyHeld
    ? cursor.held
    : [...cursor.held, batch].sort((a, b) => a.seq - b.seq).slice(0, Math.max(0, maxHeld));
  const kept = held.some((entry) => entry.seq === batch.seq);
  // Held batches may already be next in line (after a fast-forward or a restart): hand them out.
  const ready = heldRun({ ...cursor, held }, next);
  if (ready.length > 0) return { cursor: { ...cursor, held }, arrival: { kind: 'apply', batches: ready } };
  const askResend = cursor.askedResendFrom !== next;
  return {
    cursor: { ...cursor, held, askedResendFrom: next },
    arrival: { kind: 'gap', resendFrom: next, askResend, held: kept },
  };
}

/** Records that batch `seq` (which must be `appliedUpTo + 1`) was applied. */
export function inboxApplied<P>(cursor: InboxCursor<P>, seq: number): InboxCursor<P> {
  if (seq !== cursor.appliedUpTo + 1) {
    throw new RangeError(`Applied batch ${seq} out of order: the next one is ${cursor.appliedUpTo + 1}`);
  }
  return {
    appliedUpTo: seq,
    held: cursor.held.filter((entry) => entry.seq > seq),
    askedResendFrom: cursor.askedResendFrom !== null && cursor.askedResendFrom > seq ? cursor.askedResendFrom : null,
  };
}

/** Held batches that can be applied now (after a restart, or once a failed apply is retried). */
export function inboxReady<P>(cursor: InboxCursor<P>): readonly SequencedBatch<P>[] {
  return heldRun(cursor, cursor.appliedUpTo + 1);
}

/**
 * Every envelope carries the sender's latest seq: if it is beyond what we applied and hold, the
 * tail of the stream was lost (no later batch would reveal the gap). Returns where to resend
 * from, or `null` when nothing is missing.
 */
export function inboxObserveSenderSeq<P>(cursor: InboxCursor<P>, senderLastSeq: number): number | null {
  assertSeq(senderLastSeq, 0);
  const ready = inboxReady(cursor);
  const have = cursor.appliedUpTo + ready.length;
  const holeBelowHeld = cursor.held.length > ready.length;
  return senderLastSeq > have || holeBelowHeld ? have + 1 : null;
}

function heldRun<P>(cursor: InboxCursor<P>, from: number): SequencedBatch<P>[] {
  const run: SequencedBatch<P>[] = [];
  let expected = from;
  for (const entry of cursor.held) {
    if (entry.seq < expected) continue;
    if (entry.seq !== expected) break;
    run.push(entry);
    expected += 1;
  }
  return run;
}

function assertSeq(seq: number, min: number): void {
  if (!Number.isSafeInteger(seq) || seq < min) throw new RangeError(`Bad sequence number ${seq}`);
}
