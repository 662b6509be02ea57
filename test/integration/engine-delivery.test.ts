import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteClient } from '../../src/platform/site-client';
import {
  POISON_TRIGGER,
  RAW_PDO_PHP,
  expectConverged,
  expectUnchanged,
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
 * Delivery guarantees through the whole engine: a delta the receiver cannot apply changes
 * nothing there, is journaled with its cause, holds back the ones after it, and applies once
 * retried; a link that duplicates, reorders and delays messages still converges with every
 * database batch applied once, in order.
 */

const REPLAY_COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'legacy', wp: 'nightly' },
];

describe.each(REPLAY_COMBINATIONS)('a failing replay, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, 'replay', { lowIds: false });
  });
  afterAll(() => stopPair(pair));

  it('changes nothing on the receiver, journals the cause, and holds the batches after it', async () => {
    // Something on B refuses one row: a trigger of the test's own, outside the engine.
    await inWordPress(pair.b, `${RAW_PDO_PHP} $pdo->exec(${JSON.stringify(POISON_TRIGGER)});`);
    await syncUntilQuiet(pair);
    const mark = pair.journal.length;
    await expectUnchanged(pair.b, async () => {
      await inWordPress(pair.a, `$id = wp_insert_post(['post_title' => 'Poison', 'post_status' => 'publish']); add_post_meta($id, 'dose', 'high');`);
      await syncUntilQuiet(pair);
      await inWordPress(pair.a, `wp_insert_post(['post_title' => 'After the poison', 'post_status' => 'publish']);`);
      await syncUntilQuiet(pair);
    });
    const received = failuresIn(journalSince(pair, mark)).filter((entry) => entry.direction === 'received');
    // Each time: one line for people (what was not applied) and the technical one behind it, both with the cause.
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((entry) => entry.kind === 'change').length).toBe(received.length / 2);
    for (const entry of received) {
      if (entry.kind === 'change') expect(entry.summary).toMatch(/^Not applied: Post “Poison” published.*Nothing of it was written: .*poison refused by the test/);
      else expect(entry).toMatchObject({ kind: 'rows', summary: expect.stringMatching(/rolled back, nothing applied/) });
      expect(entry.detail).toContain('poison refused by the test');
    }
    expect(pair.peerA.pendingCount).toBe(2);
  });

  it('does not send a refused delta again on its timer, however long it waits (issue 11)', async () => {
    const journalMark = pair.journal.length;
    const linkMark = pair.link.log.length;
    // The tab's timer, an hour's worth of ticks: the refusal stands until B retries.
    for (let tick = 1; tick <= 20; tick++) pair.peerA.resendDue(performance.now() + tick * 180_000);
    await syncUntilQuiet(pair);
    const sentByA = pair.link.log.slice(linkMark).filter(({ from }) => from === 'a').map(({ json }) => (JSON.parse(json) as { kind: string }).kind);
    expect(sentByA.filter((kind) => kind === 'delta' || kind === 'frame')).toEqual([]);
    expect(failuresIn(journalSince(pair, journalMark))).toEqual([]);
    expect(pair.peerA.pendingCount).toBe(2);
  });

  it('converges once the cause is gone and the receiver retries', async () => {
    await inWordPress(pair.b, `${RAW_PDO_PHP} $pdo->exec('DROP TRIGGER engine_test_poison');`);
    await pair.peerB.retry();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.b,
        `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_title IN ('Poison', 'After the poison') ORDER BY ID");`,
      ),
    ).toEqual(['Poison', 'After the poison']);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });
});

/** What one site holds in the files a mixed delta touches; `null` for a path that is not there. */
async function mixedDeltaFiles(site: SiteClient): Promise<Record<string, string | null>> {
  const paths = [
    'wp-content/plugins/mixed-new/mixed-new.php',
    'wp-content/plugins/mixed-new/lib/helper.php',
    'wp-content/mixed-shared.txt',
    'wp-content/mixed-doomed.txt',
    'wp-content/mixed-folder/inner.txt',
    'wp-content/mixed-moved.txt',
    'wp-content/mixed-renamed.txt',
  ];
  const held: Record<string, string | null> = {};
  for (const path of paths) {
    const absolute = `/wordpress/${path}`;
    held[path] = (await site.fileExists(absolute)) ? await site.readFileAsText(absolute) : null;
  }
  return held;
}

describe.each(REPLAY_COMBINATIONS)('a failing delta with files, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, 'mixed');
  });
  afterAll(() => stopPair(pair));

  it('puts the delta’s files back too (written, overwritten, deleted, folder removed, renamed), and sends nothing back', async () => {
    // Files both sites hold, then a row B refuses.
    await inWordPress(
      pair.a,
      `file_put_contents(WP_CONTENT_DIR . '/mixed-shared.txt', 'shared v1');
       file_put_contents(WP_CONTENT_DIR . '/mixed-doomed.txt', 'doomed');
       mkdir(WP_CONTENT_DIR . '/mixed-folder'); file_put_contents(WP_CONTENT_DIR . '/mixed-folder/inner.txt', 'inner');
       file_put_contents(WP_CONTENT_DIR . '/mixed-moved.txt', 'moved');`,
    );
    await syncUntilQuiet(pair);
    await inWordPress(pair.b, `${RAW_PDO_PHP} $pdo->exec(${JSON.stringify(POISON_TRIGGER)});`);
    await syncUntilQuiet(pair);
    const bBefore = await mixedDeltaFiles(pair.b.client);
    const mark = pair.journal.length;

    await expectUnchanged(pair.b, async () => {
      // One request: its file changes and its rows travel as one delta.
      await inWordPress(
        pair.a,
        `wp_mkdir_p(WP_PLUGIN_DIR . '/mixed-new/lib');
         file_put_contents(WP_PLUGIN_DIR . '/mixed-new/mixed-new.php', '<?php /* Plugin Name: Mixed */');
         file_put_contents(WP_PLUGIN_DIR . '/mixed-new/lib/helper.php', '<?php // helper');
         file_put_contents(WP_CONTENT_DIR . '/mixed-shared.txt', 'shared v2');
         unlink(WP_CONTENT_DIR . '/mixed-doomed.txt');
         unlink(WP_CONTENT_DIR . '/mixed-folder/inner.txt'); rmdir(WP_CONTENT_DIR . '/mixed-folder');
         rename(WP_CONTENT_DIR . '/mixed-moved.txt', WP_CONTENT_DIR . '/mixed-renamed.txt');
         wp_insert_post(['post_title' => 'Poison', 'post_status' => 'publish']);`,
      );
      await syncUntilQuiet(pair);
    });
    const failed = failuresIn(journalSince(pair, mark)).filter((entry) => entry.direction === 'received');
    expect(failed.map((entry) => entry.summary).join('\n')).toMatch(/rolled back, nothing applied/);
    expect(await mixedDeltaFiles(pair.b.client)).toEqual(bBefore);
    // Neither the apply nor its undo came back to A as B's own change: A keeps its work.
    expect(await mixedDeltaFiles(pair.a.client)).toEqual({
      'wp-content/plugins/mixed-new/mixed-new.php': '<?php /* Plugin Name: Mixed */',
      'wp-content/plugins/mixed-new/lib/helper.php': '<?php // helper',
      'wp-content/mixed-shared.txt': 'shared v2',
      'wp-content/mixed-doomed.txt': null,
      'wp-content/mixed-folder/inner.txt': null,
      'wp-content/mixed-moved.txt': null,
      'wp-content/mixed-renamed.txt': 'moved',
    });
    // Nothing of the engine's scratch area is left behind on B: no file (the pairing's copy left the blob store's empty folders).
    expect(
      await inWordPress<string[]>(
        pair.b,
        `$dir = WP_CONTENT_DIR . '/upgrade/playground-sync'; $result = [];
         if (is_dir($dir)) foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS)) as $file) $result[] = $file->getPathname();`,
      ),
    ).toEqual([]);
  });

  it('applies the whole delta once the cause is gone', async () => {
    await inWordPress(pair.b, `${RAW_PDO_PHP} $pdo->exec('DROP TRIGGER engine_test_poison');`);
    const mark = pair.journal.length;
    await pair.peerB.retry();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await mixedDeltaFiles(pair.b.client)).toEqual(await mixedDeltaFiles(pair.a.client));
    expect(failuresIn(journalSince(pair, mark))).toEqual([]);
  });
});

const FAULTY_LINK = { duplicate: 0.3, reorder: 0.5, delay: 0.3 };

describe.each([1, 7, 42])('a link that duplicates, reorders and delays (seed %i)', (seed) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair({ driver: 'ast', wp: 'nightly' }, `faults${seed}`, { faults: FAULTY_LINK, seed });
  });
  afterAll(() => stopPair(pair));

  /** The receiver's cursor for the sender's database batches, and the sender's last batch. */
  const batchCursor = async (receiver: SiteClient, sender: SiteClient) => {
    const read = async (client: SiteClient, sql: string) =>
      Number((await client.run({ code: `<?php ${RAW_PDO_PHP_BARE} echo (int) $pdo->query(${JSON.stringify(sql)})->fetchColumn();` })).text);
    return {
      applied: await read(receiver, "SELECT applied_up_to FROM _wp_sqlite_pgsync_cursor WHERE peer = 'peer-a'"),
      sent: await read(sender, "SELECT value FROM _wp_sqlite_pgsync_meta WHERE name = 'last_batch_seq'"),
    };
  };

  it('converges on many deltas in flight at once, with a deleted post staying deleted', async () => {
    await pair.a.client.mkdir('/wordpress/wp-content/engine-faults');
    const postX = await inWordPress<number>(pair.a, `$id = wp_insert_post(['post_title' => 'X', 'post_status' => 'publish']); add_post_meta($id, 'k', 'v'); $result = $id;`);
    await inWordPress(pair.a, `wp_update_post(['ID' => ${postX}, 'post_title' => 'X renamed']); add_option('engine_counter', 1);`);
    const postY = await inWordPress<number>(pair.b, `$result = wp_insert_post(['post_title' => 'Y', 'post_status' => 'publish']);`);
    await pair.a.client.writeFile('/wordpress/wp-content/engine-faults/a.txt', 'from A');
    await pair.peerA.flush();
    await inWordPress(pair.a, `update_option('engine_counter', 2); wp_delete_post(${postX}, true);`);
    await pair.b.client.writeFile('/wordpress/wp-content/engine-faults-b.txt', 'from B');
    await pair.peerB.flush();
    await inWordPress(pair.a, `update_option('engine_counter', 3);`);
    await pair.a.client.unlink('/wordpress/wp-content/engine-faults/a.txt');
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    for (const site of [pair.a, pair.b]) {
      expect(
        await inWordPress(site, `$result = [get_post(${postX}), get_the_title(${postY}), get_option('engine_counter')];`),
      ).toEqual([null, 'Y', '3']);
    }
    const cursor = await batchCursor(pair.b.client, pair.a.client);
    expect(cursor.applied).toBe(cursor.sent);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });
});

/** `$pdo` on the site's database file for a script that does not load WordPress. */
const RAW_PDO_PHP_BARE = `$config = json_decode(file_get_contents('/internal/shared/playground-sync/config.json'), true);
$pdo = new PDO('sqlite:' . $config['dbPath']);`;
