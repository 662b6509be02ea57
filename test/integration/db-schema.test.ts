import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGES_SIGNAL_PATH, ENGINE_TRIGGER_PREFIX, installCapture } from '../../src/db';
import { ENGINE_DIR, ENGINE_PRELOAD_PATH } from '../../src/db/php-sources';
import { bootCapturedPair, differences, inWordPress, sync, type CapturedSite, type Combination } from './db-support';

/**
 * Schema changes and the capture's own lifecycle: only successful DDL travels, TRUNCATE and DROP
 * replay through the driver, triggers come back after DDL, and capture survives the page's
 * MEMFS being wiped (a reload) once installed again.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'legacy', wp: '6.5' },
];

describe.each(COMBINATIONS)('schema capture on the $driver driver, WordPress $wp', (combination) => {
  let a: CapturedSite;
  let b: CapturedSite;

  async function triggerCount(site: CapturedSite): Promise<number> {
    const response = await site.site.client.run({
      code: `<?php
      $pdo = new PDO('sqlite:${site.site.facts.databasePath}');
      echo $pdo->query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '${ENGINE_TRIGGER_PREFIX.replaceAll('_', '\\_')}%' ESCAPE '\\\\'")->fetchColumn();`,
    });
    return Number(response.text);
  }

  beforeAll(async () => {
    [a, b] = await bootCapturedPair(combination, 'schema');
  });

  afterAll(async () => {
    await a?.site.dispose();
    await b?.site.dispose();
  });

  it('sends a schema change only when it succeeded', async () => {
    await inWordPress(
      a.site,
      `
      global $wpdb;
      $wpdb->suppress_errors(true);
      $wpdb->query("ALTER TABLE {$wpdb->prefix}does_not_exist ADD COLUMN x int");
      $wpdb->query("CREATE TABLE {$wpdb->prefix}pg_log (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, msg text, PRIMARY KEY (id))");
      $wpdb->query("CREATE TABLE {$wpdb->prefix}pg_log (id int)");
      $wpdb->insert($wpdb->prefix . 'pg_log', array('msg' => 'one'));
      `,
    );
    const batches = await a.take();
    expect(batches.flatMap((batch) => batch.ddl.map((ddl) => ddl.sql.trim().split(/\s+/).slice(0, 3).join(' ')))).toEqual([
      'CREATE TABLE wp_pg_log',
    ]);
    await sync({ ...a, take: async () => batches }, b);
    expect(await differences(a, b)).toEqual([]);
  });

  it('replays TRUNCATE and DROP TABLE through the driver', async () => {
    await inWordPress(
      a.site,
      `
      global $wpdb;
      $wpdb->insert($wpdb->prefix . 'pg_log', array('msg' => 'two'));
      $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}pg_log");
      $wpdb->insert($wpdb->prefix . 'pg_log', array('msg' => 'after truncate'));
      `,
    );
    await sync(a, b);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(b.site, `global $wpdb; $result = $wpdb->get_col("SELECT msg FROM {$wpdb->prefix}pg_log");`)).toEqual([
      'after truncate',
    ]);

    await inWordPress(a.site, `global $wpdb; $wpdb->insert($wpdb->prefix . 'pg_log', array('msg' => 'last')); $wpdb->query("DROP TABLE {$wpdb->prefix}pg_log");`);
    await sync(a, b);
    expect(await differences(a, b)).toEqual([]);
    // The driver's own view of the schema knows the table is gone.
    expect(await inWordPress(b.site, `global $wpdb; $result = $wpdb->get_col("SHOW TABLES LIKE '%pg_log'");`)).toEqual([]);
  });

  it('stays equal across a table rename, which both drivers ignore or refuse (3.0.2: no-op, 2.1.11: error)', async () => {
    await inWordPress(
      a.site,
      `global $wpdb;
      $wpdb->suppress_errors(true);
      $wpdb->query("CREATE TABLE {$wpdb->prefix}pg_old (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, v text, PRIMARY KEY (id))");
      $wpdb->insert($wpdb->prefix . 'pg_old', array('v' => 'before'));
      $wpdb->query("ALTER TABLE {$wpdb->prefix}pg_old RENAME TO {$wpdb->prefix}pg_new");
      $wpdb->query("RENAME TABLE {$wpdb->prefix}pg_old TO {$wpdb->prefix}pg_new");
      $wpdb->query("INSERT INTO {$wpdb->prefix}pg_old (v) VALUES ('after')");`,
    );
    await sync(a, b);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(b.site, `global $wpdb; $result = $wpdb->get_col("SELECT v FROM {$wpdb->prefix}pg_old ORDER BY id");`)).toEqual([
      'before',
      'after',
    ]);
  });

  it('drains at the end of a page request (the editor creating an auto-draft)', async () => {
    const editor = await a.site.visit('/wp-admin/post-new.php');
    expect(editor.response.httpStatusCode).toBe(200);
    const batches = await a.take();
    expect(batches.flatMap((batch) => batch.rows)).toContainEqual(
      expect.objectContaining({ table: 'wp_posts', row: expect.objectContaining({ post_status: 'auto-draft' }) }),
    );
    await sync({ ...a, take: async () => batches }, b);
    expect(await differences(a, b)).toEqual([]);
  });

  it('keeps three triggers per table through ALTERs on both sites', async () => {
    const before = await triggerCount(a);
    expect(before).toBeGreaterThan(0);
    expect(await triggerCount(b)).toBe(before);
    await inWordPress(a.site, `global $wpdb; $wpdb->query("ALTER TABLE {$wpdb->posts} ADD COLUMN pg_extra varchar(20) NOT NULL DEFAULT ''"); $wpdb->query("ALTER TABLE {$wpdb->posts} ADD INDEX pg_extra (pg_extra)");`);
    expect(await triggerCount(a)).toBe(before);
    await sync(a, b);
    expect(await triggerCount(b)).toBe(before);
    // Writes after the ALTER are still captured on both sides.
    await inWordPress(b.site, `global $wpdb; $wpdb->update($wpdb->posts, array('pg_extra' => 'from b'), array('ID' => 1));`);
    await sync(b, a);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(a.site, `global $wpdb; $result = $wpdb->get_var("SELECT pg_extra FROM {$wpdb->posts} WHERE ID = 1");`)).toBe('from b');
  });

  it('installs again idempotently after a reload wiped its PHP, sending what was captured meanwhile', async () => {
    const triggers = await triggerCount(a);
    // What a page reload does to /internal: the engine's PHP is gone, the database (and triggers) stay.
    await a.site.client.unlink(ENGINE_PRELOAD_PATH);
    await a.site.client.rmdir(ENGINE_DIR, { recursive: true });
    const heard = a.signals;
    await inWordPress(a.site, `update_option('pg_while_detached', 'kept');`);
    expect(a.signals).toBe(heard);

    await installCapture(a.site.client, { peerId: a.peerId });
    await installCapture(a.site.client, { peerId: a.peerId });
    expect(await triggerCount(a)).toBe(triggers);
    // The second install's own request end may have drained it already; a capturing pull takes whatever is left.
    const batches = await a.drain();
    expect(batches.flatMap((batch) => batch.rows)).toContainEqual(
      expect.objectContaining({ table: 'wp_options', row: expect.objectContaining({ option_name: 'pg_while_detached' }) }),
    );
    await sync({ ...a, take: async () => batches }, b);
    expect(await differences(a, b)).toEqual([]);
  });

  it('keeps a drained batch nobody heard of in the outbox, leaves word for the extension, and never numbers two alike', async () => {
    // A PHP instance nobody listens to (older Playground builds): its drain gets no answer.
    a.listening = false;
    try {
      await inWordPress(a.site, `update_option('pg_unheard', 'waits');`);
    } finally {
      a.listening = true;
    }
    expect(await a.site.client.fileExists(CHANGES_SIGNAL_PATH)).toBe(true);
    await inWordPress(a.site, `update_option('pg_heard', 'next');`);
    const batches = await a.take();
    expect(batches.map((batch) => batch.seq)).toEqual([batches[0]!.seq, batches[0]!.seq + 1]);
    expect(batches.flatMap((batch) => batch.rows)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: 'wp_options', row: expect.objectContaining({ option_name: 'pg_unheard' }) }),
        expect.objectContaining({ table: 'wp_options', row: expect.objectContaining({ option_name: 'pg_heard' }) }),
      ]),
    );
    expect(await a.site.client.fileExists(CHANGES_SIGNAL_PATH)).toBe(false);
    await sync({ ...a, take: async () => batches }, b);
    expect(await differences(a, b)).toEqual([]);
  });

});
