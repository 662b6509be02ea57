import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, type ApplyResult, type ChangeBatch } from '../../src/db';
import { compareSiteStates, dumpSiteState } from '../harness';
import { bootCapturedPair, differences, inWordPress, sync, type CapturedSite, type Combination } from './db-support';

/**
 * Replay guarantees between two real sites: rolled-back and dying transactions send nothing,
 * a failing batch changes nothing and can be retried, duplicates apply once, concurrent writes
 * converge by last-writer-wins and are reported as conflicts.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'legacy', wp: '6.5' },
];

function postTitles(batches: readonly ChangeBatch[]): unknown[] {
  return batches.flatMap((batch) =>
    batch.rows.flatMap((row) => (row.op === 'upsert' && row.table === 'wp_posts' ? [row.row['post_title']] : [])),
  );
}

describe.each(COMBINATIONS)('replay on the $driver driver, WordPress $wp', (combination) => {
  let a: CapturedSite;
  let b: CapturedSite;

  const apply = (batch: ChangeBatch, to: CapturedSite, from: CapturedSite): Promise<ApplyResult> =>
    applyBatch(to.site.client, batch, { fromSiteUrl: from.site.siteUrl, toSiteUrl: to.site.siteUrl, fromPeer: from.peerId });

  /** Site B's state must not move: compared with itself, no ignore rules. */
  async function expectUnchanged(site: CapturedSite, action: () => Promise<void>): Promise<void> {
    const before = await dumpSiteState(site.site);
    await action();
    const after = await dumpSiteState(site.site);
    const options = { aUrl: site.site.siteUrl, bUrl: site.site.siteUrl };
    expect(compareSiteStates(before, after, options).map((d) => d.description)).toEqual([]);
  }

  beforeAll(async () => {
    [a, b] = await bootCapturedPair(combination, 'replay');
  });

  afterAll(async () => {
    await a?.site.dispose();
    await b?.site.dispose();
  });

  it('sends nothing of a rolled-back transaction', async () => {
    await inWordPress(
      a.site,
      `
      global $wpdb;
      $wpdb->query('START TRANSACTION');
      $id = wp_insert_post(array('post_title' => 'Rolled back', 'post_status' => 'publish'));
      add_post_meta($id, 'rolled', 'back');
      $wpdb->query('ROLLBACK');
      wp_insert_post(array('post_title' => 'Committed', 'post_status' => 'publish'));
      `,
    );
    const batches = await a.drain();
    expect(postTitles(batches)).toEqual(['Committed']);
    await sync({ ...a, take: async () => batches }, b);
    expect(await differences(a, b)).toEqual([]);
  });

  it('sends nothing of a request that dies inside a transaction', async () => {
    const response = await a.site.client.run({
      code: `<?php
      require '/wordpress/wp-load.php';
      global $wpdb;
      $wpdb->query('START TRANSACTION');
      wp_insert_post(array('post_title' => 'Died', 'post_status' => 'publish'));
      exit(0);`,
    });
    expect(response.exitCode).toBe(0);
    const afterDeath = await a.drain();
    expect(postTitles(afterDeath)).toEqual([]);
    const onA = await inWordPress(a.site, `global $wpdb; $result = $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_title = 'Died'");`);
    expect(onA).toBe('0');
    await sync({ ...a, take: async () => afterDeath }, b);
    expect(await differences(a, b)).toEqual([]);
  });

  it('rolls a failing batch back whole, schema change included, and applies the valid one after', async () => {
    await inWordPress(a.site, `$id = wp_insert_post(array('post_title' => 'Retried', 'post_status' => 'publish')); add_post_meta($id, 'k', 'v');`);
    const [valid, ...rest] = await a.take();
    expect(rest).toEqual([]);
    if (!valid) throw new Error('no batch');
    const post = valid.rows.find((row) => row.table === 'wp_posts');
    if (post?.op !== 'upsert') throw new Error('no post in the batch');

    const forgeries: [string, ChangeBatch, RegExp][] = [
      [
        'a missing table',
        {
          ...valid,
          ddl: [{ table: 'wp_forged', sql: 'CREATE TABLE wp_forged (id bigint(20) NOT NULL, PRIMARY KEY (id))' }],
          rows: [
            { op: 'upsert', table: 'wp_forged', key: { id: 1 }, row: { id: 1 } },
            ...valid.rows,
            { op: 'upsert', table: 'wp_nope', key: { id: 1 }, row: { id: 1 } },
          ],
        },
        /no such table: wp_nope/,
      ],
      [
        'a datatype mismatch on the primary key',
        { ...valid, rows: [...valid.rows, { ...post, key: { ID: 'abc' }, row: { ...post.row, ID: 'abc' } }] },
        /datatype mismatch/,
      ],
      [
        'an unknown column',
        { ...valid, rows: [...valid.rows, { ...post, row: { ...post.row, no_such_column: 1 } }] },
        /no column named no_such_column/,
      ],
    ];
    for (const [, forged, cause] of forgeries) {
      await expectUnchanged(b, async () => {
        const result = await apply(forged, b, a);
        expect(result.status).toBe('failed');
        if (result.status !== 'failed') return;
        expect(result.error.message).toMatch(cause);
        expect(result.error.table).toMatch(/^wp_/);
      });
    }
    const shown = await inWordPress(b.site, `global $wpdb; $result = $wpdb->get_col("SHOW TABLES LIKE 'wp_forged'");`);
    expect(shown).toEqual([]);

    await sync({ ...a, take: async () => [valid] }, b);
    expect(await differences(a, b)).toEqual([]);

    // A later batch cannot jump the queue.
    await expectUnchanged(b, async () => {
      expect(await apply({ ...valid, seq: valid.seq + 2 }, b, a)).toEqual({ status: 'gap', seq: valid.seq + 2, appliedUpTo: valid.seq });
    });

    // The same batch again: acknowledged as a duplicate, nothing applied twice.
    await expectUnchanged(b, async () => {
      expect(await apply(valid, b, a)).toEqual({ status: 'duplicate', seq: valid.seq, appliedUpTo: valid.seq });
    });
  });

  it('does not echo applied rows or schema changes back', async () => {
    await inWordPress(
      a.site,
      `global $wpdb;
      $wpdb->query("CREATE TABLE {$wpdb->prefix}pg_echo (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, v text, PRIMARY KEY (id))");
      $wpdb->insert($wpdb->prefix . 'pg_echo', array('v' => 'x'));
      $id = wp_insert_post(array('post_title' => 'Echo?', 'post_status' => 'publish'));
      add_post_meta($id, 'echo', 'no');`,
    );
    const sent = await a.take();
    await b.take();
    await sync({ ...a, take: async () => sent }, b);
    // Any request on B drains; nothing it sends may be what it just applied.
    await inWordPress(b.site, '');
    const fromB = await b.drain();
    const keys = (batches: readonly ChangeBatch[]) =>
      new Set(batches.flatMap((batch) => batch.rows.map((row) => `${row.table} ${JSON.stringify(row.key)}`)));
    const echoed = [...keys(fromB)].filter((key) => keys(sent).has(key));
    expect(echoed).toEqual([]);
    expect(sent.flatMap((batch) => batch.ddl)).toHaveLength(1);
    expect(await differences(a, b)).toEqual([]);
  });

  it('refuses a batch whose claimed peer is not the sender', async () => {
    await inWordPress(a.site, `update_option('pg_claim', 'x');`);
    const [batch] = await a.take();
    if (!batch) throw new Error('no batch');
    await expect(applyBatch(b.site.client, batch, { fromSiteUrl: a.site.siteUrl, toSiteUrl: b.site.siteUrl, fromPeer: 'mallory' })).rejects.toThrow(
      /claims peer peer-a/,
    );
    await sync({ ...a, take: async () => [batch] }, b);
  });

  it('converges when both sites change the same row, reporting the conflict', async () => {
    await inWordPress(a.site, `wp_update_post(array('ID' => 1, 'post_title' => 'Title from A'));`);
    await inWordPress(b.site, `wp_update_post(array('ID' => 1, 'post_title' => 'Title from B'));`);
    const fromA = await a.take();
    const fromB = await b.take();
    const onB = await Promise.all(fromA.map((batch) => apply(batch, b, a)));
    const onA = await Promise.all(fromB.map((batch) => apply(batch, a, b)));
    const conflictsOn = (results: ApplyResult[]) =>
      results
        .flatMap((result) => (result.status === 'applied' ? result.conflicts : []))
        // Both sites also created revision posts under the same new ID (no ID shards here): those conflict too.
        .filter((c) => c.table === 'wp_posts' && c.key['ID'] === 1);
    const newest = [...fromA, ...fromB].reduce((x, y) => (x.hlc > y.hlc ? x : y));
    // The site that wrote last keeps its row when the older change arrives, and says so.
    const keptSide = newest.peer === a.peerId ? onA : onB;
    const overwrittenSide = newest.peer === a.peerId ? onB : onA;
    expect(conflictsOn(keptSide)).toEqual([
      expect.objectContaining({ table: 'wp_posts', key: { ID: 1 }, kept: 'local', reason: 'local version is newer' }),
    ]);
    expect(conflictsOn(overwrittenSide)).toEqual([]);
    expect(await differences(a, b)).toEqual([]);
    const title = await inWordPress(a.site, `$result = get_post(1)->post_title;`);
    expect(title).toBe(newest.peer === a.peerId ? 'Title from A' : 'Title from B');
  });

  it('reports the values of the local row that won a conflict, long text cut short', async () => {
    const id = (await inWordPress(a.site, `$result = wp_insert_post(array('post_title' => 'Shared', 'post_status' => 'publish'));`)) as number;
    await sync(a, b);
    await inWordPress(a.site, `wp_update_post(array('ID' => ${id}, 'post_title' => 'Title from A'));`);
    const fromA = await a.take();
    await new Promise((resolve) => setTimeout(resolve, 5)); // wall-clock based clocks: B's edit is the newer
    // 1,501 characters, 3,001 bytes: cut on a character boundary, not a byte count.
    await inWordPress(b.site, `wp_update_post(array('ID' => ${id}, 'post_title' => 'Local title', 'post_content' => 'x' . str_repeat('é', 1500)));`);
    const onB = await Promise.all(fromA.map((batch) => apply(batch, b, a)));
    const conflict = onB
      .flatMap((result) => (result.status === 'applied' ? result.conflicts : []))
      .find((c) => c.table === 'wp_posts' && c.key['ID'] === id);
    expect(conflict).toMatchObject({ reason: 'local version is newer', kept: 'local' });
    expect(conflict?.local).toMatchObject({ ID: id, post_title: 'Local title', post_content: `x${'é'.repeat(999)}…` });
    await sync(b, a);
    expect(await differences(a, b)).toEqual([]);
  });

  it('keeps a local change not drained yet, then a pull that captures sends it and both converge on it', async () => {
    // Raw PDO in a script that never loads WordPress: captured by the triggers, drained by nobody.
    await a.site.client.run({
      code: `<?php
      $pdo = new PDO('sqlite:${a.site.facts.databasePath}');
      $pdo->exec("UPDATE wp_posts SET post_content = 'raw edit on A' WHERE ID = 1");`,
    });
    expect(await a.take()).toEqual([]);
    await inWordPress(b.site, `wp_update_post(array('ID' => 1, 'post_content' => 'edit on B'));`);
    const [fromB] = await b.take();
    if (!fromB) throw new Error('no batch');
    const result = await apply(fromB, a, b);
    expect(result).toMatchObject({
      status: 'applied',
      conflicts: [expect.objectContaining({ table: 'wp_posts', key: { ID: 1 }, reason: 'local change not sent yet' })],
    });

    const [drained, ...more] = await a.drain();
    expect(more).toEqual([]);
    expect(drained?.rows).toContainEqual(expect.objectContaining({ table: 'wp_posts', key: { ID: 1 } }));
    if (!drained) return;
    expect(drained.hlc > fromB.hlc).toBe(true);
    await sync({ ...a, take: async () => [drained] }, b);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(b.site, `$result = get_post(1)->post_content;`)).toBe('raw edit on A');
  });

  it('resolves the same option created on both sites under different ids (unique key, last writer wins)', async () => {
    await inWordPress(a.site, `global $wpdb; $wpdb->insert($wpdb->options, array('option_id' => 5001, 'option_name' => 'pg_same', 'option_value' => 'A', 'autoload' => 'no'));`);
    await inWordPress(b.site, `global $wpdb; $wpdb->insert($wpdb->options, array('option_id' => 6001, 'option_name' => 'pg_same', 'option_value' => 'B', 'autoload' => 'no'));`);
    const fromA = await a.take();
    const fromB = await b.take();
    const results = [
      ...(await Promise.all(fromA.map((batch) => apply(batch, b, a)))),
      ...(await Promise.all(fromB.map((batch) => apply(batch, a, b)))),
    ];
    expect(results.every((result) => result.status === 'applied')).toBe(true);
    const conflicts = results.flatMap((result) => (result.status === 'applied' ? result.conflicts : []));
    const newest = [...fromA, ...fromB].reduce((x, y) => (x.hlc > y.hlc ? x : y));
    const aWins = newest.peer === a.peerId;
    // The report shows the local row that keeps the key: its own primary key, not the batch row's.
    expect(conflicts.filter((c) => c.table === 'wp_options')).toEqual([
      expect.objectContaining({
        reason: 'unique key held by a newer local row',
        key: { option_id: aWins ? 6001 : 5001 },
        local: expect.objectContaining({ option_id: aWins ? 5001 : 6001, option_name: 'pg_same', option_value: aWins ? 'A' : 'B' }),
      }),
    ]);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(a.site, `$result = get_option('pg_same');`)).toBe(aWins ? 'A' : 'B');
  });

  it('applies a big batch in shared statements, falls back row by row for a unique-key clash in it, and captures again right after', async () => {
    const triggers = `$result = $GLOBALS['wpdb']->get_var("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'");`;
    const triggersBefore = await inWordPress(b.site, triggers);
    await inWordPress(b.site, `global $wpdb; $wpdb->insert($wpdb->options, array('option_id' => 7007, 'option_name' => 'pg_bulk_7', 'option_value' => 'B', 'autoload' => 'no'));`);
    const fromB = await b.take();
    await inWordPress(a.site, `for ($i = 0; $i < 300; $i++) { add_option("pg_bulk_$i", 'A', '', 'no'); }`);
    const fromA = await a.take();
    expect(fromA.flatMap((batch) => batch.rows).filter((row) => row.table === 'wp_options').length).toBeGreaterThanOrEqual(300);

    const onB = await Promise.all(fromA.map((batch) => apply(batch, b, a)));
    expect(onB.map((result) => result.status)).toEqual(fromA.map(() => 'applied'));
    // B's older pg_bulk_7 gave way to A's (last writer wins on the unique key), with no conflict to report.
    expect(onB.flatMap((result) => (result.status === 'applied' ? result.conflicts : []))).toEqual([]);
    const onA = await Promise.all(fromB.map((batch) => apply(batch, a, b)));
    expect(onA.flatMap((result) => (result.status === 'applied' ? result.conflicts.map((c) => c.reason) : [result.status]))).toEqual([
      'unique key held by a newer local row',
    ]);
    await inWordPress(b.site, ''); // A request: its drain sends the eviction of B's own pg_bulk_7.
    await sync(b, a);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(b.site, `$result = get_option('pg_bulk_7');`)).toBe('A');

    // The triggers lifted for the batch are back: B's next edit is captured and reaches A.
    expect(await inWordPress(b.site, triggers)).toBe(triggersBefore);
    await inWordPress(b.site, `update_option('pg_bulk_3', 'edited on B');`);
    await sync(b, a);
    expect(await inWordPress(a.site, `$result = get_option('pg_bulk_3');`)).toBe('edited on B');
    expect(await differences(a, b)).toEqual([]);
  });
});
