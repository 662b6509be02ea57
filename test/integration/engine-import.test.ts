import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCHES_IN_FLIGHT } from '../../src/engine/sync-peer';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import { importPostsPhp } from './import-posts';
import { expectConverged, failuresIn, inWordPress, RAW_PDO_PHP, startPair, stopPair, syncUntilQuiet, type Combination, type EnginePair } from './engine-support';

/**
 * One request that writes tens of thousands of rows (an import): the drain stores it as several
 * outbox batches of bounded size, so PHP stays within Playground's 256 MB memory limit (one batch
 * of everything ran out of memory at the end of the request, and again at the end of every later
 * request, so nothing of that site synced any more), and each batch crosses the link in messages
 * of at most 256 KiB. The extension takes only a window of those batches at a time (its memory
 * stays bounded); the rest waits in the site's outbox until acknowledgements come.
 */

interface ImportCase extends Combination {
  readonly posts: number;
}

// The importing request itself takes most of the time (about 2 ms a post on the AST driver, 8 on
// the legacy one): the current platform here; `db-sync.test.ts` splits a big request on every
// driver and version.
const CASES: readonly ImportCase[] = [{ driver: 'ast', wp: 'nightly', posts: 20_000 }];

const importedCounts = (pair: EnginePair, side: 'a' | 'b') =>
  inWordPress<number[]>(
    side === 'a' ? pair.a : pair.b,
    `global $wpdb;
$result = array_map('intval', [
  $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_type = 'import_item'"),
  $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->postmeta m JOIN $wpdb->posts p ON p.ID = m.post_id WHERE p.post_type = 'import_item'"),
  $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->term_relationships r JOIN $wpdb->term_taxonomy t USING (term_taxonomy_id) JOIN $wpdb->terms USING (term_id) WHERE name = 'Imported'"),
]);`,
  );

/** The number the drain gave A's last outbox batch. */
const lastBatchSeq = (pair: EnginePair) =>
  inWordPress<number>(pair.a, `${RAW_PDO_PHP}
$result = (int) $pdo->query("SELECT value FROM _wp_sqlite_pgsync_meta WHERE name = 'last_batch_seq'")->fetchColumn();`);

describe.each(CASES)('an import of $posts posts in one request, WordPress $wp on the $driver driver', ({ posts, ...combination }) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, 'import', { lowIds: false });
  });
  afterAll(() => stopPair(pair));

  it('reaches the peer as several bounded batches, every post with its meta and term', async () => {
    const mark = pair.link.log.length;
    const seqBefore = await lastBatchSeq(pair);
    expect(await inWordPress(pair.a, importPostsPhp(posts))).toBe(posts);
    const batches = (await lastBatchSeq(pair)) - seqBefore;
    // A holds a window of them; the rest waits in its site's outbox until acknowledgements come.
    await pair.peerA.flush();
    // The window's batches, and the delta of files the request's end may have left.
    expect(pair.peerA.pendingCount).toBeGreaterThanOrEqual(Math.min(batches, MAX_BATCHES_IN_FLIGHT));
    expect(pair.peerA.pendingCount).toBeLessThanOrEqual(MAX_BATCHES_IN_FLIGHT + 1);
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Import: B meanwhile', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);

    expect(await importedCounts(pair, 'b')).toEqual([posts, 2 * posts, posts]);
    expect(await importedCounts(pair, 'a')).toEqual([posts, 2 * posts, posts]);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect([pair.peerA.pendingCount, pair.peerB.pendingCount]).toEqual([0, 0]);

    const sent = pair.link.log.slice(mark);
    expect(Math.max(...sent.map(({ json }) => Buffer.byteLength(json, 'utf8')))).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    // 4 rows a post, at most 10,000 rows a batch: the request left as that many batches or more.
    expect(batches).toBeGreaterThanOrEqual(Math.ceil((4 * posts) / 10000));
  });
});
