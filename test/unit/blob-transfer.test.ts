import { describe, expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES, type BlobWriteChange } from '../../src/files';
import { sha256Hex } from '../../src/files/sha256';
import { MemoryStore } from './memory-blob-store';
import { BLOB_STALL_MS, BLOB_WINDOW, BlobTransfer, type BlobMessage, type ChunkBytes } from '../../src/engine/blob-transfer';

/**
 * How the tabs' lanes behave: they carry chunks, they never bring anything (tabs that cannot
 * reach each other), or posting on them throws (a closed lane).
 */
/** The member serving blobs, and the one pulling them. */
const SENDER = 'peer-a';
const RECEIVER = 'peer-b';

type LaneBehaviour = 'delivers' | 'drops' | 'throws';

/** Two transfers over a queue each way, delivered when the test says; with `lane`, each side also has a lane. */
function pairOfSides(lane?: LaneBehaviour) {
  let clock = 0;
  /** Chunks posted on a lane, by the address they were posted to. */
  const lanes = new Map<string, ChunkBytes[]>();
  const make = (outbox: BlobMessage[], address: string) => {
    const store = new MemoryStore();
    const ended: number[] = [];
    const journal: string[] = [];
    lanes.set(address, []);
    const transfer = new BlobTransfer({
      store,
      send: (_to, message) => outbox.push(message),
      lane: lane && {
        address,
        send: (to, chunk) => {
          if (lane === 'throws') throw new Error('the lane is closed');
          if (lane === 'delivers') lanes.get(to)?.push(chunk);
        },
      },
      onFetchEnded: () => ended.push(clock),
      journal: (entries) => journal.push(...entries.map((entry) => entry.summary)),
      now: () => clock,
    });
    return { store, transfer, ended, journal, outbox, address };
  };
  const toReceiver: BlobMessage[] = [];
  const toSender: BlobMessage[] = [];
  const sender = make(toReceiver, 'pgsync-lane:00000000-0000-4000-8000-00000000000a');
  const receiver = make(toSender, 'pgsync-lane:00000000-0000-4000-8000-00000000000b');
  const onReceiverLane = lanes.get(receiver.address)!;
  const deliver = async (messages: BlobMessage[], to: BlobTransfer) => {
    for (const message of messages.splice(0)) {
      if (message.kind === 'blob-request') await to.serve(message, RECEIVER);
      else if (message.kind === 'blob-chunk') await to.receiveChunk(message, SENDER);
      else await to.onMissing(message.sha256, SENDER);
    }
  };
  return {
    sender,
    receiver,
    toReceiver,
    toSender,
    onReceiverLane,
    advance: (ms: number) => (clock += ms),
    /** Delivers the receiver's requests to the sender, nothing else. */
    serve: () => deliver(toSender, sender.transfer),
    /** Delivers what is queued each way once; `shuffle` reverses what reaches the receiver. */
    async exchange(shuffle = false) {
      await deliver(toSender, sender.transfer);
      if (shuffle) toReceiver.reverse();
      await deliver(toReceiver, receiver.transfer);
      for (const chunk of onReceiverLane.splice(0)) await receiver.transfer.receiveLaneChunk(chunk, SENDER);
    },
    /** Delivers both ways until nothing moves. */
    async settle() {
      while (toReceiver.length + toSender.length + onReceiverLane.length > 0) await this.exchange();
    },
  };
}

function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual !== undefined && Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
}

async function blobOf(size: number): Promise<{ bytes: Uint8Array; write: BlobWriteChange }> {
  const bytes = new Uint8Array(size).map((_, index) => (index * 7 + 3) & 255);
  const sha256 = await sha256Hex(bytes);
  return { bytes, write: { op: 'write', path: 'wp-content/uploads/big.bin', size, sha256, blob: true } };
}

describe('BlobTransfer', () => {
  it('pulls a blob in order through a reordering link, never more than the window out, and the receiver has it byte for byte', async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf((BLOB_WINDOW + 2) * BLOB_CHUNK_BYTES + 17);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);

    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'waiting' });
    expect(link.toSender).toHaveLength(BLOB_WINDOW);
    let requests = 0;
    while (link.toReceiver.length + link.toSender.length > 0) {
      requests += link.toSender.length;
      expect(link.toSender.length).toBeLessThanOrEqual(BLOB_WINDOW);
      await link.exchange(true);
    }
    expect(requests).toBe(BLOB_WINDOW + 3);
    expect(link.receiver.ended).toHaveLength(1);
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'ready' });
    expect(link.receiver.journal).toEqual([]);
  });

  it('starts no second fetch when the same delta is prepared again, and asks again only once the fetch stalled', async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf(3 * BLOB_CHUNK_BYTES);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    await link.receiver.transfer.prepare([write], SENDER);
    const first = link.toSender.splice(0);
    expect(first.map((message) => message.kind === 'blob-request' && message.offset)).toEqual([0, BLOB_CHUNK_BYTES, 2 * BLOB_CHUNK_BYTES]);
    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'waiting' });
    expect(link.toSender).toEqual([]);
    link.advance(BLOB_STALL_MS);
    await link.receiver.transfer.prepare([write], SENDER);
    expect(link.toSender).toEqual(first);
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
  });

  it('resumes from the part already received', async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf(6 * BLOB_CHUNK_BYTES);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    link.receiver.store.parts.set(write.sha256, bytes.slice(0, 4 * BLOB_CHUNK_BYTES));
    await link.receiver.transfer.prepare([write], SENDER);
    expect(link.toSender.map((message) => message.kind === 'blob-request' && message.offset)).toEqual([4 * BLOB_CHUNK_BYTES, 5 * BLOB_CHUNK_BYTES]);
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
  });

  it('reports a blob the sender does not have once, then tries again when asked again', async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf(2 * BLOB_CHUNK_BYTES);
    await link.receiver.transfer.prepare([write], SENDER);
    await link.settle();
    expect(link.receiver.ended).toHaveLength(1);
    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'failed', reason: 'the paired site no longer has these bytes' });
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(2, [write]);
    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'waiting' });
    await link.settle();
    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'ready' });
  });

  it('reports bytes that do not match their name, and keeps none of them', async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf(BLOB_CHUNK_BYTES + 1);
    link.sender.store.blobs.set(write.sha256, bytes.map((byte) => byte ^ 1));
    link.sender.transfer.offer(1, [write]);
    await link.receiver.transfer.prepare([write], SENDER);
    await link.settle();
    const readiness = await link.receiver.transfer.prepare([write], SENDER);
    expect(readiness.kind).toBe('failed');
    expect(link.receiver.store.blobs.has(write.sha256)).toBe(false);
  });

  it('drops late or unknown chunks quietly, and journals one whose size or length is wrong and gives the fetch up', async () => {
    const link = pairOfSides();
    const { write } = await blobOf(2 * BLOB_CHUNK_BYTES);
    await link.receiver.transfer.prepare([write], SENDER);
    link.toSender.splice(0);
    const receive = (message: Partial<Extract<BlobMessage, { kind: 'blob-chunk' }>>) =>
      link.receiver.transfer.receiveChunk({ kind: 'blob-chunk', sha256: write.sha256, offset: 0, size: write.size, base64: 'AAAA', ...message }, SENDER);
    await receive({ offset: 7 });
    await receive({ sha256: 'c'.repeat(64) });
    expect(link.receiver.journal).toEqual([]);
    await receive({ size: write.size + 1 });
    expect(link.receiver.journal).toEqual([`Rejected blob chunk: 3 bytes at 0 of a blob of ${write.size + 1}, expected ${BLOB_CHUNK_BYTES} of ${write.size}`]);
    expect(link.receiver.ended).toHaveLength(1);
    expect((await link.receiver.transfer.prepare([write], SENDER)).kind).toBe('failed');
    expect(link.receiver.store.parts.size).toBe(0);
  });

  it('gives up a blob whose part cannot be finished (announced empty) instead of failing the step', async () => {
    const link = pairOfSides();
    const { write } = await blobOf(0);
    expect(await link.receiver.transfer.prepare([write], SENDER)).toEqual({ kind: 'waiting' });
    expect(link.toSender).toEqual([]);
    expect((await link.receiver.transfer.prepare([write], SENDER)).kind).toBe('failed');
  });

  it('serves only the blobs of unacknowledged deltas, at chunk offsets, and lets them go once acknowledged unless still held', async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf(BLOB_CHUNK_BYTES * 2);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    link.sender.transfer.offer(2, [write]);
    await link.sender.transfer.serve({ kind: 'blob-request', sha256: write.sha256, offset: 5 }, RECEIVER);
    expect(link.sender.journal).toEqual([`Rejected blob request: offset 5 is not a chunk of the ${write.size} bytes of ${write.sha256.slice(0, 12)}…`]);
    await link.sender.transfer.releaseAcked(1);
    expect(link.sender.store.blobs.has(write.sha256)).toBe(true);
    await link.sender.transfer.discardUnlessHeld([write.sha256]);
    expect(link.sender.store.blobs.has(write.sha256)).toBe(true);
    await link.sender.transfer.releaseAcked(2);
    expect(link.sender.store.blobs.has(write.sha256)).toBe(false);
    await link.sender.transfer.serve({ kind: 'blob-request', sha256: write.sha256, offset: 0 }, RECEIVER);
    expect(link.toReceiver).toEqual([{ kind: 'blob-missing', sha256: write.sha256 }]);
  });

  it("serves a full-state copy's blobs under its holder until withdrawn, whatever the deltas' acknowledgements", async () => {
    const link = pairOfSides();
    const { bytes, write } = await blobOf(BLOB_CHUNK_BYTES + 5);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offerFor('copy:snap-1', [write]);
    await link.sender.transfer.releaseAcked(Number.POSITIVE_INFINITY);
    expect(await link.receiver.transfer.prepare([write], SENDER, 'copy-in:snap-1')).toEqual({ kind: 'waiting' });
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
    await link.sender.transfer.withdraw('copy:snap-1');
    expect(link.sender.store.blobs.has(write.sha256)).toBe(false);
    await link.sender.transfer.serve({ kind: 'blob-request', sha256: write.sha256, offset: 0 }, RECEIVER);
    expect(link.toReceiver).toEqual([{ kind: 'blob-missing', sha256: write.sha256 }]);
  });

  it('reports the bytes stored as a blob comes in', async () => {
    const link = pairOfSides();
    const stored: number[] = [];
    const receiver = new BlobTransfer({
      store: link.receiver.store,
      send: (_to, message) => link.toSender.push(message),
      onFetchEnded: () => undefined,
      onStored: (_, written) => stored.push(written),
      journal: () => undefined,
    });
    const { bytes, write } = await blobOf(2 * BLOB_CHUNK_BYTES + 1);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    await receiver.prepare([write], SENDER);
    while (link.toSender.length > 0) {
      for (const message of link.toSender.splice(0)) if (message.kind === 'blob-request') await link.sender.transfer.serve(message, RECEIVER);
      for (const message of link.toReceiver.splice(0)) if (message.kind === 'blob-chunk') await receiver.receiveChunk(message, SENDER);
    }
    expect(stored).toEqual([BLOB_CHUNK_BYTES, 2 * BLOB_CHUNK_BYTES, write.size]);
  });

  it('abandons a fetch given up midway: late chunks are dropped, its part goes, the next fetch starts', async () => {
    const link = pairOfSides();
    const first = await blobOf((BLOB_WINDOW + 4) * BLOB_CHUNK_BYTES);
    const second = await blobOf(BLOB_CHUNK_BYTES + 9);
    for (const { bytes, write } of [first, second]) {
      link.sender.store.blobs.set(write.sha256, bytes);
      link.sender.transfer.offer(1, [write]);
    }
    expect(await link.receiver.transfer.prepare([first.write], SENDER, 'copy-in:snap-1')).toEqual({ kind: 'waiting' });
    expect(await link.receiver.transfer.prepare([second.write], SENDER)).toEqual({ kind: 'waiting' });
    await link.exchange();
    expect(link.receiver.store.holdsPart(first.write.sha256)).toBe(true);
    await link.receiver.transfer.abandon([first.write], 'copy-in:snap-1');
    expect(link.receiver.store.holdsPart(first.write.sha256)).toBe(false);
    await link.settle();
    expect(link.receiver.store.blobs.has(first.write.sha256)).toBe(false);
    expectSameBytes(link.receiver.store.blobs.get(second.write.sha256), second.bytes);
  });
});

describe('BlobTransfer with a lane between the tabs', () => {
  const requestsIn = (messages: BlobMessage[]) => messages.filter((message) => message.kind === 'blob-request');

  it('asks with its lane and gets every chunk on it, none over the link', async () => {
    const link = pairOfSides('delivers');
    const { bytes, write } = await blobOf(BLOB_WINDOW * BLOB_CHUNK_BYTES + 5);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    await link.receiver.transfer.prepare([write], SENDER);
    expect(requestsIn(link.toSender).map((request) => request.replyTo)).toEqual(Array(BLOB_WINDOW).fill(link.receiver.address));
    let overTheLink = 0;
    while (link.toReceiver.length + link.toSender.length + link.onReceiverLane.length > 0) {
      overTheLink += link.toReceiver.filter((message) => message.kind === 'blob-chunk').length;
      await link.exchange();
    }
    expect(overTheLink).toBe(0);
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
    expect([link.receiver.journal, link.sender.journal]).toEqual([[], []]);
  });

  it('gives a lane that never brought a chunk up for the link once a fetch stalls, says so once, and finishes over the link', async () => {
    const link = pairOfSides('drops');
    const { bytes, write } = await blobOf(3 * BLOB_CHUNK_BYTES);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    await link.receiver.transfer.prepare([write], SENDER);
    await link.settle();
    expect(link.receiver.store.holdsPart(write.sha256)).toBe(false);

    link.advance(BLOB_STALL_MS);
    await link.receiver.transfer.prepare([write], SENDER);
    expect(requestsIn(link.toSender).map((request) => [request.offset, request.replyTo])).toEqual([0, 1, 2].map((index) => [index * BLOB_CHUNK_BYTES, undefined]));
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
    expect(link.receiver.journal).toEqual([expect.stringMatching(/^The paired tab cannot be reached directly .*: big files go through the extension/)]);

    // The next blob is asked for over the link from the start; no second line.
    const next = await blobOf(BLOB_CHUNK_BYTES + 1);
    link.sender.store.blobs.set(next.write.sha256, next.bytes);
    link.sender.transfer.offer(2, [next.write]);
    await link.receiver.transfer.prepare([next.write], SENDER);
    expect(requestsIn(link.toSender).every((request) => request.replyTo === undefined)).toBe(true);
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(next.write.sha256), next.bytes);
    expect(link.receiver.journal).toHaveLength(1);
  });

  it('goes on over the link when a lane that worked stalls mid-blob, says so, and tries the lane again for the next blob', async () => {
    const link = pairOfSides('delivers');
    const { bytes, write } = await blobOf(3 * BLOB_CHUNK_BYTES);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    await link.receiver.transfer.prepare([write], SENDER);
    await link.serve();
    // The first chunk comes on the lane; the other two are lost on it.
    link.onReceiverLane.splice(1);
    await link.exchange();
    expect(link.toSender).toEqual([]);
    link.advance(BLOB_STALL_MS);
    await link.receiver.transfer.prepare([write], SENDER);
    expect(requestsIn(link.toSender).map((request) => [request.offset, request.replyTo])).toEqual([
      [BLOB_CHUNK_BYTES, undefined],
      [2 * BLOB_CHUNK_BYTES, undefined],
    ]);
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
    expect(link.receiver.journal).toEqual(['A big file (581 kB) stopped coming straight from the paired tab: the rest comes through the extension']);

    const next = await blobOf(BLOB_CHUNK_BYTES + 1);
    link.sender.store.blobs.set(next.write.sha256, next.bytes);
    link.sender.transfer.offer(2, [next.write]);
    await link.receiver.transfer.prepare([next.write], SENDER);
    expect(requestsIn(link.toSender).map((request) => request.replyTo)).toEqual([link.receiver.address, link.receiver.address]);
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(next.write.sha256), next.bytes);
  });

  it('answers over the link when the lane cannot carry a chunk', async () => {
    const link = pairOfSides('throws');
    const { bytes, write } = await blobOf(2 * BLOB_CHUNK_BYTES + 9);
    link.sender.store.blobs.set(write.sha256, bytes);
    link.sender.transfer.offer(1, [write]);
    await link.receiver.transfer.prepare([write], SENDER);
    await link.serve();
    expect(link.toReceiver.map((message) => message.kind)).toEqual(['blob-chunk', 'blob-chunk', 'blob-chunk']);
    await link.settle();
    expectSameBytes(link.receiver.store.blobs.get(write.sha256), bytes);
    expect([link.receiver.journal, link.sender.journal]).toEqual([[], []]);
  });
});
