import { describe, expect, it } from 'vitest';
import { BlobTransfer, type BlobMessage } from '../../src/engine/blob-transfer';
import type { WireDelta } from '../../src/engine/delta';
import { KeptDeltas } from '../../src/engine/peer/kept-deltas';
import { sha256Hex } from '../../src/files/sha256';
import { MemoryStore } from './memory-blob-store';

const ORIGIN = 'peer-c';
const SITE = 'https://playground.wordpress.net/scope:c/';

/** A member's kept deltas over a real blob transfer and an in-memory store holding one big file's bytes. */
async function keeper() {
  const store = new MemoryStore();
  const bytes = new Uint8Array(1000).map((_, index) => index % 251);
  const sha256 = await sha256Hex(bytes);
  store.blobs.set(sha256, bytes);
  const answers: { to: string; message: BlobMessage }[] = [];
  const blobs = new BlobTransfer({ store, send: (to, message) => answers.push({ to, message }), onFetchEnded: () => undefined, journal: () => undefined });
  return { store, sha256, answers, blobs, kept: new KeptDeltas(blobs) };
}

const rows = (seq: number): WireDelta => ({ files: [], db: null, hlc: `0191dd9dec7b.000${seq}.${ORIGIN}` }) as unknown as WireDelta;
const bigFile = (sha256: string): WireDelta =>
  ({ files: [{ op: 'write', path: 'wp-content/uploads/photo.jpg', size: 1000, sha256, blob: true }], db: null, hlc: `0191dd9dec7b.0009.${ORIGIN}` }) as unknown as WireDelta;

describe('KeptDeltas', () => {
  it('answers what it kept of an origin in the origin’s order, each delta once', async () => {
    const { kept } = await keeper();
    for (const seq of [2, 1, 3, 2]) kept.keep(ORIGIN, { batch: { seq, payload: rows(seq) }, siteUrl: SITE });
    expect(kept.of(ORIGIN).map((delta) => delta.batch.seq)).toEqual([1, 2, 3]);
    expect(kept.of('peer-d')).toEqual([]);
  });

  it('forgets what every member has once the origin says so, and only that', async () => {
    const { kept } = await keeper();
    for (const seq of [1, 2, 3]) kept.keep(ORIGIN, { batch: { seq, payload: rows(seq) }, siteUrl: SITE });
    await kept.settle(ORIGIN, 2);
    expect(kept.of(ORIGIN).map((delta) => delta.batch.seq)).toEqual([3]);
    await kept.settle('peer-d', 3);
    expect(kept.of(ORIGIN).map((delta) => delta.batch.seq)).toEqual([3]);
  });

  it('serves a kept delta’s big file to whoever asks, until it is settled; then the store lets it go', async () => {
    const { kept, blobs, store, sha256, answers } = await keeper();
    kept.keep(ORIGIN, { batch: { seq: 1, payload: bigFile(sha256) }, siteUrl: SITE });
    await blobs.serve({ kind: 'blob-request', sha256, offset: 0 }, 'peer-b');
    expect(answers.at(-1)).toMatchObject({ to: 'peer-b', message: { kind: 'blob-chunk', sha256, offset: 0, size: 1000 } });
    await kept.settle(ORIGIN, 1);
    expect(store.removed).toEqual([sha256]);
    await blobs.serve({ kind: 'blob-request', sha256, offset: 0 }, 'peer-b');
    expect(answers.at(-1)).toEqual({ to: 'peer-b', message: { kind: 'blob-missing', sha256 } });
  });

  it('forgets, once relayed, only what it relayed: a member that started over goes on numbering after it', async () => {
    const { kept } = await keeper();
    kept.keep(ORIGIN, { batch: { seq: 1, payload: rows(1) }, siteUrl: SITE });
    await kept.relayed(ORIGIN, ['peer-b']);
    kept.keep(ORIGIN, { batch: { seq: 2, payload: rows(2) }, siteUrl: SITE });
    await kept.heard('peer-b', ORIGIN, 2);
    expect(kept.of(ORIGIN).map((delta) => delta.batch.seq)).toEqual([2]);
  });

  it('keeps what it relayed of a member gone until every member it went to has it all, whenever each says so', async () => {
    const { kept, store, sha256 } = await keeper();
    kept.keep(ORIGIN, { batch: { seq: 1, payload: bigFile(sha256) }, siteUrl: SITE });
    kept.keep(ORIGIN, { batch: { seq: 2, payload: rows(2) }, siteUrl: SITE });
    // B says so before this site relayed anything (its own removal came first); D has only the first.
    await kept.heard('peer-b', ORIGIN, 2);
    await kept.relayed(ORIGIN, ['peer-b', 'peer-d', 'peer-e']);
    await kept.heard('peer-d', ORIGIN, 1);
    expect(kept.of(ORIGIN)).toHaveLength(2);
    await kept.heard('peer-d', ORIGIN, 2);
    expect(kept.of(ORIGIN)).toHaveLength(2);
    // E leaves without a word: nothing waits for it.
    await kept.left('peer-e');
    expect(kept.of(ORIGIN)).toEqual([]);
    expect(store.removed).toEqual([sha256]);
  });

  it('keeps nothing again that every member has (a late duplicate of a settled delta)', async () => {
    const { kept } = await keeper();
    kept.keep(ORIGIN, { batch: { seq: 1, payload: rows(1) }, siteUrl: SITE });
    await kept.settle(ORIGIN, 1);
    expect(kept.keep(ORIGIN, { batch: { seq: 1, payload: rows(1) }, siteUrl: SITE })).toBe(false);
    expect(kept.keep(ORIGIN, { batch: { seq: 2, payload: rows(2) }, siteUrl: SITE })).toBe(true);
    expect(kept.of(ORIGIN).map((delta) => delta.batch.seq)).toEqual([2]);
  });

  it('pulls the big file of a delta it has only by a copy from the member that sent it, and serves it from then on', async () => {
    const { kept, blobs, store, sha256, answers } = await keeper();
    const bytes = store.blobs.get(sha256)!;
    store.blobs.delete(sha256);
    await kept.keepHad(ORIGIN, { batch: { seq: 1, payload: bigFile(sha256) }, siteUrl: SITE }, 'peer-s');
    expect(answers.at(-1)).toMatchObject({ to: 'peer-s', message: { kind: 'blob-request', sha256, offset: 0 } });
    await blobs.receiveChunk({ kind: 'blob-chunk', sha256, offset: 0, size: 1000, base64: Buffer.from(bytes).toString('base64') }, 'peer-s');
    await blobs.serve({ kind: 'blob-request', sha256, offset: 0 }, 'peer-b');
    expect(answers.at(-1)).toMatchObject({ to: 'peer-b', message: { kind: 'blob-chunk', sha256, offset: 0, size: 1000 } });
  });

  it('relays what it kept of a member gone to a member that joined after the relay, past what it says its copy has', async () => {
    const { kept } = await keeper();
    for (const seq of [1, 2, 3]) kept.keep(ORIGIN, { batch: { seq, payload: rows(seq) }, siteUrl: SITE });
    await kept.relayed(ORIGIN, ['peer-b']);
    kept.joined('peer-j', [ORIGIN]);
    // B has them all, but J's copy was taken before: kept for J.
    expect(await kept.heard('peer-b', ORIGIN, 3)).toEqual([]);
    expect(kept.of(ORIGIN)).toHaveLength(3);
    expect((await kept.heard('peer-j', ORIGIN, 1)).map((delta) => delta.batch.seq)).toEqual([2, 3]);
    // Said again as it applies them: nothing relayed twice.
    expect(await kept.heard('peer-j', ORIGIN, 2)).toEqual([]);
    expect(kept.of(ORIGIN)).toHaveLength(3);
    await kept.heard('peer-j', ORIGIN, 3);
    expect(kept.of(ORIGIN)).toEqual([]);
  });

  it('relays again to a member that started over, once it says how far its copy has them; a member starting over waits for it no more', async () => {
    const { kept } = await keeper();
    for (const seq of [1, 2]) kept.keep(ORIGIN, { batch: { seq, payload: rows(seq) }, siteUrl: SITE });
    kept.keep('peer-r', { batch: { seq: 1, payload: rows(1) }, siteUrl: SITE });
    await kept.relayed(ORIGIN, ['peer-b', 'peer-x']);
    await kept.relayed('peer-r', ['peer-b', 'peer-x']);
    await kept.heard('peer-x', ORIGIN, 2);
    await kept.heard('peer-b', 'peer-r', 1);
    // X reloads: its new life has ORIGIN's deltas only as far as its copy, and nothing of peer-r's old life to say.
    await kept.startsOver('peer-x', [ORIGIN]);
    expect(kept.of('peer-r')).toEqual([]);
    await kept.heard('peer-b', ORIGIN, 2);
    expect(kept.of(ORIGIN)).toHaveLength(2);
    expect((await kept.heard('peer-x', ORIGIN, 0)).map((delta) => delta.batch.seq)).toEqual([1, 2]);
    await kept.heard('peer-x', ORIGIN, 2);
    expect(kept.of(ORIGIN)).toEqual([]);
  });

  it('keeps what it relayed of a member starting over until the members it went to have it, whatever its new life says is settled', async () => {
    const { kept } = await keeper();
    for (const seq of [1, 2, 3]) kept.keep(ORIGIN, { batch: { seq, payload: rows(seq) }, siteUrl: SITE });
    await kept.relayed(ORIGIN, ['peer-b']);
    // Its new life numbers after its copy: it says 3 is settled before B has the relays.
    await kept.settle(ORIGIN, 3);
    expect(kept.of(ORIGIN)).toHaveLength(3);
    await kept.heard('peer-b', ORIGIN, 3);
    expect(kept.of(ORIGIN)).toEqual([]);
  });
});

