import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
 * How the engine treats transactions and failing statements on the sending site: the earlier
 * prototype's known-unhandled list (failed queries, a request dying inside a transaction, nested
 * transactions, autocommit statements, commits and rollbacks), through the whole engine.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'legacy', wp: 'nightly' },
];

describe.each(COMBINATIONS)('transactions through the engine, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  const titlesOn = (site: EnginePair['a'], titles: string[]) =>
    inWordPress<string[]>(
      site,
      `global $wpdb; $result = $wpdb->get_col($wpdb->prepare("SELECT post_title FROM $wpdb->posts WHERE post_title IN (${titles.map(() => '%s').join(', ')}) ORDER BY post_title", ${titles.map((title) => JSON.stringify(title)).join(', ')}));`,
    );

  beforeAll(async () => {
    pair = await startPair(combination, 'tx');
  });
  afterAll(() => stopPair(pair));

  it('syncs nothing of a rolled-back transaction', async () => {
    await inWordPress(
      pair.a,
      `global $wpdb;
       $wpdb->query('START TRANSACTION');
       $id = wp_insert_post(['post_title' => 'Rolled back', 'post_status' => 'publish']);
       add_post_meta($id, 'rolled', 'back');
       $wpdb->query('ROLLBACK');`,
    );
    await expectUnchanged(pair.b, () => syncUntilQuiet(pair));
    await expectConverged(pair);
    expect(await titlesOn(pair.b, ['Rolled back'])).toEqual([]);
  });

  it('syncs the committed transactions of a request and not its rolled-back one', async () => {
    await inWordPress(
      pair.a,
      `global $wpdb;
       $wpdb->query('START TRANSACTION');
       wp_insert_post(['post_title' => 'Committed first', 'post_status' => 'publish']);
       $wpdb->query('COMMIT');
       $wpdb->query('START TRANSACTION');
       wp_insert_post(['post_title' => 'Rolled back second', 'post_status' => 'publish']);
       update_option('blogdescription', 'rolled back too');
       $wpdb->query('ROLLBACK');
       $wpdb->query('START TRANSACTION');
       update_option('blogdescription', 'Committed third');
       $wpdb->query('COMMIT');`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await titlesOn(pair.b, ['Committed first', 'Rolled back second'])).toEqual(['Committed first']);
    expect(await inWordPress(pair.b, `$result = get_option('blogdescription');`)).toBe('Committed third');
  });

  it('syncs what a nested transaction kept: savepoints rolled back and released', async () => {
    await inWordPress(
      pair.b,
      `global $wpdb;
       $wpdb->query('START TRANSACTION');
       wp_insert_post(['post_title' => 'Outer kept', 'post_status' => 'publish']);
       $wpdb->query('SAVEPOINT engine_inner');
       wp_insert_post(['post_title' => 'Inner discarded', 'post_status' => 'publish']);
       $wpdb->query('ROLLBACK TO SAVEPOINT engine_inner');
       $wpdb->query('SAVEPOINT engine_inner2');
       wp_insert_post(['post_title' => 'Inner kept', 'post_status' => 'publish']);
       $wpdb->query('RELEASE SAVEPOINT engine_inner2');
       $wpdb->query('COMMIT');
       if ($wpdb->last_error) throw new Exception($wpdb->last_error);`,
    );
    // What the site kept is the driver's business (the legacy translator loses the outer insert
    // on ROLLBACK TO SAVEPOINT); the engine must send exactly that.
    const kept = await titlesOn(pair.b, ['Inner discarded', 'Inner kept', 'Outer kept']);
    expect(kept).toContain('Inner kept');
    expect(kept).not.toContain('Inner discarded');
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await titlesOn(pair.a, ['Inner discarded', 'Inner kept', 'Outer kept'])).toEqual(kept);
  });

  it('syncs nothing of a request that died inside a transaction, and what the next request did', async () => {
    const died = await pair.a.client.run({
      code: `<?php require '/wordpress/wp-load.php';
        global $wpdb;
        $wpdb->query('START TRANSACTION');
        wp_insert_post(['post_title' => 'Died uncommitted', 'post_status' => 'publish']);
        exit(0);`,
    });
    expect(died.errors).not.toMatch(/fatal/i);
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'After the death', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await titlesOn(pair.a, ['After the death', 'Died uncommitted'])).toEqual(['After the death']);
    expect(await titlesOn(pair.b, ['After the death', 'Died uncommitted'])).toEqual(['After the death']);
  });

  it('syncs the effects of the statements that succeeded around failed queries', async () => {
    const mark = pair.journal.length;
    await inWordPress(
      pair.a,
      `global $wpdb;
       $wpdb->suppress_errors(true);
       $failed = [];
       $failed[] = $wpdb->query("INSERT INTO {$wpdb->prefix}no_such_table (a) VALUES (1)");
       $failed[] = $wpdb->query("UPDATE $wpdb->posts SET no_such_column = 1");
       $failed[] = $wpdb->query("CREATE TABLE $wpdb->posts (id int)");
       $failed[] = $wpdb->query("ALTER TABLE {$wpdb->prefix}no_such_table ADD COLUMN x int");
       update_option('engine_after_failures', 'kept');
       $result = $failed;`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await inWordPress(pair.b, `$result = get_option('engine_after_failures');`)).toBe('kept');
    expect(failuresIn(journalSince(pair, mark))).toEqual([]);
  });

  it('syncs autocommit statements through wpdb and raw SQLite writes made without WordPress', async () => {
    await inWordPress(
      pair.b,
      `global $wpdb;
       $wpdb->query("UPDATE $wpdb->options SET option_value = 'raw update' WHERE option_name = 'blogdescription'");
       $wpdb->query("INSERT INTO $wpdb->options (option_name, option_value, autoload) VALUES ('engine_raw_insert', 'v', 'no')");
       $wpdb->query("DELETE FROM $wpdb->options WHERE option_name = 'engine_after_failures'");`,
    );
    // No WordPress at all: straight to the database file; flush() drains it.
    await pair.a.client.run({
      code: `<?php
        $pdo = new PDO('sqlite:' . ${JSON.stringify(pair.a.facts.databasePath)});
        $pdo->exec("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('engine_bare_pdo', 'from a bare script', 'no')");`,
    });
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.a,
        `$result = [get_option('blogdescription'), get_option('engine_raw_insert'), get_option('engine_after_failures', 'gone')];`,
      ),
    ).toEqual(['raw update', 'v', 'gone']);
    expect(await inWordPress(pair.b, `$result = get_option('engine_bare_pdo');`)).toBe('from a bare script');
  });

  it('syncs nothing of an insert refused by a unique key, and keeps the row it collided with', async () => {
    await inWordPress(
      pair.a,
      `${RAW_PDO_PHP}
       $wpdb->suppress_errors(true);
       $ok = $wpdb->insert($wpdb->options, ['option_name' => 'engine_raw_insert', 'option_value' => 'duplicate', 'autoload' => 'no']);
       if ($ok !== false) throw new Exception('the duplicate insert went through');`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await inWordPress(pair.b, `$result = get_option('engine_raw_insert');`)).toBe('v');
  });

  it('journals no failures and leaves nothing pending: every sent batch’s line turned applied once acknowledged', () => {
    expect(failuresIn(pair.journal)).toEqual([]);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
    const sent = pair.journal.filter((entry) => entry.direction === 'sent' && entry.kind !== 'pairing');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((entry) => entry.status !== 'applied')).toEqual([]);
    expect(new Set(pair.journal.map((entry) => entry.id)).size).toBe(pair.journal.length);
  });
});
