import { describe, expect, it } from 'vitest';
import { copyMetaFor } from './copy-fixtures';
import { copyToEnvelopes, type SiteCopy, type CopyChunk, type CopyEnvelope } from '../../src/engine/copy';
import { CopySource, CopyTarget, describeCopy, formatBytes, type HeldDelta } from '../../src/engine/copy-exchange';
import type { EnvelopeOf } from '../../src/sync/wire';

const header = { pairId: 'pair-1', from: 'peer-a', to: 'peer-b', seq: 9, ackUpTo: 5, hlc: '0191dd9dec7b.0000.peer-a' };

async function makeCopy(databaseBytes: number): Promise<SiteCopy> {
  const database = new Uint8Array(databaseBytes).map((_, index) => (index * 7) % 251);
  return {
    meta: await copyMetaFor(database, { fileCount: 1234, shippedFileCount: 56 }),
    files: { manifest: { files: new Map(), directories: new Set() }, packed: [], unreadable: [], versions: [] },
  };
}

const envelopesOf = async (copyId: string, bytes = 600_000): Promise<CopyEnvelope[]> =>
  copyToEnvelopes(await makeCopy(bytes), { copyId, baseSeq: 9, header });

const delta = (seq: number): HeldDelta => ({ batch: { seq, payload: { files: [], db: null, hlc: 'x' } as never }, siteUrl: 'https://a.test' });

describe('CopyTarget', () => {
  it('completes from parts in any order, duplicated, with chunks ahead of the beginning', async () => {
    const target = new CopyTarget();
    target.start('copy-1', 0);
    const [begin, ...rest] = await envelopesOf('copy-1');
    const results = [...rest.reverse(), rest[0]!, begin!].map((part) => target.receive(part, 1));
    expect(results.slice(0, rest.length + 1).every((result) => result.kind === 'ignored')).toBe(true);
    const last = results.at(-1)!;
    expect(last.kind).toBe('complete');
    if (last.kind !== 'complete') return;
    expect(last.sourceCursor).toBe(5);
    expect(last.begun?.lastBatchSeq).toBe(7);
    expect((await last.reassembler.assemble()).meta.fileCount).toBe(1234);
  });

  it('measures how long the source has been quiet: since the request, then since its latest envelope', async () => {
    const target = new CopyTarget();
    expect(target.quietFor(100)).toBeNull();
    target.start('copy-1', 100);
    expect(target.quietFor(250)).toBe(150);
    const [begin] = await envelopesOf('copy-1');
    target.receive(begin!, 300);
    expect(target.quietFor(320)).toBe(20);
    target.receive((await envelopesOf('copy-other'))[0]!, 400);
    expect(target.quietFor(420)).toBe(120);
    target.settle();
    expect(target.quietFor(500)).toBeNull();
  });

  it('reports bytes received as chunks come in', async () => {
    const target = new CopyTarget();
    target.start('copy-1', 0);
    const [begin, first] = await envelopesOf('copy-1');
    expect(target.receive(begin!, 1)).toMatchObject({ kind: 'progress', done: 0, total: expect.any(Number) as unknown, begun: { siteUrl: 'https://playground.wordpress.net/scope:a' } });
    const progress = target.receive(first!, 1);
    expect(progress).toMatchObject({ kind: 'progress', begun: null });
    if (progress.kind === 'progress') expect(progress.done).toBe(Buffer.from((first as CopyChunk).data as string, 'base64').length);
  });

  it('counts the blobs in the progress once the header is in, and ignores late header parts meanwhile', async () => {
    const target = new CopyTarget();
    target.start('copy-1', 0);
    const copy = await makeCopy(1000);
    const withPack = {
      meta: { ...copy.meta, pack: { size: 5000, sha256: 'c'.repeat(64) } },
      files: { ...copy.files, packed: [{ size: 5000, sha256: 'e'.repeat(64) }] },
    };
    const [begin, ...rest] = await copyToEnvelopes(withPack, { copyId: 'copy-1', baseSeq: 9, header });
    const started = target.receive(begin!, 1);
    if (started.kind !== 'progress') throw new Error(started.kind);
    const headerBytes = (begin as EnvelopeOf<'copy-begin'>).byteLength;
    expect(started.total).toBe(headerBytes + 1000 + 5000);
    let complete;
    for (const part of rest) complete = target.receive(part, 2);
    if (complete?.kind !== 'complete') throw new Error('not complete');
    expect(target.stored(withPack.meta.database.sha256, 10, 3)).toBeNull();
    target.startFetch(await complete.reassembler.assemble(), complete.reassembler, complete.sourceCursor);
    expect(target.fetch?.baseSeq).toBe(9);
    expect(target.receive(rest.at(-1)!, 4).kind).toBe('ignored');
    expect(target.stored(withPack.meta.database.sha256, 1000, 5)).toEqual({ done: headerBytes + 1000, total: headerBytes + 6000 });
    expect(target.stored('d'.repeat(64), 1000, 6)).toBeNull();
    expect(target.stored('c'.repeat(64), 2500, 7)).toEqual({ done: headerBytes + 3500, total: headerBytes + 6000 });
    expect(target.quietFor(10)).toBe(3);
  });

  it("ignores another copy's parts and late duplicates once settled; keeps the deltas held meanwhile", async () => {
    const target = new CopyTarget();
    target.start('copy-1', 0);
    const other = await envelopesOf('copy-2');
    expect(other.map((part) => target.receive(part, 1).kind)).toEqual(other.map(() => 'ignored'));
    target.holdDelta(delta(10));
    target.holdDelta(delta(11));
    expect(target.settle().map((held) => held.batch.seq)).toEqual([10, 11]);
    expect(target.id).toBeNull();
    expect(target.isSettled('copy-1')).toBe(true);
    const [begin] = await envelopesOf('copy-1');
    expect(target.receive(begin!, 1).kind).toBe('ignored');
  });

  it('throws a readable refusal for a chunk that contradicts an earlier copy of it', async () => {
    const target = new CopyTarget();
    target.start('copy-1', 0);
    const [begin, chunk] = await envelopesOf('copy-1');
    target.receive(begin!, 1);
    target.receive(chunk!, 1);
    const forged = { ...(chunk as CopyChunk), data: `B${((chunk as CopyChunk).data as string).slice(1)}` };
    expect(() => target.receive(forged, 1)).toThrow(/arrived twice with different bytes/);
  });
});

describe('CopySource', () => {
  const request = (copyId: string): EnvelopeOf<'copy-request'> => ({ ...header, v: 1, kind: 'copy-request', copyId, files: [] });

  it('answers a request once, holds deltas until that copy settles, and ignores a second settle', () => {
    const source = new CopySource();
    expect(source.accept(request('copy-1'))).toBe(true);
    expect(source.accept(request('copy-1'))).toBe(false);
    expect(source.holding).toBe(true);
    source.holdDelta(delta(3));
    expect(source.settle('copy-x')).toBeNull();
    expect(source.settle('copy-1')?.map((held) => held.batch.seq)).toEqual([3]);
    expect(source.holding).toBe(false);
    expect(source.settle('copy-1')).toBeNull();
    expect(source.accept(request('copy-1'))).toBe(false);
  });
});

describe('copy summaries', () => {
  it('says what was copied, in words', async () => {
    expect(describeCopy(await makeCopy(1_234_567), 850.4)).toBe(
      'Copied the full state of https://playground.wordpress.net/scope:a: 1,234 files (56 sent), 1.2 MB database, in 850 ms',
    );
    expect([formatBytes(999), formatBytes(446_500), formatBytes(15_200_000)]).toEqual(['999 B', '446.5 kB', '15.2 MB']);
  });
});
