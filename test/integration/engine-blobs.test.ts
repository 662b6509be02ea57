import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES } from '../../src/files/blob-store';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import { expectConverged, failuresIn, inWordPress, reloadSide, startPair, stopPair, syncUntilQuiet, type EnginePair } from './engine-support';

/**
 * Big files as blobs (issue 11): a 30 MB upload reaches the other site byte for byte, pulled in
 * chunks that each fit one message, with the JavaScript memory of the transfer bounded by the
 * window of chunks in flight, not by the file.
 */

const MB = 1024 * 1024;
const SIZE = 30 * MB;
const MEMORY_BOUND = 64 * MB;

type Message = { kind: string; sha256?: string; offset?: number };

const uploadsPath = (name: string) => `${new Date().getUTCFullYear()}/${String(new Date().getUTCMonth() + 1).padStart(2, '0')}/${name}`;

const sha256Of = (pair: EnginePair, side: 'a' | 'b', path: string) =>
  inWordPress<string | null>(side === 'a' ? pair.a : pair.b, `$file = WP_CONTENT_DIR . '/uploads/' . ${JSON.stringify(path)}; $result = file_exists($file) ? hash_file('sha256', $file) : null;`);

/** Writes `size` random bytes as an upload on `side`, a megabyte at a time (the way a chunked upload lands). */
const upload = (pair: EnginePair, side: 'a' | 'b', name: string, size: number) =>
  inWordPress<string>(
    side === 'a' ? pair.a : pair.b,
    `$dir = wp_upload_dir()['path']; wp_mkdir_p($dir); $file = $dir . '/' . ${JSON.stringify(name)};
$handle = fopen($file, 'wb'); for ($i = 0; $i < ${size}; $i += 1048576) fwrite($handle, random_bytes(min(1048576, ${size} - $i))); fclose($handle);
$result = $file;`,
  );

const blobStoreFiles = (pair: EnginePair, side: 'a' | 'b') =>
  inWordPress<string[]>(
    side === 'a' ? pair.a : pair.b,
    `$dir = WP_CONTENT_DIR . '/upgrade/playground-sync/blobs'; $result = [];
if (is_dir($dir)) foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS)) as $file) $result[] = $file->getPathname();`,
  );

/** Bytes of the files a site holds where a transfer puts them (uploads, blob store). */
const siteFileBytes = (pair: EnginePair, side: 'a' | 'b') =>
  inWordPress<number>(
    side === 'a' ? pair.a : pair.b,
    `$result = 0; foreach ([WP_CONTENT_DIR . '/uploads', WP_CONTENT_DIR . '/upgrade/playground-sync'] as $root) {
  if (!is_dir($root)) continue;
  foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS)) as $file) if ($file->isFile()) $result += $file->getSize();
}`,
  );

// What the transfer keeps alive, not the garbage it leaves for the collector: measured after a full collection.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
/**
 * JS memory in use, less the sites' own files: in Node, PHP's in-memory filesystem keeps file
 * contents in ArrayBuffers of this process (in the browser they live in the site's worker). Its
 * slack stays in: a file written a megabyte or a chunk at a time holds ~10% more than its size,
 * and the transfer writes several 30 MB files (A's staged blob; B's part and the copy it places;
 * the echo of what B placed is only hashed where it lies), so 10-15 MB of what is measured is the
 * filesystem's, not the transfer's (the JS heap alone grows ~9 MB).
 */
const jsMemory = async (pair: EnginePair) => {
  const files = (await siteFileBytes(pair, 'a')) + (await siteFileBytes(pair, 'b'));
  // Buffers the collector found dead are freed a moment later: collect, let that happen, collect again.
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heapUsed, other: heapUsed + arrayBuffers - files };
};

describe('big files as blobs, WordPress nightly on the ast driver', () => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair({ driver: 'ast', wp: 'nightly' }, 'blobs', { faults: { duplicate: 0.2, reorder: 0.3, delay: 0.2 }, seed: 7 });
  });
  afterAll(() => stopPair(pair));

  it('a 30 MB upload arrives byte for byte in messages of at most 256 KiB, with bounded JS memory, and a post written meanwhile arrives too', async () => {
    await syncUntilQuiet(pair);
    const sizes: number[] = [];
    const messages: Message[] = [];
    // The link keeps every message it carried; read and let go of them as they come, so the log is not what is measured.
    const drainLog = () => {
      for (const { json } of pair.link.log.splice(0)) {
        sizes.push(Buffer.byteLength(json, 'utf8'));
        const { kind, sha256, offset } = JSON.parse(json) as Message;
        messages.push({ kind, sha256, offset });
      }
    };
    drainLog();
    const runsMark = pair.siteMessages.a.messages.length;

    await upload(pair, 'a', 'big-video.bin', SIZE);
    const uploaded = performance.now();
    // From the end of the upload request: the sites' own filesystem slack from writing it is not the transfer's.
    const start = await jsMemory(pair);
    const peak = { ...start };
    const sample = async () => {
      const now = await jsMemory(pair);
      peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
      peak.other = Math.max(peak.other, now.other);
    };
    await pair.peerA.flush();
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Blobs: during the transfer', 'post_status' => 'publish']);`);
    const path = uploadsPath('big-video.bin');
    let resent = false;
    for (let round = 0; pair.link.pending > 0; round++) {
      expect(round).toBeLessThan(5000);
      await pair.link.deliverSome('b', 4);
      await pair.link.deliverSome('a', 4);
      drainLog();
      if (round % 5 === 0) await sample();
      // A resend of the parked delta while its blob is on the way starts no second fetch.
      if (!resent && messages.some(({ kind }) => kind === 'blob-chunk')) {
        pair.peerA.resendPending();
        resent = true;
      }
    }
    const arrived = performance.now();
    await syncUntilQuiet(pair);
    drainLog();

    const onA = await sha256Of(pair, 'a', path);
    expect(onA).toMatch(/^[0-9a-f]{64}$/);
    expect(await sha256Of(pair, 'b', path)).toBe(onA);
    expect(await inWordPress(pair.b, `$result = get_page_by_path('blobs-during-the-transfer', OBJECT, 'post')?->post_title;`)).toBe('Blobs: during the transfer');
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect([pair.peerA.pendingCount, pair.peerB.pendingCount]).toEqual([0, 0]);

    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    expect(messages.filter(({ kind }) => kind === 'frame')).toEqual([]);
    const chunks = Math.ceil(SIZE / BLOB_CHUNK_BYTES);
    expect(messages.filter(({ kind }) => kind === 'blob-chunk').length).toBeGreaterThanOrEqual(chunks);
    const requests = messages.filter(({ kind }) => kind === 'blob-request');
    expect(requests.filter(({ offset }) => offset === 0)).toHaveLength(1);
    expect(new Set(requests.map(({ offset }) => offset)).size).toBe(chunks);
    expect(resent).toBe(true);
    // Written a megabyte at a time (30 write events before the recorder looked): read and staged once.
    expect(pair.siteMessages.a.messages.slice(runsMark).filter(([what]) => what === 'run request stage')).toHaveLength(1);

    const heapGrowth = peak.heapUsed - start.heapUsed;
    const growth = peak.other - start.other;
    console.log(
      `[blobs] 30 MB upload: on B ${((arrived - uploaded) / 1000).toFixed(1)} s after the upload (measuring included); ` +
        `JS heap peak +${(heapGrowth / MB).toFixed(1)} MB, heap and buffers less the sites' files +${(growth / MB).toFixed(1)} MB; ` +
        `${sizes.length} messages, largest ${Math.max(...sizes)} bytes`,
    );
    expect(heapGrowth).toBeLessThan(MEMORY_BOUND);
    expect(growth).toBeLessThan(MEMORY_BOUND);

    // Acknowledged on A, applied on B: neither store keeps the blob.
    expect(await blobStoreFiles(pair, 'a')).toEqual([]);
    expect(await blobStoreFiles(pair, 'b')).toEqual([]);
  });

  it('the chunks of a window are stored side by side, not each waiting for the one before', async () => {
    await syncUntilQuiet(pair);
    const name = 'side-by-side.bin';
    await upload(pair, 'a', name, 3 * MB);
    await pair.peerA.flush();
    // B takes the delta and asks for a window of chunks; A serves them.
    await pair.link.deliverAtOnce('b');
    await pair.link.deliverAtOnce('a');
    // The link may duplicate a message: a chunk is written once.
    const offsets = pair.link.queuedFor('b').map((json) => JSON.parse(json) as Message).filter((message) => message.kind === 'blob-chunk').map((message) => message.offset);
    const chunks = new Set(offsets).size;
    expect(chunks).toBeGreaterThan(2);

    // B's chunk writes wait until all of them are under way (or 5 s went by, when they come one at a time).
    const client = pair.b.client;
    const write = client.writeFile.bind(client);
    let writing = 0;
    let most = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const timeout = setTimeout(release, 5_000);
    client.writeFile = async (path, data) => {
      if (!path.includes('.pieces/')) return write(path, data);
      most = Math.max(most, ++writing);
      if (writing >= chunks) release();
      await released;
      writing -= 1;
      return write(path, data);
    };
    try {
      await pair.link.deliverAtOnce('b');
    } finally {
      clearTimeout(timeout);
      client.writeFile = write;
    }
    expect(most).toBe(chunks);

    await syncUntilQuiet(pair);
    const path = uploadsPath(name);
    expect(await sha256Of(pair, 'b', path)).toBe(await sha256Of(pair, 'a', path));
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('a big file overwritten with other big bytes arrives as the new version', async () => {
    const name = 'overwritten.bin';
    const path = uploadsPath(name);
    await upload(pair, 'a', name, 3 * MB);
    await syncUntilQuiet(pair);
    const first = await sha256Of(pair, 'a', path);
    expect(await sha256Of(pair, 'b', path)).toBe(first);

    await upload(pair, 'a', name, 2 * MB + 5);
    await syncUntilQuiet(pair);
    const second = await sha256Of(pair, 'a', path);
    expect(second).not.toBe(first);
    expect(await sha256Of(pair, 'b', path)).toBe(second);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('a sender that reloads in the middle of a transfer sends the file again, and the receiver resumes where its part ended', async () => {
    await syncUntilQuiet(pair);
    const mark = pair.link.log.length;
    const journalMark = pair.journal.length;
    const name = 'reloaded.bin';
    await upload(pair, 'a', name, 12 * MB);
    await pair.peerA.flush();
    const kinds = () => pair.link.log.slice(mark).map(({ json }) => JSON.parse(json) as Message & { payload?: { files: { sha256?: string; blob?: true }[] } });
    while (kinds().filter(({ kind }) => kind === 'blob-chunk').length < 30) {
      await pair.link.deliverSome('b', 4);
      await pair.link.deliverSome('a', 4);
    }
    const sha256 = kinds().flatMap(({ payload }) => payload?.files ?? []).find((change) => change.blob)!.sha256!;
    // What B stored from the start without a gap: its part and the chunks waiting beside it.
    const part = await inWordPress<number>(
      pair.b,
      `$incoming = WP_CONTENT_DIR . '/upgrade/playground-sync/blobs/incoming/${sha256}';
$result = is_file("$incoming.part") ? filesize("$incoming.part") : 0;
$offsets = array_map(function ($file) { return (int) basename($file); }, (array) glob("$incoming.pieces/*"));
sort($offsets);
foreach ($offsets as $offset) { if ($offset > $result) break; $result = max($result, $offset + filesize("$incoming.pieces/$offset")); }`,
    );
    expect(part).toBeGreaterThan(0);

    const reloadMark = pair.link.log.length;
    await reloadSide(pair, 'a');
    await syncUntilQuiet(pair);

    const path = uploadsPath(name);
    const onA = await sha256Of(pair, 'a', path);
    expect(onA).toBe(sha256);
    expect(await sha256Of(pair, 'b', path)).toBe(onA);
    const askedAfter = pair.link.log
      .slice(reloadMark)
      .map(({ json }) => JSON.parse(json) as Message)
      .filter(({ kind }) => kind === 'blob-request');
    expect(askedAfter.length).toBeGreaterThan(0);
    expect(askedAfter.filter(({ offset }) => offset! < part)).toEqual([]);
    await expectConverged(pair);
    expect(failuresIn(pair.journal.slice(journalMark))).toEqual([]);
  });
});
