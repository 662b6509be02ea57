import { describe, expect, it } from 'vitest';
import { copyMetaFor } from './copy-fixtures';
import { sha256Hex } from '../../src/files';
import {
  decodeCopyHeader,
  encodeCopyHeader,
  refusalFor,
  CopyReassembler,
  CopyRefusal,
  copyToEnvelopes,
  type SiteFacts,
  type SiteCopy,
  type CopyBegin,
  type CopyChunk,
  type CopyEnd,
  type CopyEnvelope,
} from '../../src/engine/copy';
import { encodeDelta } from '../../src/engine/delta';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import { parseEnvelope, COPY_CHUNK_BYTES } from '../../src/sync/wire';

const header = { pairId: 'pair-1', from: 'peer-a', to: 'peer-b', seq: 4, ackUpTo: 1, hlc: '0191dd9dec7b.0000.peer-a' };

function noise(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** A copy of three files plus `fillerFiles` more listed (not shipped): its header spans several chunks by default. */
async function makeCopy(fillerFiles = 4000): Promise<SiteCopy> {
  const database = noise(1000, 1);
  const plugin = new TextEncoder().encode('<?php /* Plugin Name: Demo */');
  const blob = noise(1000, 2);
  const [pluginHash, blobHash] = [await sha256Hex(plugin), await sha256Hex(blob)];
  const packed = [
    { sha256: pluginHash, size: plugin.length },
    { sha256: blobHash, size: blob.length },
  ];
  const filler = Array.from({ length: fillerFiles }, (_, index) => [`wp-content/uploads/filler/file-${index}.txt`, { size: index, sha256: pluginHash.replace(/^.{8}/, index.toString(16).padStart(8, '0')) }] as const);
  return {
    meta: await copyMetaFor(database, { fileCount: 3 + fillerFiles, shippedFileCount: 3 }, { size: plugin.length + blob.length, sha256: 'c'.repeat(64) }),
    files: {
      manifest: {
        files: new Map([
          ['wp-content/plugins/demo/demo.php', { size: plugin.length, sha256: pluginHash }],
          ['wp-content/plugins/demo/copy.php', { size: plugin.length, sha256: pluginHash }],
          ['wp-content/uploads/blob.bin', { size: blob.length, sha256: blobHash }],
          ...filler,
        ]),
        directories: new Set(['wp-content', 'wp-content/plugins', 'wp-content/plugins/demo', 'wp-content/uploads']),
      },
      packed,
      unreadable: ['wp-content/uploads/private'],
      versions: [
        ['wp-content/plugins/demo/demo.php', '0191dd9dec7b.0001.peer-c', false, null],
        ['wp-content/uploads/gone', '0191dd9dec7b.0002.peer-a', true, '0191dd9dec7b.0002.peer-a'],
      ],
    },
  };
}

/** JSON text round trip and wire validation, as the transport does it. */
function overTheWire(envelopes: CopyEnvelope[]): CopyEnvelope[] {
  return envelopes.map((envelope) => {
    const parsed = parseEnvelope(JSON.stringify(envelope), { pairId: 'pair-1', self: 'peer-b', peer: 'peer-a' });
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value as CopyEnvelope;
  });
}

function split(envelopes: CopyEnvelope[]) {
  const begin = envelopes.find((envelope): envelope is CopyBegin => envelope.kind === 'copy-begin')!;
  const rest = envelopes.filter((envelope): envelope is CopyChunk | CopyEnd => envelope.kind !== 'copy-begin');
  return { begin, rest };
}

describe('copy header', () => {
  it('encodes and decodes a copy header unchanged', async () => {
    const copy = await makeCopy(10);
    const decoded = decodeCopyHeader(encodeCopyHeader(copy));
    expect(decoded.meta).toEqual(copy.meta);
    expect(decoded.files.manifest.files).toEqual(copy.files.manifest.files);
    expect(decoded.files.manifest.directories).toEqual(copy.files.manifest.directories);
    expect(decoded.files.packed).toEqual(copy.files.packed);
    expect(decoded.files.unreadable).toEqual(['wp-content/uploads/private']);
    expect(decoded.files.versions).toEqual(copy.files.versions);
  });

  it('carries the deltas its source kept for relaying, and refuses one that is not a delta', async () => {
    const payload = encodeDelta({ files: [], db: null, hlc: '0191dd9dec7b.0003.peer-c' });
    const kept = [{ origin: 'peer-c', seq: 3, siteUrl: 'https://playground.wordpress.net/scope:c', payload }];
    const copy = { ...(await makeCopy(0)), kept };
    expect(decodeCopyHeader(encodeCopyHeader(copy)).kept).toEqual(kept);
    expect(decodeCopyHeader(encodeCopyHeader(await makeCopy(0))).kept).toEqual([]);
    const forged = { ...copy, kept: [{ ...kept[0]!, payload: { rows: 'not a delta' } as unknown as typeof payload }] };
    expect(() => decodeCopyHeader(encodeCopyHeader(forged))).toThrow(/Not a valid copy: kept\.0\.payload/);
  });

  it('carries no file or database bytes: a few hundred bytes for a handful of files', async () => {
    expect(encodeCopyHeader(await makeCopy(0)).length).toBeLessThan(2000);
  });

  it('refuses damaged bytes with a reason', async () => {
    const bytes = encodeCopyHeader(await makeCopy(10));
    expect(() => decodeCopyHeader(bytes.slice(0, bytes.length - 1))).toThrow(/header is not JSON/);
  });

  it("refuses a pack index that does not fit the pack", async () => {
    const copy = await makeCopy(0);
    const short = { ...copy, files: { ...copy.files, packed: copy.files.packed.slice(1) } };
    expect(() => decodeCopyHeader(encodeCopyHeader(short))).toThrow(/the pack's index holds \d+ bytes, the pack \d+/);
    const noPack = { ...copy, meta: { ...copy.meta, pack: null } };
    expect(() => decodeCopyHeader(encodeCopyHeader(noPack))).toThrow(/the pack none/);
  });

  it('refuses a manifest path that leaves the synced root', async () => {
    const copy = await makeCopy(10);
    const evil = { ...copy, files: { ...copy.files, manifest: { files: new Map([['../etc/passwd', { size: 1, sha256: 'a'.repeat(64) }]]), directories: new Set<string>() } } };
    expect(() => decodeCopyHeader(encodeCopyHeader(evil))).toThrow(CopyRefusal);
  });
});

describe('copy transfer', () => {
  it('splits into base64 chunks of at most COPY_CHUNK_BYTES, begin first and end last', async () => {
    const envelopes = await copyToEnvelopes(await makeCopy(), { copyId: 'snap-1', baseSeq: 4, header });
    expect(envelopes[0]?.kind).toBe('copy-begin');
    expect(envelopes.at(-1)?.kind).toBe('copy-end');
    const chunks = envelopes.filter((envelope): envelope is CopyChunk => envelope.kind === 'copy-chunk');
    const begin = envelopes[0] as Extract<(typeof envelopes)[number], { kind: 'copy-begin' }>;
    expect(chunks.length).toBe(Math.ceil(begin.byteLength / COPY_CHUNK_BYTES));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(Buffer.from(chunk.data as string, 'base64').length).toBeLessThanOrEqual(COPY_CHUNK_BYTES);
    // Each chunk's envelope is one message on the link.
    for (const envelope of envelopes) expect(Buffer.byteLength(JSON.stringify(envelope), 'utf8')).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    expect(overTheWire(envelopes)).toHaveLength(envelopes.length);
  });

  it('reassembles from shuffled and duplicated chunks', async () => {
    const copy = await makeCopy();
    const { begin, rest } = split(overTheWire(await copyToEnvelopes(copy, { copyId: 'snap-1', baseSeq: 4, header })));
    const reassembler = new CopyReassembler(begin);
    expect(reassembler.baseSeq).toBe(4);
    expect(reassembler.meta).toEqual(copy.meta);
    for (const envelope of [...rest].reverse()) reassembler.receive(envelope);
    reassembler.receive(rest[0]!);
    expect(reassembler.isComplete).toBe(true);
    const assembled = await reassembler.assemble();
    expect(assembled.meta).toEqual(copy.meta);
    expect(assembled.files.manifest.files).toEqual(copy.files.manifest.files);
    expect(assembled.files.packed).toEqual(copy.files.packed);
  });

  it('says which chunks are missing and refuses to assemble without them', async () => {
    const { begin, rest } = split(await copyToEnvelopes(await makeCopy(), { copyId: 'snap-1', baseSeq: 0, header }));
    const reassembler = new CopyReassembler(begin);
    for (const envelope of rest.filter((envelope) => envelope.kind !== 'copy-chunk' || envelope.index !== 1)) reassembler.receive(envelope);
    expect(reassembler.isComplete).toBe(false);
    expect(reassembler.missing).toEqual([1]);
    await expect(reassembler.assemble()).rejects.toThrow('1 chunk(s) missing, first 1');
  });

  it('refuses a corrupt chunk at the digest check', async () => {
    const { begin, rest } = split(await copyToEnvelopes(await makeCopy(), { copyId: 'snap-1', baseSeq: 0, header }));
    const chunk = rest[1] as CopyChunk;
    const data = chunk.data as string;
    chunk.data = (data[0] === 'A' ? 'B' : 'A') + data.slice(1);
    const reassembler = new CopyReassembler(begin);
    for (const envelope of rest) reassembler.receive(envelope);
    await expect(reassembler.assemble()).rejects.toMatchObject({ code: 'corrupt', message: expect.stringContaining('digest') });
  });

  it('refuses forged chunks as they arrive', async () => {
    const { begin, rest } = split(await copyToEnvelopes(await makeCopy(), { copyId: 'snap-1', baseSeq: 0, header }));
    const chunk = rest[0] as CopyChunk;
    const reassembler = new CopyReassembler(begin);
    reassembler.receive(chunk);
    expect(() => reassembler.receive({ ...chunk, data: 'AAAA' })).toThrow('chunk 0 arrived twice with different bytes');
    expect(() => reassembler.receive({ ...chunk, index: 99 })).toThrow('chunk 99 is out of range');
    expect(() => reassembler.receive({ ...chunk, index: 1, data: 'not base64!' })).toThrow('chunk 1 is not base64');
    expect(() => reassembler.receive({ ...chunk, copyId: 'other' })).toThrow('belongs to copy other');
    const oversized = Buffer.alloc(COPY_CHUNK_BYTES + 3).toString('base64');
    expect(() => reassembler.receive({ ...chunk, index: 1, data: oversized })).toThrow(`more than ${COPY_CHUNK_BYTES}`);
  });

  it('refuses a beginning that cannot be right', async () => {
    const { begin } = split(await copyToEnvelopes(await makeCopy(), { copyId: 'snap-1', baseSeq: 0, header }));
    expect(() => new CopyReassembler({ ...begin, chunkCount: 1 })).toThrow('1 chunks cannot carry');
    expect(() => new CopyReassembler({ ...begin, meta: { wordpressVersion: '6.5.5' } })).toThrow(/description is malformed/);
  });

  it('refuses bytes whose description differs from the announced one', async () => {
    const copy = await makeCopy();
    const { begin, rest } = split(await copyToEnvelopes(copy, { copyId: 'snap-1', baseSeq: 0, header }));
    const reassembler = new CopyReassembler({ ...begin, meta: { ...copy.meta, siteUrl: 'https://playground.wordpress.net/scope:x' } });
    for (const envelope of rest) reassembler.receive(envelope);
    await expect(reassembler.assemble()).rejects.toThrow('differs from the announced one');
  });
});

describe('copy compatibility', () => {
  const facts: SiteFacts = {
    wordpressVersion: '6.5.5',
    wordpressDbVersion: 57155,
    phpVersion: '8.3.12',
    databaseDriver: 'WP_MySQL_On_SQLite',
    sqliteDriverVersion: '3.0.2',
    databasePath: '/wordpress/wp-content/database/.ht.sqlite',
    journalMode: 'delete',
    tablePrefix: 'wp_',
    engine: null,
  };

  it('accepts the same WordPress, PHP minor and driver', async () => {
    expect(refusalFor((await makeCopy(10)).meta, facts)).toBeNull();
  });

  it('refuses another driver with a readable reason, and takes another WordPress or PHP', async () => {
    const { meta } = await makeCopy(10);
    expect(refusalFor(meta, { ...facts, wordpressVersion: '6.7', wordpressDbVersion: 58975 })).toBeNull();
    expect(refusalFor(meta, { ...facts, phpVersion: '7.4.33' })).toBeNull();
    expect(refusalFor(meta, { ...facts, databaseDriver: 'WP_SQLite_Translator', sqliteDriverVersion: null })?.code).toBe('driver-mismatch');
    expect(refusalFor(meta, { ...facts, sqliteDriverVersion: '3.1.0' })?.code).toBe('driver-mismatch');
  });
});
