import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncPeer } from '../../src/engine/sync-peer';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import type { NodeSite } from '../harness';
import type { TestLink } from '../harness/test-link';
import { bigSiteSize, bootBigSiteAndFreshSite, copyAOntoB, POSTS, UPLOADS, type CopyRun } from './big-site';
import { expectConverged, failuresIn, inWordPress, syncUntilQuiet } from './engine-support';

/**
 * A big site pairs by full copy (issue 11): 100 MB+ of uploads in thousands of files and tens of
 * thousands of rows on A, a fresh B asks for everything, installs it, and both go on live.
 */

const MB = 1024 * 1024;
/** What a copy may keep alive in the JS heap, both peers together, whatever the site's size (issue 11). */
const HEAP_BOUND = 64 * MB;

// What the copy keeps alive, not the garbage it leaves for the collector: measured after a full collection.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/**
 * The JS heap's peak above where it stood before the copy, sampled after a full collection on
 * every 50th message either peer takes (chunk requests and chunks, mostly) and at the end. The
 * link's queue counts too: what is on its way was made by a peer. The heap only: in Node,
 * PHP's in-memory filesystem keeps file bytes in ArrayBuffers of this process (in the browser
 * they live in the site's worker), and the copy writes the site's files and its blobs there.
 * The link's log of messages is read and let go of as it grows (a tab keeps none).
 */
function heapWatch(link: TestLink) {
  let largestMessage = 0;
  let messages = 0;
  const drainLog = () => {
    for (const { json } of link.log.splice(0)) {
      largestMessage = Math.max(largestMessage, Buffer.byteLength(json, 'utf8'));
      messages++;
    }
  };
  const liveHeap = () => {
    drainLog();
    collectGarbage();
    collectGarbage();
    return process.memoryUsage().heapUsed;
  };
  const baseline = liveHeap();
  let peak = baseline;
  let received = 0;
  const restore: (() => void)[] = [];
  return {
    watch(peer: SyncPeer) {
      const receive = peer.receive.bind(peer);
      peer.receive = async (message) => {
        await receive(message);
        if (++received % 50 === 0) peak = Math.max(peak, liveHeap());
      };
      restore.push(() => (peer.receive = receive));
    },
    stop() {
      peak = Math.max(peak, liveHeap());
      for (const undo of restore) undo();
      return { heapGrowth: peak - baseline, largestMessage, messages };
    },
  };
}

describe('a 100 MB site with tens of thousands of rows pairs by full copy (WordPress nightly, AST driver)', () => {
  let a: NodeSite;
  let b: NodeSite;
  let run: CopyRun;
  let measured: { heapGrowth: number; largestMessage: number; messages: number; copyMs: number };

  beforeAll(async () => {
    ({ a, b } = await bootBigSiteAndFreshSite('copy-big'));
    let watch: ReturnType<typeof heapWatch> | undefined;
    let started = 0;
    run = await copyAOntoB(
      a,
      b,
      (peerA, link) => {
        watch = heapWatch(link);
        watch.watch(peerA);
        started = performance.now();
      },
      (peerB) => watch!.watch(peerB),
    );
    measured = { ...watch!.stop(), copyMs: performance.now() - started };
  }, 600_000);
  afterAll(async () => {
    await run?.peerA.stop();
    await run?.peerB.stop();
    await a?.dispose();
    await b?.dispose();
  });

  it('copies every upload and row onto B in messages of at most 256 KiB', async () => {
    expect(run.copies).toEqual([undefined]);
    expect(failuresIn(run.journal)).toEqual([]);
    const onA = await bigSiteSize(a);
    expect(onA.uploads).toBe(UPLOADS);
    expect(onA.uploadBytes).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    expect(onA.posts).toBe(POSTS);
    expect(await bigSiteSize(b)).toEqual(onA);
    expect(measured.largestMessage).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    await expectConverged({ a, b });
  });

  it('keeps the JS heap bounded while the copy crosses: its bytes stream through the blob stores', () => {
    console.log(
      `[copy big] ${(measured.copyMs / 1000).toFixed(1)} s (sampling included), JS heap peak +${(measured.heapGrowth / MB).toFixed(1)} MB ` +
        `(both peers), ${measured.messages} messages, largest ${measured.largestMessage} bytes`,
    );
    expect(measured.heapGrowth).toBeLessThan(HEAP_BOUND);
  });

  it('leaves no blob of the copy in either store', async () => {
    for (const site of [a, b]) {
      expect(
        await inWordPress<string[]>(site, `$dir = WP_CONTENT_DIR . '/upgrade/playground-sync/blobs'; $result = [];
if (is_dir($dir)) foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS)) as $file) $result[] = $file->getPathname();`),
      ).toEqual([]);
    }
  });

  it('goes on live both ways after the copy', async () => {
    await inWordPress(a, `wp_insert_post(['post_title' => 'Copy big: from A', 'post_status' => 'publish']);`);
    await inWordPress(b, `wp_insert_post(['post_title' => 'Copy big: from B', 'post_status' => 'publish']);`);
    await syncUntilQuiet(run);
    for (const site of [a, b]) {
      expect(await inWordPress<string[]>(site, `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_title LIKE 'Copy big: %' ORDER BY post_title");`)).toEqual([
        'Copy big: from A',
        'Copy big: from B',
      ]);
    }
    expect(failuresIn(run.journal)).toEqual([]);
  });
});
