import { describe, expect, it } from 'vitest';
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
  outboxMarkSent,
  outboxPending,
  outboxResend,
  type InboxCursor,
  type OutboxState,
  type SequencedBatch,
} from '../../src/sync/sequencing';
import { deltasToResend } from '../../src/sync/resend-policy';

type Payload = { readonly rows: string };

function outboxWith(count: number): OutboxState<Payload> {
  let state = createOutbox<Payload>();
  for (let i = 1; i <= count; i += 1) state = outboxEnqueue(state, { rows: `b${i}` }).state;
  return state;
}

const batch = (seq: number): SequencedBatch<Payload> => ({ seq, payload: { rows: `b${seq}` } });

/** Applies everything `apply` arrivals hand out, as a receiver would; returns the applied seqs. */
function drain(cursor: InboxCursor<Payload>, batches: readonly SequencedBatch<Payload>[]) {
  let current = cursor;
  const applied: number[] = [];
  for (const item of batches) {
    current = inboxApplied(current, item.seq);
    applied.push(item.seq);
  }
  return { cursor: current, applied };
}

/** A JSON round trip: what persisting in chrome.storage / IndexedDB / SQLite does to state. */
const persisted = <T>(state: T): T => JSON.parse(JSON.stringify(state)) as T;

describe('outbox', () => {
  it('numbers batches 1, 2, 3 and keeps them until acknowledged', () => {
    let state = createOutbox<Payload>();
    const first = outboxEnqueue(state, { rows: 'x' });
    state = first.state;
    const second = outboxEnqueue(state, { rows: 'y' });
    state = second.state;
    expect([first.batch.seq, second.batch.seq]).toEqual([1, 2]);
    expect(outboxPending(state)).toEqual([
      { seq: 1, payload: { rows: 'x' } },
      { seq: 2, payload: { rows: 'y' } },
    ]);
  });

  it('continues numbering after a reload from persisted state, even when everything was acked', () => {
    const acked = outboxAck(outboxWith(3), 3);
    if (!acked.ok) throw new Error(acked.error);
    const reloaded = persisted(acked.state);
    expect(outboxPending(reloaded)).toEqual([]);
    expect(outboxEnqueue(reloaded, { rows: 'z' }).batch.seq).toBe(4);
  });

  it('drops batches up to the ack and reports how many', () => {
    const acked = outboxAck(outboxWith(5), 3);
    expect(acked.ok && acked.released).toBe(3);
    expect(acked.ok && outboxPending(acked.state).map((b) => b.seq)).toEqual([4, 5]);
    expect(acked.ok && acked.state.ackedUpTo).toBe(3);
  });

  it('treats a stale (lower or repeated) ack as a no-op', () => {
    const first = outboxAck(outboxWith(5), 4);
    if (!first.ok) throw new Error(first.error);
    for (const upTo of [0, 2, 4]) {
      const again = outboxAck(first.state, upTo);
      expect(again).toEqual({ ok: true, state: first.state, released: 0 });
    }
  });

  it.each([
    [6, /ahead of the last batch sent \(5\)/],
    [-1, /Bad ack/],
    [1.5, /Bad ack/],
    [Number.NaN, /Bad ack/],
  ])('refuses an ack up to %s', (upTo, error) => {
    const result = outboxAck(outboxWith(5), upTo);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });

  it('answers a resend request from the requested seq on', () => {
    const acked = outboxAck(outboxWith(6), 2);
    if (!acked.ok) throw new Error(acked.error);
    expect(outboxResend(acked.state, 4)).toEqual({ ok: true, batches: [batch(4), batch(5), batch(6)] });
    expect(outboxResend(acked.state, 3)).toMatchObject({ ok: true, batches: [{ seq: 3 }, {}, {}, {}] });
    expect(outboxResend(acked.state, 7)).toEqual({ ok: true, batches: [] });
  });

  it('asks for a copy when the peer wants batches it already acknowledged', () => {
    const acked = outboxAck(outboxWith(6), 4);
    if (!acked.ok) throw new Error(acked.error);
    const result = outboxResend(acked.state, 3);
    expect(result).toMatchObject({ ok: false, needsCopy: true });
    if (!result.ok) expect(result.error).toMatch(/up to 4 was acknowledged/);
    expect(outboxResend(acked.state, 0).ok).toBe(false);
  });
});

describe('outboxDropPending', () => {
  it('forgets the unacknowledged batches and goes on numbering after them', () => {
    const { state, dropped } = outboxDropPending(outboxWith(3));
    expect(dropped.map((item) => item.seq)).toEqual([1, 2, 3]);
    expect(state).toEqual({ lastSeq: 3, ackedUpTo: 3, unacked: [] });
    expect(outboxEnqueue(state, { rows: 'next' }).batch.seq).toBe(4);
  });

  it("jumps beyond a receiver's cursor from an earlier life, so a stale ack acknowledges nothing new", () => {
    const { state } = outboxDropPending(outboxWith(1), 7);
    expect(state).toEqual({ lastSeq: 7, ackedUpTo: 7, unacked: [] });
    const next = outboxEnqueue(state, { rows: 'new life' }).state;
    const stale = outboxAck(next, 7);
    expect(stale.ok && stale.released).toBe(0);
    expect(outboxPending(next).map((item) => item.seq)).toEqual([8]);
  });
});

describe('an outbox shared by a group (one numbering, one cursor per receiver)', () => {
  it('opens for a member that joined later at the numbering so far, every retained batch unacknowledged', () => {
    const state = createOutbox<Payload>({ lastSeq: 5, retained: [batch(4), batch(5)] });
    expect(state.ackedUpTo).toBe(3);
    expect(outboxPending(state).map((item) => item.seq)).toEqual([4, 5]);
    expect(outboxEnqueue(state, { rows: 'b6' }).batch.seq).toBe(6);
    const resend = outboxResend(state, 4);
    expect(resend.ok && resend.batches.map((item) => item.seq)).toEqual([4, 5]);
  });

});

describe('inbox cursor', () => {
  it('applies the exact next batch', () => {
    const { cursor, arrival } = inboxReceive(createInboxCursor<Payload>(), batch(1));
    expect(arrival).toEqual({ kind: 'apply', batches: [batch(1)] });
    expect(inboxApplied(cursor, 1).appliedUpTo).toBe(1);
  });

  it('acks duplicates again and drops them', () => {
    const cursor = createInboxCursor<Payload>(5);
    for (const seq of [1, 4, 5]) {
      const result = inboxReceive(cursor, batch(seq));
      expect(result.arrival).toEqual({ kind: 'duplicate', ackUpTo: 5 });
      expect(result.cursor).toBe(cursor);
    }
  });

  it('holds batches past a gap, asks once for a resend, and releases them in order when it fills', () => {
    let cursor = createInboxCursor<Payload>(1);
    let result = inboxReceive(cursor, batch(4));
    expect(result.arrival).toEqual({ kind: 'gap', resendFrom: 2, askResend: true, held: true });
    cursor = result.cursor;
    result = inboxReceive(cursor, batch(3));
    expect(result.arrival).toEqual({ kind: 'gap', resendFrom: 2, askResend: false, held: true });
    cursor = result.cursor;

    result = inboxReceive(cursor, batch(2));
    expect(result.arrival).toEqual({ kind: 'apply', batches: [batch(2), batch(3), batch(4)] });
    if (result.arrival.kind !== 'apply') throw new Error('expected apply');
    const drained = drain(result.cursor, result.arrival.batches);
    expect(drained.applied).toEqual([2, 3, 4]);
    expect(drained.cursor).toEqual({ appliedUpTo: 4, held: [], askedResendFrom: null });
  });

  it('keeps held batches when applying the arriving one fails, and offers them again later', () => {
    let cursor = inboxReceive(createInboxCursor<Payload>(), batch(2)).cursor;
    const arrival = inboxReceive(cursor, batch(1));
    // The apply of batch 1 fails: the cursor does not move, batch 2 stays held.
    cursor = arrival.cursor;
    expect(cursor.held.map((b) => b.seq)).toEqual([2]);
    expect(inboxReady(cursor)).toEqual([]);
    // The sender resends 1; this time it applies, and 2 comes with it.
    const retry = inboxReceive(cursor, batch(1));
    expect(retry.arrival).toEqual({ kind: 'apply', batches: [batch(1), batch(2)] });
  });

  it('offers ready held batches after a restart (persisted state)', () => {
    let cursor = inboxReceive(createInboxCursor<Payload>(), batch(2)).cursor;
    cursor = inboxReceive(cursor, batch(3)).cursor;
    const applied = inboxApplied(persisted(cursor), 1);
    expect(inboxReady(applied)).toEqual([batch(2), batch(3)]);
  });

  it('asks again for a different gap, but not for the same one twice', () => {
    let cursor = createInboxCursor<Payload>();
    let result = inboxReceive(cursor, batch(3));
    expect(result.arrival).toMatchObject({ kind: 'gap', resendFrom: 1, askResend: true });
    cursor = result.cursor;
    result = inboxReceive(cursor, batch(1));
    if (result.arrival.kind !== 'apply') throw new Error('expected apply');
    cursor = drain(result.cursor, result.arrival.batches).cursor;
    expect(cursor.appliedUpTo).toBe(1);
    // 2 is still missing: a new gap (from 2), so a new request.
    result = inboxReceive(cursor, batch(5));
    expect(result.arrival).toMatchObject({ kind: 'gap', resendFrom: 2, askResend: true });
    result = inboxReceive(result.cursor, batch(5));
    expect(result.arrival).toMatchObject({ kind: 'gap', resendFrom: 2, askResend: false, held: true });
  });

  it('holds at most maxHeld batches, keeping the lowest (needed first)', () => {
    let cursor = createInboxCursor<Payload>();
    for (const seq of [5, 3, 4]) cursor = inboxReceive(cursor, batch(seq), { maxHeld: 2 }).cursor;
    expect(cursor.held.map((b) => b.seq)).toEqual([3, 4]);
    const result = inboxReceive(cursor, batch(9), { maxHeld: 2 });
    expect(result.arrival).toMatchObject({ kind: 'gap', held: false });
    expect(result.cursor.held.map((b) => b.seq)).toEqual([3, 4]);
    expect(inboxReceive(cursor, batch(2), { maxHeld: 2 }).cursor.held.map((b) => b.seq)).toEqual([2, 3]);
  });

  it('refuses to advance out of order', () => {
    expect(() => inboxApplied(createInboxCursor(3), 5)).toThrow(/next one is 4/);
    expect(() => inboxApplied(createInboxCursor(3), 3)).toThrow(RangeError);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a batch numbered %s', (seq) => {
    expect(() => inboxReceive(createInboxCursor<Payload>(), { seq, payload: { rows: '' } })).toThrow(RangeError);
  });

  it('notices a lost final batch from the sender seq on any envelope', () => {
    const cursor = createInboxCursor<Payload>(4);
    expect(inboxObserveSenderSeq(cursor, 4)).toBeNull();
    expect(inboxObserveSenderSeq(cursor, 3)).toBeNull();
    expect(inboxObserveSenderSeq(cursor, 6)).toBe(5);
    const holding = inboxReceive(cursor, batch(7)).cursor;
    expect(inboxObserveSenderSeq(holding, 7)).toBe(5);
    const ready = inboxReceive(inboxReceive(cursor, batch(6)).cursor, batch(5)).cursor;
    // 5 arrived as 'apply' (not held), 6 held: nothing missing up to 6.
    expect(inboxObserveSenderSeq(inboxApplied(ready, 5), 6)).toBeNull();
    expect(inboxObserveSenderSeq(inboxApplied(ready, 5), 8)).toBe(7);
  });

});

describe('end to end over a bad transport', () => {
  /** A deterministic PRNG so a failure reproduces. */
  function prng(seed: number) {
    let state = seed;
    return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  }

  function deliver(order: readonly SequencedBatch<Payload>[]) {
    let cursor = createInboxCursor<Payload>();
    const applied: number[] = [];
    for (const item of order) {
      const { cursor: next, arrival } = inboxReceive(cursor, item);
      cursor = next;
      if (arrival.kind === 'apply') {
        const drained = drain(cursor, arrival.batches);
        cursor = drained.cursor;
        applied.push(...drained.applied);
      }
    }
    return { cursor, applied };
  }

  function permutations<T>(items: readonly T[]): T[][] {
    if (items.length <= 1) return [[...items]];
    return items.flatMap((item, index) =>
      permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
    );
  }

  it('applies each batch exactly once, in order, for every arrival order of 6 batches', () => {
    const batches = [1, 2, 3, 4, 5, 6].map(batch);
    for (const order of permutations(batches)) {
      const { cursor, applied } = deliver(order);
      expect(applied).toEqual([1, 2, 3, 4, 5, 6]);
      expect(cursor).toEqual({ appliedUpTo: 6, held: [], askedResendFrom: null });
    }
  });

  it('is unaffected by duplicates anywhere in every arrival order', () => {
    const batches = [1, 2, 3, 4].map(batch);
    for (const order of permutations([...batches, batch(2), batch(4)])) {
      expect(deliver(order).applied).toEqual([1, 2, 3, 4]);
    }
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('converges with drops, duplicates, reordering and lost acks (seed %i)', (seed) => {
    const random = prng(seed);
    const total = 60;
    let outbox = createOutbox<Payload>();
    let cursor = createInboxCursor<Payload>();
    const applied: number[] = [];
    let produced = 0;
    let wire: SequencedBatch<Payload>[] = [];
    let now = 0;

    for (let tick = 0; tick < 5_000 && (applied.length < total || outbox.unacked.length > 0); tick += 1) {
      now += 100;
      if (produced < total && random() < 0.5) {
        produced += 1;
        outbox = outboxEnqueue(outbox, { rows: `b${produced}` }).state;
      }
      // Sender: (re)transmit what is due; the transport drops 30%, duplicates 10%.
      const due = deltasToResend(outbox, now, { lastProgressMs: 0, refusedFrom: null });
      outbox = outboxMarkSent(outbox, due.map((entry) => entry.seq), now);
      for (const entry of due) {
        if (random() < 0.3) continue;
        wire.push({ seq: entry.seq, payload: entry.payload });
        if (random() < 0.1) wire.push({ seq: entry.seq, payload: entry.payload });
      }
      // Transport reorders, then delivers part of what is in flight.
      wire.sort(() => random() - 0.5);
      const arriving = wire.slice(0, Math.ceil(wire.length * random()));
      wire = wire.slice(arriving.length);
      let ackUpTo: number | null = null;
      for (const item of arriving) {
        const { cursor: next, arrival } = inboxReceive(cursor, item, { maxHeld: 8 });
        cursor = next;
        if (arrival.kind === 'apply') {
          const drained = drain(cursor, arrival.batches);
          cursor = drained.cursor;
          applied.push(...drained.applied);
          ackUpTo = cursor.appliedUpTo;
        } else if (arrival.kind === 'duplicate') {
          ackUpTo = arrival.ackUpTo;
        } else if (arrival.askResend) {
          const resent = outboxResend(outbox, arrival.resendFrom);
          if (!resent.ok) throw new Error(resent.error);
          if (random() < 0.7) wire.push(...resent.batches);
        }
      }
      // Acks get lost 30% of the time; the receiver's state survives a "restart" every so often.
      if (ackUpTo !== null && random() < 0.7) {
        const acked = outboxAck(outbox, ackUpTo);
        if (!acked.ok) throw new Error(acked.error);
        outbox = acked.state;
      }
      if (random() < 0.05) cursor = persisted(cursor);
    }

    expect(applied).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(outbox.unacked).toEqual([]);
    expect(outbox.ackedUpTo).toBe(total);
  });
});
