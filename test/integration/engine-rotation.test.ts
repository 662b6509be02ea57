import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  POISON_TRIGGER,
  RAW_PDO_PHP,
  expectConverged,
  failuresIn,
  inWordPress,
  journalSince,
  startPair,
  stopPair,
  syncUntilQuiet,
  type Combination,
  type EnginePair,
} from './engine-support';

/**
 * Older Playground builds rotate a site's PHP runtime every 400 requests and lose everything
 * under /internal doing so: the engine's PHP, its drain preload and the ID-shard filter (the
 * database, with the triggers and what they captured, survives). Site B here rotates that way
 * every few requests (`rotation: 'older'`, as the stand-in's `?build=older`): the engine notices,
 * reinstalls and sends what was captured meanwhile, the sites converge, and no journal line
 * repeats.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'legacy', wp: 'nightly' },
  { driver: 'ast', wp: '6.5' },
];

describe.each(COMBINATIONS)('a site whose runtime rotation drops /internal, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  beforeAll(async () => {
    // A is kept and copied into B, whose rotations (every 12 requests) fall within the copy's install: an install
    // that lost the engine's PHP is completed by installing again.
    pair = await startPair(combination, 'rotation', { rotation: { b: { rotation: 'older', maxRequests: 12 } } });
  });
  afterAll(() => stopPair(pair));

  it('reinstalls the engine after each rotation and converges, rows and files written on both sides meanwhile', async () => {
    for (let round = 0; round < 6; round++) {
      // Several requests on B without a flush in between: a rotation can fall between any two,
      // and B's later writes are captured by the triggers while nothing drains.
      await inWordPress(pair.b, `wp_insert_post(['post_title' => 'B round ${round}', 'post_status' => 'publish']);`);
      await inWordPress(pair.b, `file_put_contents(WP_CONTENT_DIR . '/b-round-${round}.txt', 'B wrote ${round}');`);
      await inWordPress(pair.b, `${RAW_PDO_PHP} $pdo->exec("UPDATE wp_options SET option_value = 'B ${round}' WHERE option_name = 'blogdescription'");`);
      await inWordPress(pair.a, `$id = wp_insert_post(['post_title' => 'A round ${round}', 'post_status' => 'publish']); wp_insert_comment(['comment_post_ID' => $id, 'comment_content' => 'A says ${round}']);`);
      await inWordPress(pair.b, `wp_insert_comment(['comment_post_ID' => 1, 'comment_content' => 'B says ${round}']);`);
      await syncUntilQuiet(pair);
    }
    expect(pair.b.rotations).toBeGreaterThanOrEqual(3);
    await expectConverged(pair);
    const titles = await inWordPress<string[]>(
      pair.a,
      `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_title LIKE '_ round %' ORDER BY post_title");`,
    );
    expect(titles).toEqual([...[0, 1, 2, 3, 4, 5].map((r) => `A round ${r}`), ...[0, 1, 2, 3, 4, 5].map((r) => `B round ${r}`)]);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect(pair.journal.filter((line) => line.summary.includes('reinstalled them')).length).toBeGreaterThanOrEqual(1);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
    // What the popup showed for B: a problem while the files were gone, none since.
    expect(pair.problems.b.some((problem) => problem?.includes('files are gone'))).toBe(true);
    expect(pair.problems.b.at(-1)).toBeNull();
  });

  it('reinstalls on its own (no flush) when a change arrives, and the ID-shard filter is back', async () => {
    // Rotate B without anything of the engine running, then only A writes.
    while ((await pair.b.client.fileExists('/internal/shared/preload/zz-playground-sync.php')) === true) {
      await pair.b.client.run({ code: '<?php echo 1;' });
    }
    const mark = pair.journal.length;
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'A after rotation', 'post_status' => 'publish']);`);
    await pair.peerA.flush();
    await pair.link.settle();
    expect(await pair.b.client.fileExists('/internal/shared/preload/zz-playground-sync-id-shards.php')).toBe(true);
    expect(journalSince(pair, mark).some((line) => line.summary.includes('reinstalled them'))).toBe(true);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('repairIfLost (the periodic check) does nothing while the files are there, and reinstalls once they are gone', async () => {
    let started = performance.now();
    expect(await pair.peerB.repairIfLost()).toBe(false);
    console.info(`[rotation] check with nothing missing: ${(performance.now() - started).toFixed(1)} ms`);
    while ((await pair.b.client.fileExists('/internal/shared/preload/zz-playground-sync.php')) === true) {
      await pair.b.client.run({ code: '<?php echo 1;' });
    }
    // Captured by the triggers while no drain runs: it must still leave.
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'B while lost', 'post_status' => 'publish']);`);
    started = performance.now();
    expect(await pair.peerB.repairIfLost()).toBe(true);
    console.info(`[rotation] reinstall and drain: ${(performance.now() - started).toFixed(1)} ms`);
    await pair.link.settle();
    expect(
      await inWordPress(pair.a, `global $wpdb; $result = $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_title = 'B while lost'");`),
    ).toBe('1');
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });

  it('catches up on schema work done while the engine was gone: a table made, one rebuilt, one dropped', async () => {
    // Made while the engine is there: the peer has both.
    await inWordPress(
      pair.b,
      `global $wpdb;
$wpdb->query("CREATE TABLE {$wpdb->prefix}pg_kept (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, label varchar(50) NOT NULL DEFAULT '', PRIMARY KEY  (id))");
$wpdb->query("CREATE TABLE {$wpdb->prefix}pg_gone (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY  (id))");
$wpdb->insert("{$wpdb->prefix}pg_kept", ['label' => 'before']);`,
    );
    await syncUntilQuiet(pair);
    await pair.b.rotate('all');
    expect(await pair.b.client.fileExists('/internal/shared/preload/zz-playground-sync.php')).toBe(false);
    const mark = pair.journal.length;
    // No DDL watcher, no drain: the new table has no triggers, the rebuilt one lost its own.
    const watched = await inWordPress(
      pair.b,
      `global $wpdb;
$result = function_exists('pgsync_on_query');
$wpdb->query("CREATE TABLE {$wpdb->prefix}pg_made (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, label varchar(50) NOT NULL DEFAULT '', PRIMARY KEY  (id), KEY label (label))");
$wpdb->insert("{$wpdb->prefix}pg_made", ['label' => 'made while gone']);
$wpdb->query("ALTER TABLE {$wpdb->prefix}pg_kept CHANGE COLUMN label label varchar(50) NOT NULL DEFAULT ''");
$wpdb->insert("{$wpdb->prefix}pg_kept", ['label' => 'after the rebuild']);
$wpdb->query("DROP TABLE {$wpdb->prefix}pg_gone");`,
    );
    expect(watched).toBe(false);
    // The timer's check (an engine task may have put the engine back already).
    await pair.peerB.repairIfLost();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
    const details = journalSince(pair, mark)
      .filter((line) => line.summary.includes('reinstalled them'))
      .map((line) => line.detail ?? '')
      .join('\n');
    expect(details).toMatch(/tables made meanwhile, sent with their rows: wp_pg_made/);
    expect(details).toMatch(/tables dropped meanwhile: wp_pg_gone/);
    expect(details).toMatch(/rebuilt meanwhile .*wp_pg_kept/);
    expect(
      await inWordPress(pair.a, `global $wpdb; $result = $wpdb->get_col("SELECT label FROM {$wpdb->prefix}pg_kept ORDER BY label");`),
    ).toEqual(['after the rebuild', 'before']);
  });

  it('counts a failure that recurs on every resend on one line, on both sides, and says so until it is resolved', async () => {
    await inWordPress(pair.a, `${RAW_PDO_PHP} $pdo->exec(${JSON.stringify(POISON_TRIGGER)});`);
    const mark = pair.journal.length;
    // Made on B, which gives no low IDs (A does): one delta of B's, resent as it is.
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Poison', 'post_status' => 'publish']);`);
    await pair.peerB.flush();
    await pair.link.settle();
    // What the 3 s resend timer of a tab does, a few times over.
    for (let resend = 0; resend < 4; resend++) {
      pair.peerB.resendPending();
      await pair.link.settle();
    }
    const failures = failuresIn(journalSince(pair, mark));
    // One line on each side (A could not apply it, said for people and technically; B heard so), each counting the four resends.
    expect(failures.map((line) => [line.direction, line.kind, line.repeats])).toEqual(
      expect.arrayContaining([
        ['received', 'change', 4],
        ['received', 'rows', 4],
        ['sent', 'rows', 4],
      ]),
    );
    expect(failures).toHaveLength(3);
    expect(pair.problems.a.at(-1)).toMatch(/held back/);

    await inWordPress(pair.a, `${RAW_PDO_PHP} $pdo->exec('DROP TRIGGER engine_test_poison');`);
    await pair.peerA.retry();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(pair.problems.a.at(-1)).toBeNull();
  });
});
