import { describe, expect, it } from 'vitest';
import type { WireDelta } from '../../src/engine/delta';
import { DeltaLink } from '../../src/engine/peer/delta-link';
import { PeerJournal } from '../../src/engine/peer/peer-journal';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { createHlcClock } from '../../src/sync/hlc';
import type { SequencedBatch } from '../../src/sync/sequencing';
import type { Envelope, PeerMessage } from '../../src/sync/wire';

/**
 * The delta link of two peers over an in-memory wire that keeps what is sent until a test
 * delivers it (or loses it): numbering, acknowledgements, resends, refusals and framing, without
 * a site.
 */

interface Side {
  readonly link: DeltaLink;
  readonly journal: JournalEntry[];
  readonly statuses: { ids: string[]; status: JournalEntry['status'] }[];
  readonly peerJournal: PeerJournal;
  /** Messages this side sent, not delivered yet. */
  readonly sent: PeerMessage<WireDelta>[];
  flowing: boolean;
}

function side(self: string, peer: string): Side {
  const journal: JournalEntry[] = [];
  const statuses: Side['statuses'] = [];
  const sent: PeerMessage<WireDelta>[] = [];
  const peerJournal = new PeerJournal({
    peerId: self,
    siteUrl: `https://playground.wordpress.net/scope:${self}`,
    onJournal: (entries) => journal.push(...entries),
    onJournalStatus: (ids, status) => statuses.push({ ids, status }),
  });
  const state: Side = {
    journal,
    statuses,
    peerJournal,
    sent,
    flowing: true,
    link: new DeltaLink({
      pairId: 'pair-1',
      peerId: self,
      remotePeerId: peer,
      siteUrl: `https://playground.wordpress.net/scope:${self}`,
      clock: createHlcClock(self),
      journal: peerJournal,
      send: (message) => sent.push(message),
      deltasFlow: () => state.flowing,
      settledUpTo: () => 0,
      stopped: () => false,
    }),
  };
  return state;
}

function delta(hlc: string, padding = ''): WireDelta {
  return { files: padding ? [{ op: 'mkdir', path: `wp-content/${padding}` }] : [], db: null, hlc };
}

/**
 * Hands what `from` sent to `to`: deltas are applied in order by `apply` (default: every one
 * applies); answers the envelopes `to` took whole.
 */
async function deliver(
  from: Side,
  to: Side,
  apply: (batch: SequencedBatch<WireDelta>) => Promise<'applied' | 'waiting' | { failed: string }> = async () => 'applied',
): Promise<Envelope<WireDelta>[]> {
  const taken: Envelope<WireDelta>[] = [];
  for (const message of from.sent.splice(0)) {
    const envelope = to.link.take(message);
    if (envelope === null) continue;
    taken.push(envelope);
    to.link.acknowledge(envelope.ackUpTo, null);
    if (envelope.kind === 'delta') await to.link.applyInOrder(to.link.receive({ seq: envelope.seq, payload: envelope.payload }), apply);
    if (envelope.kind === 'resend') to.link.answerResend(envelope.resendFrom, null);
  }
  return taken;
}

const HLC = '0000000003e8.0000.peer-a';

describe('DeltaLink', () => {
  it('numbers deltas, delivers them in order and forgets them once acknowledged', async () => {
    const a = side('peer-a', 'peer-b');
    const b = side('peer-b', 'peer-a');
    for (const n of [1, 2, 3]) a.link.send(a.link.enqueue(delta(HLC, `d${n}`)));
    expect(a.link.pending.map((batch) => batch.seq)).toEqual([1, 2, 3]);
    const applied: number[] = [];
    await deliver(a, b, async (batch) => {
      applied.push(batch.seq);
      return 'applied';
    });
    expect(applied).toEqual([1, 2, 3]);
    expect(b.link.appliedUpTo).toBe(3);
    await deliver(b, a);
    expect(a.link.pending).toEqual([]);
    expect(a.link.ackedUpTo).toBe(3);
  });

  it('holds a delta that came early, asks for the missing one, and applies both once it comes again', async () => {
    const a = side('peer-a', 'peer-b');
    const b = side('peer-b', 'peer-a');
    a.link.send(a.link.enqueue(delta(HLC, 'one')));
    a.link.send(a.link.enqueue(delta(HLC, 'two')));
    a.sent.shift(); // delta 1 is lost on the way
    await deliver(a, b);
    expect(b.link.appliedUpTo).toBe(0);
    const asked = b.sent.filter((message) => (message as Envelope).kind === 'resend');
    expect(asked).toHaveLength(1);
    expect((asked[0] as Extract<Envelope, { kind: 'resend' }>).resendFrom).toBe(1);
    await deliver(b, a); // a answers the request: 1 and 2 again
    await deliver(a, b);
    expect(b.link.appliedUpTo).toBe(2);
  });

  it('applies a delta that comes twice once, and acknowledges it again (the first acknowledgement may be lost)', async () => {
    const a = side('peer-a', 'peer-b');
    const b = side('peer-b', 'peer-a');
    a.link.send(a.link.enqueue(delta(HLC, 'once')));
    a.sent.push(...a.sent);
    let applied = 0;
    await deliver(a, b, async () => {
      applied += 1;
      return 'applied';
    });
    expect(applied).toBe(1);
    expect(b.sent.map((message) => (message as Envelope).kind)).toEqual(['ack', 'ack']);
  });

  it('keeps a refused delta and those after it for a retry, and never resends them on its timer', async () => {
    const a = side('peer-a', 'peer-b');
    const b = side('peer-b', 'peer-a');
    a.link.send(a.link.enqueue(delta(HLC, 'bad')));
    a.link.send(a.link.enqueue(delta(HLC, 'after')));
    await deliver(a, b, async (batch) => (batch.seq === 1 ? { failed: 'no such table wp_shop' } : 'applied'));
    expect(b.link.appliedUpTo).toBe(0);
    expect(b.link.ready().map((batch) => batch.seq)).toEqual([1, 2]);
    const nack = b.sent.map((message) => message as Envelope).find((envelope) => envelope.kind === 'nack');
    expect(nack).toMatchObject({ nackSeq: 1, reason: 'no such table wp_shop' });
    a.link.refused(1);
    a.sent.splice(0);
    a.link.resendDue(performance.now() + 3_600_000);
    expect(a.sent).toEqual([]);
    // The cause fixed: a retry applies both, and the acknowledgement frees the sender.
    expect(await b.link.applyInOrder(b.link.ready(), async () => 'applied')).toBe('applied');
    await deliver(b, a);
    expect(a.link.pending).toEqual([]);
  });

  it('sends nothing while deltas do not flow, and everything pending once asked to', async () => {
    const a = side('peer-a', 'peer-b');
    a.flowing = false;
    a.link.send(a.link.enqueue(delta(HLC, 'held')));
    a.link.resendAll();
    expect(a.sent).toEqual([]);
    a.flowing = true;
    a.link.resendAll();
    expect(a.sent.map((message) => (message as Envelope).kind)).toEqual(['delta']);
  });

  it('sends an envelope too big for one message as frames, which the other side joins', async () => {
    const a = side('peer-a', 'peer-b');
    const b = side('peer-b', 'peer-a');
    const big = delta(HLC, 'x'.repeat(200));
    big.files = Array.from({ length: 2_000 }, (_, n) => ({ op: 'mkdir' as const, path: `wp-content/uploads/folder-${n}-${'y'.repeat(100)}` }));
    a.link.send(a.link.enqueue(big));
    expect(a.sent.length).toBeGreaterThan(1);
    const taken = await deliver(a, b);
    expect(taken.map((envelope) => envelope.kind)).toEqual(['delta']);
    expect(b.link.appliedUpTo).toBe(1);
  });

  it('refuses a forged or malformed message with a journal line, and uses nothing of it', () => {
    const b = side('peer-b', 'peer-a');
    const forged = { v: 1, kind: 'delta', pairId: 'pair-1', from: 'peer-evil', seq: 1, ackUpTo: 0, hlc: HLC, siteUrl: 'https://x', payload: delta(HLC) };
    expect(b.link.take(forged)).toBeNull();
    expect(b.link.take('not an envelope')).toBeNull();
    expect(b.journal.map((line) => [line.status, line.kind])).toEqual([
      ['rejected', 'input'],
      ['rejected', 'input'],
    ]);
    expect(b.link.appliedUpTo).toBe(0);
  });

  it('answers a resend request from before its last acknowledgement without an error (it is stale)', async () => {
    const a = side('peer-a', 'peer-b');
    const b = side('peer-b', 'peer-a');
    a.link.send(a.link.enqueue(delta(HLC, 'one')));
    await deliver(a, b);
    const early = createHlcClock('peer-b', { wallClock: () => 1_000 }).now();
    const late = createHlcClock('peer-b', { wallClock: () => 2_000 }).now();
    a.link.acknowledge(1, late);
    expect(a.link.answerResend(1, early)).toBeNull();
    expect(a.link.answerResend(1, late)).toMatch(/acknowledged/i);
  });
});

describe('PeerJournal', () => {
  it("turns a sent delta's lines applied once acknowledged, and dropped ones info", () => {
    const a = side('peer-a', 'peer-b');
    const first = a.peerJournal.write([{ direction: 'sent', kind: 'rows', target: 'wp_posts', summary: 'one', status: 'pending' }]);
    const second = a.peerJournal.write([{ direction: 'sent', kind: 'rows', target: 'wp_posts', summary: 'two', status: 'pending' }]);
    a.peerJournal.trackSent(1, first);
    a.peerJournal.trackSent(2, second);
    a.peerJournal.sentAcknowledged(1);
    a.peerJournal.sentDropped();
    expect(a.statuses).toEqual([
      { ids: first, status: 'applied' },
      { ids: second, status: 'info' },
    ]);
  });

  it('keeps failures of a stopping peer out of the journal (its site is going), and says the rest', () => {
    const a = side('peer-a', 'peer-b');
    a.peerJournal.stopping = true;
    a.peerJournal.unexpected(new Error('The page replaced its client'));
    a.peerJournal.write([
      { direction: 'local', kind: 'rows', target: 'capture', summary: 'failed', status: 'failed' },
      { direction: 'local', kind: 'pairing', target: 'peer', summary: 'stopped', status: 'info' },
    ]);
    expect(a.journal.map((line) => line.summary)).toEqual(['stopped']);
  });

  it('says a file name the paired site cannot take once per path', () => {
    const a = side('peer-a', 'peer-b');
    a.peerJournal.skipped([{ path: 'wp-content/a:b.txt', reason: 'a colon' }]);
    a.peerJournal.skipped([{ path: 'wp-content/a:b.txt', reason: 'a colon' }]);
    expect(a.journal).toHaveLength(1);
    expect(a.journal[0]).toMatchObject({ status: 'failed', target: 'wp-content/a:b.txt' });
  });
});
