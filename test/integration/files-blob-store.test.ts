import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES, BLOB_CHUNKS_PER_RUN, BlobStore, INLINE_FILE_MAX_BYTES } from '../../src/files/blob-store';
import { SizeAwareReader } from '../../src/files/file-content-reader';
import { applyFileChangesAtomically } from '../../src/files/file-transaction';
import { SITE_MESSAGE_MAX_BYTES } from '../../src/platform/bounded-run';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import { bootNodeSite, type NodeSite } from '../harness';
import { measureSiteMessages, type SiteMessageLog } from '../site-messages';

/**
 * The blob store on a real site: a big file goes from one site's store to the other's a chunk at
 * a time, and no PHP run carries more than one chunk either way.
 */

const ROOT = '/wordpress';
const BIG = 20 * 1024 * 1024 + 12_345;
let a: NodeSite;
let b: NodeSite;
let storeA: BlobStore;
let storeB: BlobStore;
const logs: SiteMessageLog[] = [];

async function php(site: NodeSite, code: string): Promise<string> {
  const response = await site.client.run({ code: `<?php ${code}` });
  expect(response.errors).toBe('');
  return response.text;
}

const sha256On = (site: NodeSite, path: string) => php(site, `echo hash_file('sha256', ${JSON.stringify(path)});`);

/** Pulls `sha256` from A's store into B's up to `size`, from where B's part ends. */
async function copyAcross(sha256: string, size: number) {
  for (let offset = await storeB.partSize(sha256); offset < size; offset += BLOB_CHUNK_BYTES) {
    const bytes = await storeA.readChunk(sha256, offset, Math.min(BLOB_CHUNK_BYTES, size - offset));
    await storeB.writeChunk(sha256, offset, bytes);
  }
}

beforeAll(async () => {
  a = await bootNodeSite({ wp: 'nightly', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:blobs-a/' });
  b = await bootNodeSite({ wp: 'nightly', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:blobs-b/' });
  const measuredA = measureSiteMessages(a.client);
  const measuredB = measureSiteMessages(b.client);
  logs.push(measuredA.log, measuredB.log);
  storeA = BlobStore.forSite(measuredA.client, ROOT);
  storeB = BlobStore.forSite(measuredB.client, ROOT);
});

afterAll(async () => {
  await a?.[Symbol.asyncDispose]();
  await b?.[Symbol.asyncDispose]();
});

describe('the blob store', () => {
  it('tells sizes, missing paths and directories apart in one run', async () => {
    await php(a, `file_put_contents('${ROOT}/small.txt', 'hello');`);
    expect(await storeA.statFiles([`${ROOT}/small.txt`, `${ROOT}/nothing-here`, `${ROOT}/wp-content`])).toEqual([5, 'absent', 'directory']);
    expect(INLINE_FILE_MAX_BYTES).toBe(192 * 1024);
  });

  it('moves a 20 MB file from one site to the other a chunk at a time, byte for byte', async () => {
    const source = `${ROOT}/wp-content/uploads/big.bin`;
    await php(a, `@mkdir(dirname('${source}'), 0777, true); $f = fopen('${source}', 'wb');
for ($i = 0; $i < ${BIG}; $i += 1048576) fwrite($f, random_bytes(min(1048576, ${BIG} - $i))); fclose($f);`);
    const expected = await sha256On(a, source);
    const staged = await storeA.stage(source);
    expect(staged).toEqual({ sha256: expected, size: BIG });
    expect(await storeA.stage(source)).toEqual(staged); // staged again: the same blob
    expect(await storeA.has(staged.sha256)).toBe(true);

    expect(await storeB.has(staged.sha256)).toBe(false);
    // Half of it, then a resume from where the part ended.
    await copyAcross(staged.sha256, Math.floor(BIG / 2));
    expect(await storeB.partSize(staged.sha256)).toBe(Math.floor(BIG / 2));
    await copyAcross(staged.sha256, BIG);
    expect(await storeB.finish(staged.sha256)).toEqual({ ok: true });
    expect(await storeB.has(staged.sha256)).toBe(true);

    const target = `${ROOT}/wp-content/uploads/2026/12/big-copy.bin`;
    await storeB.place(staged.sha256, target);
    expect(await sha256On(b, target)).toBe(expected);

    await storeA.remove(staged.sha256);
    expect(await storeA.has(staged.sha256)).toBe(false);
    expect(logs.flatMap((log) => log.over(MAX_WIRE_MESSAGE_BYTES))).toEqual([]);
  });

  it(`serves with one PHP run per ${BLOB_CHUNKS_PER_RUN} chunks and receives with none but the finish; every chunk is a plain file call`, async () => {
    const source = `${ROOT}/wp-content/uploads/runs.bin`;
    const size = 3 * 1048576 + 5;
    await php(a, `file_put_contents('${source}', random_bytes(${size}));`);
    const staged = await storeA.stage(source);
    const chunks = Math.ceil(size / BLOB_CHUNK_BYTES);
    const runsBefore = logs.map((log) => log.messages.filter(([what]) => what.startsWith('run request')).length);
    await copyAcross(staged.sha256, size);
    expect(await storeB.finish(staged.sha256)).toEqual({ ok: true });
    const runs = logs.map((log, side) => log.messages.filter(([what]) => what.startsWith('run request')).length - runsBefore[side]!);
    // Serving: the cuts. Receiving: where the part ends, then the finish that joins and checks.
    expect(runs[0]).toBe(Math.ceil(chunks / BLOB_CHUNKS_PER_RUN));
    expect(runs[1]).toBe(2);
    expect(await storeB.has(staged.sha256)).toBe(true);
    await storeA.remove(staged.sha256);
    expect(await php(a, `echo count(glob('${ROOT}/wp-content/upgrade/playground-sync/blobs/cut/*/*'));`)).toBe('0');
    await storeB.remove(staged.sha256);
    expect(await php(b, `echo json_encode(glob('${ROOT}/wp-content/upgrade/playground-sync/blobs/incoming/*'));`)).toBe('[]');
  });

  it('a cut removes the chunk files of the batch before the last, read long ago: a big blob never lies cut whole', async () => {
    const source = `${ROOT}/wp-content/uploads/cut-batches.bin`;
    const batch = BLOB_CHUNKS_PER_RUN * BLOB_CHUNK_BYTES;
    const size = 3 * batch + 7;
    await php(a, `file_put_contents('${source}', random_bytes(${size}));`);
    const staged = await storeA.stage(source);
    const cutFiles = async () => Number(await php(a, `echo count(glob('${ROOT}/wp-content/upgrade/playground-sync/blobs/cut/${staged.sha256}/*'));`));
    const original = await php(a, `echo bin2hex(file_get_contents('${source}'));`);
    for (let offset = 0; offset < size; offset += BLOB_CHUNK_BYTES) {
      const bytes = await storeA.readChunk(staged.sha256, offset, Math.min(BLOB_CHUNK_BYTES, size - offset));
      expect(Buffer.from(bytes).toString('hex')).toBe(original.slice(offset * 2, (offset + bytes.byteLength) * 2));
      expect(await cutFiles()).toBeLessThanOrEqual(2 * BLOB_CHUNKS_PER_RUN);
    }
    // Each cut left the batch before it: at the end, the last two batches' files (the last one short).
    expect(await cutFiles()).toBe(BLOB_CHUNKS_PER_RUN + 1);
    await storeA.remove(staged.sha256);
    expect(await cutFiles()).toBe(0);
  });

  it('tells whether a big file still holds what a blob holds by comparing the two, and hashes it when it does not', async () => {
    const source = `${ROOT}/wp-content/uploads/compared.bin`;
    const size = 3 * 1048576 + 11;
    await php(a, `file_put_contents('${source}', random_bytes(${size}));`);
    const staged = await storeA.stage(source);
    const [same] = await storeA.statAndHash([{ path: source, hashIfSize: size, likelySha256: staged.sha256 }]);
    expect(same).toEqual({ size, sha256: staged.sha256 });

    // One byte changed, the size kept: not the blob's bytes, so hashed.
    await php(a, `$h = fopen('${source}', 'r+b'); fseek($h, 2000000); fwrite($h, chr(ord(file_get_contents('${source}', false, null, 2000000, 1)) ^ 1)); fclose($h);`);
    const [changed] = await storeA.statAndHash([{ path: source, hashIfSize: size, likelySha256: staged.sha256 }]);
    expect(changed).toEqual({ size, sha256: await sha256On(a, source) });
    expect(await sha256On(a, source)).not.toBe(staged.sha256);

    // The comparison is what answered: a blob whose bytes are the file's is trusted to be named by them.
    const blobFile = `${ROOT}/wp-content/upgrade/playground-sync/blobs/${staged.sha256}`;
    await php(a, `copy('${source}', '${blobFile}');`);
    const [trusted] = await storeA.statAndHash([{ path: source, hashIfSize: size, likelySha256: staged.sha256 }]);
    expect(trusted).toEqual({ size, sha256: staged.sha256 });
    // A name that is no sha256 is never a path.
    const [refused] = await storeA.statAndHash([{ path: source, hashIfSize: size, likelySha256: '../../../wp-config.php' }]);
    expect(refused).toEqual({ size, sha256: await sha256On(a, source) });
    await storeA.remove(staged.sha256);
  });

  it('takes chunks in any order, joins only what follows without a gap, and a repeated or overlapping chunk adds only what is new', async () => {
    const bytes = new TextEncoder().encode('0123456789');
    const name = 'a'.repeat(64);
    await storeB.remove(name);
    await storeB.writeChunk(name, 6, bytes.subarray(6));
    await storeB.writeChunk(name, 0, bytes.subarray(0, 4));
    expect(await storeB.partSize(name)).toBe(4);
    await storeB.writeChunk(name, 0, bytes.subarray(0, 4));
    await storeB.writeChunk(name, 2, bytes.subarray(2, 7));
    expect(await storeB.partSize(name)).toBe(10);
    expect(await php(b, `echo file_get_contents('${ROOT}/wp-content/upgrade/playground-sync/blobs/incoming/${name}.part');`)).toBe('0123456789');
  });

  it('writes a chunk whose folder another page\'s store removed meanwhile', async () => {
    const name = 'd'.repeat(64);
    await storeB.remove(name);
    await storeB.writeChunk(name, 0, new TextEncoder().encode('0123'));
    await BlobStore.forSite(b.client, ROOT).remove(name);
    await storeB.writeChunk(name, 0, new TextEncoder().encode('4567'));
    expect(await storeB.partSize(name)).toBe(4);
    expect(await php(b, `echo file_get_contents('${ROOT}/wp-content/upgrade/playground-sync/blobs/incoming/${name}.part');`)).toBe('4567');
    await storeB.remove(name);
  });

  it('reports bytes that do not match their name, and keeps nothing of them', async () => {
    const name = 'b'.repeat(64);
    await storeB.remove(name);
    await storeB.writeChunk(name, 0, new TextEncoder().encode('not what the name says'));
    const result = await storeB.finish(name);
    expect(result.ok).toBe(false);
    expect(await storeB.has(name)).toBe(false);
    expect(await storeB.partSize(name)).toBe(0);
    await expect(storeB.place(name, `${ROOT}/wp-content/uploads/never.bin`)).rejects.toThrow(/missing/);
    expect(await php(b, `echo file_exists('${ROOT}/wp-content/uploads/never.bin') ? 'yes' : 'no';`)).toBe('no');
  });

  it('refuses names that are not a sha256 before running any PHP', async () => {
    const calls = logs.map((log) => log.messages.length);
    for (const bad of ['', '../../wp-config.php', 'A'.repeat(64), `${'a'.repeat(63)}'`, `${'a'.repeat(64)}/x`]) {
      await expect(storeB.has(bad)).rejects.toThrow(/sha256/);
      await expect(storeB.readChunk(bad, 0, 1)).rejects.toThrow(/sha256/);
      await expect(storeB.writeChunk(bad, 0, new Uint8Array(1))).rejects.toThrow(/sha256/);
      await expect(storeB.place(bad, `${ROOT}/x`)).rejects.toThrow(/sha256/);
    }
    expect(logs.map((log) => log.messages.length)).toEqual(calls);
    await expect(storeA.readChunk('c'.repeat(64), 0, BLOB_CHUNK_BYTES + 1)).rejects.toThrow(/at most/);
    await expect(storeA.readChunk('c'.repeat(64), 0, 10)).rejects.toThrow(/missing/);
  });

  it('reads a chunk through PHP itself when its cut-ahead file cannot be read, byte for byte', async () => {
    await php(a, `file_put_contents('${ROOT}/slow.bin', random_bytes(${BLOB_CHUNK_BYTES + 1000}));`);
    const staged = await storeA.stage(`${ROOT}/slow.bin`);
    const { client, log } = measureSiteMessages(a.client);
    // Chunks cut ahead are gone (a rotation, another page's clean-up): each is read by a PHP run of its own.
    const cutsGone = { ...client, readFileAsBuffer: (path: string) => (path.includes('/cut/') ? Promise.reject(new Error('gone')) : client.readFileAsBuffer(path)) };
    const slowStore = BlobStore.forSite(cutsGone, ROOT);
    const first = await slowStore.readChunk(staged.sha256, 0, BLOB_CHUNK_BYTES);
    const last = await slowStore.readChunk(staged.sha256, BLOB_CHUNK_BYTES, 1000);
    expect([first.byteLength, last.byteLength]).toEqual([BLOB_CHUNK_BYTES, 1000]);
    const joined = new Uint8Array(BLOB_CHUNK_BYTES + 1000);
    joined.set(first);
    joined.set(last, BLOB_CHUNK_BYTES);
    expect(Buffer.from(await crypto.subtle.digest('SHA-256', joined)).toString('hex')).toBe(staged.sha256);
    expect(log.messages.filter(([what]) => what === 'run request read')).toHaveLength(2);
    expect(log.over(SITE_MESSAGE_MAX_BYTES)).toEqual([]);
  });

  it('an apply that fails puts a big file it overwrote back, from a copy made inside PHP', async () => {
    const path = 'wp-content/uploads/overwritten.bin';
    await php(b, `file_put_contents('${ROOT}/${path}', random_bytes(3 * 1048576)); file_put_contents('${ROOT}/newer.bin', random_bytes(2 * 1048576 + 1));`);
    const before = await sha256On(b, `${ROOT}/${path}`);
    const newer = await storeB.stage(`${ROOT}/newer.bin`);
    const { client, log } = measureSiteMessages(b.client);
    const transaction = await applyFileChangesAtomically(
      client,
      [
        { op: 'write', path, size: newer.size, sha256: newer.sha256, blob: true },
        { op: 'delete', path: 'wp-content', nodeType: 'file' },
      ],
      { root: ROOT, blobs: storeB },
    );
    expect(transaction.report.applied).toBe(1);
    expect(transaction.report.failures[0]?.reason).toMatch(/expected a file, found a directory/);
    expect(await sha256On(b, `${ROOT}/${path}`)).toBe(newer.sha256);
    expect(await transaction.rollback()).toEqual([]);
    expect(await sha256On(b, `${ROOT}/${path}`)).toBe(before);
    expect(log.messages.filter(([what, size]) => what.startsWith('readFileAsBuffer') && size > INLINE_FILE_MAX_BYTES)).toEqual([]);
    expect(await php(b, `echo json_encode(glob('${ROOT}/wp-content/upgrade/playground-sync/undo-*'));`)).toBe('[]');
    expect(log.over(MAX_WIRE_MESSAGE_BYTES)).toEqual([]);
  });

  it('tells the echo of a big file the engine wrote by hashing it where it lies (nothing staged, nothing read), and reads only files that fit one bridge message', async () => {
    const path = `${ROOT}/wp-content/uploads/echo.bin`;
    await php(a, `$f = fopen('${path}', 'wb'); for ($i = 0; $i < 3; $i++) fwrite($f, random_bytes(1048576)); fclose($f);`);
    const applied = { size: 3 * 1048576, sha256: await sha256On(a, path) };
    const reads: number[] = [];
    const client = {
      readFileAsBuffer: async (absolute: string) => {
        const bytes = await a.client.readFileAsBuffer(absolute);
        reads.push(bytes.byteLength);
        return bytes;
      },
    };
    const staged = () => php(a, `$d = '${ROOT}/wp-content/upgrade/playground-sync/blobs'; echo count(array_filter(array_merge(glob("$d/*") ?: [], glob("$d/tmp/*") ?: []), 'is_file'));`);
    await storeA.clear();
    const reader = new SizeAwareReader(client, storeA);

    expect(await reader.read(path, applied)).toEqual({ ...applied, unread: true });
    expect(await staged()).toBe('0');

    // Not what was applied (a local write came after it): read as any big file, i.e. staged.
    expect(await reader.read(path, { size: applied.size, sha256: '0'.repeat(64) })).toEqual({ ...applied, blob: true });
    expect(await reader.read(path, { size: 5, sha256: applied.sha256 })).toEqual({ ...applied, blob: true });
    expect(reads).toEqual([]);

    // A file too big to cross the page bridge in one message is staged, never read whole.
    const middling = `${ROOT}/wp-content/uploads/photo.jpg`;
    await php(a, `file_put_contents('${middling}', random_bytes(500 * 1024));`);
    expect(await reader.read(middling)).toMatchObject({ size: 500 * 1024, blob: true });
    await php(a, `file_put_contents('${middling}', random_bytes(100 * 1024));`);
    expect(await reader.read(middling)).toMatchObject({ size: 100 * 1024, bytes: expect.any(Uint8Array) });
    expect(reads).toEqual([100 * 1024]);
    await storeA.clear();
  });

  it('unpacks thousands of files from one pack in runs whose requests each fit one message', async () => {
    const count = 3000;
    const dir = `${ROOT}/wp-content/uploads/unpacked-with-a-rather-long-folder-name-so-that-the-list-of-entries-grows`;
    const pack = `${ROOT}/pack.bin`;
    await php(a, `$f = fopen('${pack}', 'wb'); for ($i = 0; $i < ${count}; $i++) fwrite($f, sprintf('file %05d', $i)); fclose($f);`);
    const staged = await storeA.stage(pack);
    const { createHash } = await import('node:crypto');
    const entries = Array.from({ length: count }, (_, i) => {
      const text = `file ${String(i).padStart(5, '0')}`;
      return { offset: i * 10, size: 10, sha256: createHash('sha256').update(text).digest('hex'), target: `${dir}/${String(i).padStart(5, '0')}.txt` };
    });
    for (const log of logs) log.messages.length = 0;
    expect(JSON.stringify(entries).length).toBeGreaterThan(MAX_WIRE_MESSAGE_BYTES);
    expect(await storeA.unpack(staged.sha256, entries)).toEqual(entries.map(() => null));
    expect(logs.flatMap((log) => log.over(MAX_WIRE_MESSAGE_BYTES))).toEqual([]);
    expect(await php(a, `echo count(glob('${dir}/*.txt')) . ' ' . file_get_contents('${dir}/02999.txt');`)).toBe(`${count} file 02999`);
    await storeA.clear();
  });

  it('clears everything it holds', async () => {
    await php(a, `file_put_contents('${ROOT}/small.txt', 'hello again');`);
    const staged = await storeA.stage(`${ROOT}/small.txt`);
    await storeA.clear();
    expect(await storeA.has(staged.sha256)).toBe(false);
  });
});
