import { expect, test } from 'vitest';
import { MAX_WIRE_MESSAGE_BYTES } from '../src/sync/framing';
import { inWordPress, syncUntilQuiet } from '../test/integration/engine-support';
import { SETUP, expectReplicated, lastJournalTime, startTimedPair, stopPair, type TimedPair } from './pair';
import type { SyncPeer } from '../src/engine/sync-peer';
import type { TestLink } from '../test/harness/test-link';
import { bigSiteSize, bootBigSiteAndFreshSite, copyAOntoB } from '../test/integration/big-site';
import { recordSection } from './record';

/**
 * Changes of any size (issue 11): a 20,000-post import written by one request, and a 50 MB
 * upload, from the end of the request on A to applied on B, and the full copy of a 100 MB site
 * (test/integration/big-site.ts) onto a fresh one, each with the memory the two peers added
 * while it crossed. Memory is the JS heap plus ArrayBuffers (file bytes live there; PHP's own
 * WebAssembly memory does not), sampled every 10 ms and around every message either peer takes,
 * less the harness's log of the messages sent (a tab keeps none). Both peers run in this one
 * process, so the figure is for both tabs together.
 */

const IMPORT_POSTS = 20_000;
const UPLOAD_MB = 50;
const TARGET_UPLOAD_MS = 5000;
const TARGET_ADDED_MB = 64;
const TARGET_COPY_MS = 10_000;

const importPosts = `global $wpdb;
$term = wp_insert_term('Bench import', 'category');
$columns = 'post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name, post_type, to_ping, pinged, post_content_filtered, post_modified, post_modified_gmt, guid';
for ($first = 0; $first < ${IMPORT_POSTS}; $first += 500) {
  $values = [];
  for ($n = $first; $n < $first + 500; $n++) {
    $values[] = $wpdb->prepare("(1, '2024-01-01 00:00:00', '2024-01-01 00:00:00', %s, %s, '', 'publish', %s, 'bench_item', '', '', '', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '')", "Imported post $n: " . str_repeat('lorem ipsum ', 40), "Imported $n", "bench-imported-$n");
  }
  $wpdb->query("INSERT INTO $wpdb->posts ($columns) VALUES " . implode(',', $values));
}
$wpdb->query("INSERT INTO $wpdb->postmeta (post_id, meta_key, meta_value) SELECT ID, '_import_source', 'feed' FROM $wpdb->posts WHERE post_type = 'bench_item'");
$wpdb->query("INSERT INTO $wpdb->postmeta (post_id, meta_key, meta_value) SELECT ID, '_import_rank', post_name FROM $wpdb->posts WHERE post_type = 'bench_item'");
$wpdb->query($wpdb->prepare("INSERT INTO $wpdb->term_relationships (object_id, term_taxonomy_id) SELECT ID, %d FROM $wpdb->posts WHERE post_type = 'bench_item'", $term['term_taxonomy_id']));
$result = microtime(true) * 1000;`;

const uploadFile = `$upload = wp_upload_bits('bench-${UPLOAD_MB}mb.zip', null, random_bytes(${UPLOAD_MB} * 1024 * 1024));
if (!empty($upload['error'])) throw new Exception($upload['error']);
$result = microtime(true) * 1000;`;

/** Peak of (heap + ArrayBuffers − the link log's growth) above where it stood when started. */
function memoryWatch({ link, peers }: { link: TestLink; peers: SyncPeer[] }): { sample(): void; stop(): number } {
  let logged = 0;
  let counted = link.log.length;
  const level = () => {
    for (; counted < link.log.length; counted++) logged += link.log[counted]!.json.length;
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers - logged;
  };
  const baseline = level();
  let peak = baseline;
  const sample = () => {
    peak = Math.max(peak, level());
  };
  const timer = setInterval(sample, 10);
  const receives = peers.map((peer) => {
    const receive = peer.receive.bind(peer);
    peer.receive = async (message) => {
      sample();
      await receive(message);
      sample();
    };
    return () => (peer.receive = receive);
  });
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      for (const restore of receives) restore();
      return (peak - baseline) / (1024 * 1024);
    },
  };
}

async function measure(pair: TimedPair, php: string): Promise<{ endToEndMs: number; addedMb: number; largestMessage: number }> {
  const marks = { log: pair.link.log.length, journal: pair.journal.length };
  const endedAt = await inWordPress<number>(pair.a, php);
  const watch = memoryWatch({ link: pair.link, peers: [pair.peerA, pair.peerB] });
  await syncUntilQuiet(pair);
  const addedMb = watch.stop();
  const largestMessage = Math.max(...pair.link.log.slice(marks.log).map(({ json }) => Buffer.byteLength(json)));
  return { endToEndMs: lastJournalTime(pair, marks.journal, 'b', 'received') - endedAt, addedMb, largestMessage };
}

test('an import of 20,000 posts and a 50 MB upload, end to end, with the memory added', async () => {
  const pair = await startTimedPair('size');
  try {
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Warm-up', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);

    const imported = await measure(pair, importPosts);
    expect(await inWordPress(pair.b, `global $wpdb; $result = (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_type = 'bench_item'");`)).toBe(IMPORT_POSTS);
    const uploaded = await measure(pair, uploadFile);
    await expectReplicated(pair);
    for (const run of [imported, uploaded]) expect(run.largestMessage).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);

    const memory = (name: string, addedMb: number) => ({
      name,
      value: addedMb,
      unit: 'MB',
      target: `≤ ${TARGET_ADDED_MB} MB per tab`,
      met: addedMb <= TARGET_ADDED_MB,
      notes: 'both tabs together, JS heap + ArrayBuffers, sampled',
    });
    recordSection('25-engine-size', `Sync engine: changes of any size (${SETUP}, one sample each)`, [
      {
        name: `${IMPORT_POSTS.toLocaleString('en')}-post import (4 rows a post) in one request, end to end`,
        value: imported.endToEndMs,
        unit: 'ms',
        notes: "from the end of A's request to the last batch applied on B",
      },
      memory('… memory the peers added meanwhile', imported.addedMb),
      {
        name: `${UPLOAD_MB} MB upload, end to end`,
        value: uploaded.endToEndMs,
        unit: 'ms',
        target: `≤ ${TARGET_UPLOAD_MS} ms`,
        met: uploaded.endToEndMs <= TARGET_UPLOAD_MS,
        notes: "from the end of A's request to written on B",
      },
      memory('… memory the peers added meanwhile', uploaded.addedMb),
      { name: 'largest message on the link, either run', value: Math.max(imported.largestMessage, uploaded.largestMessage) / 1024, unit: 'KiB', target: '≤ 256 KiB', met: true },
    ]);
  } finally {
    await stopPair(pair);
  }
});

test('full copy of a 100 MB site with tens of thousands of rows, with the memory added', async () => {
  const { a, b } = await bootBigSiteAndFreshSite('bench-copy-big');
  let watch: ReturnType<typeof memoryWatch> | undefined;
  let started = 0;
  const run = await copyAOntoB(a, b, (peerA, link) => {
    watch = memoryWatch({ link, peers: [peerA] });
    started = performance.now();
  });
  const copyMs = performance.now() - started;
  const addedMb = watch!.stop();
  try {
    expect(run.copies).toEqual([undefined]);
    const size = await bigSiteSize(b);
    expect(size).toEqual(await bigSiteSize(a));
    const largest = Math.max(...run.link.log.map(({ json }) => Buffer.byteLength(json)));
    expect(largest).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    const site = `${(size.uploadBytes / 2 ** 20).toFixed(0)} MB in ${size.uploads.toLocaleString('en')} uploads, ${size.posts.toLocaleString('en')} posts with a meta row each`;
    recordSection('26-engine-copy-size', `Sync engine: full copy of a big site onto a fresh one (${SETUP}, one sample)`, [
      {
        name: 'full copy, from B asking to B installed and live',
        value: copyMs,
        unit: 'ms',
        target: `≤ ${TARGET_COPY_MS.toLocaleString('en')} ms`,
        met: copyMs <= TARGET_COPY_MS,
        notes: site,
      },
      {
        name: '… memory the peers added meanwhile',
        value: addedMb,
        unit: 'MB',
        target: `≤ ${TARGET_ADDED_MB} MB per tab`,
        met: addedMb <= TARGET_ADDED_MB,
        notes: "both tabs together, JS heap + ArrayBuffers, sampled every 10 ms and around A's receives",
      },
      { name: 'largest message on the link', value: largest / 1024, unit: 'KiB', target: '≤ 256 KiB', met: true },
    ]);
  } finally {
    await run.peerA.stop();
    await run.peerB.stop();
    await a.dispose();
    await b.dispose();
  }
});
