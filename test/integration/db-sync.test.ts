import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeBatch } from '../../src/db';
import { isLocalOnlyRow } from '../../src/sync/local-only';
import { cellBytes } from '../harness';
import {
  ALL_COMBINATIONS,
  bootCapturedPair,
  differences,
  dump,
  inWordPress,
  sync,
  type CapturedSite,
} from './db-support';

/**
 * The main scenario, on both drivers and both WordPress versions: content made on one site
 * through WordPress's own APIs (and a plugin's dbDelta tables, raw binary values) arrives on the
 * other through capture → drain → applyBatch, in both directions, and the two sites end equal.
 */

const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x22, 0x5c, 0x0a, 0xc3, 0x28]);
const INVALID_UTF8 = Buffer.from([0x61, 0xc3, 0x28, 0xa0, 0xa1, 0x62]);

function changedRows(batches: readonly ChangeBatch[]) {
  return batches.flatMap((batch) => batch.rows);
}

describe.each(ALL_COMBINATIONS)('database sync on the $driver driver, WordPress $wp', (combination) => {
  let a: CapturedSite;
  let b: CapturedSite;

  beforeAll(async () => {
    [a, b] = await bootCapturedPair(combination, 'main');
  });

  afterAll(async () => {
    await a?.site.dispose();
    await b?.site.dispose();
  });

  it('starts from two equal sites', async () => {
    expect(await differences(a, b, [])).toEqual([]);
  });

  it('syncs posts with meta, terms, comments, a user and options, rewriting the site URL', async () => {
    const ids = (await inWordPress(
      a.site,
      `
      $cat = wp_insert_term('Travel', 'category');
      $post = wp_insert_post(array(
        'post_title' => 'Hello from A',
        'post_status' => 'publish',
        'post_category' => array($cat['term_id']),
        'tags_input' => array('sync', 'playground'),
      ));
      // Block markup with a JSON-escaped URL, stored as an editor would (wp_insert_post's filters
      // would re-serialize the block attributes with plain slashes).
      global $wpdb;
      $wpdb->update($wpdb->posts, array('post_content' =>
        '<!-- wp:image {"url":"' . str_replace('/', '\\\\/', home_url('/wp-content/uploads/a.png')) . '"} -->'
        . '<figure><img src="' . home_url('/wp-content/uploads/a.png') . '"/></figure><!-- /wp:image -->'), array('ID' => $post));
      add_post_meta($post, 'mood', 'sunny');
      add_post_meta($post, 'links', array('home' => home_url('/'), 'list' => array(home_url('/x'))));
      $comment = wp_insert_comment(array('comment_post_ID' => $post, 'comment_content' => 'Nice', 'comment_approved' => 0));
      add_comment_meta($comment, 'rating', 5);
      $user = wp_insert_user(array('user_login' => 'editor1', 'user_pass' => 'secret', 'role' => 'editor', 'user_url' => home_url('/me')));
      update_user_meta($user, 'nickname', 'Ed');
      add_option('pg_serialized', array('url' => home_url('/x'), 'nested' => array('a' => home_url('/y'), 'n' => 3)));
      update_option('blogdescription', 'Synced at ' . home_url());
      $result = array('post' => $post, 'comment' => $comment, 'user' => $user);
      `,
    )) as { post: number; comment: number; user: number };
    await sync(a, b);
    expect(await differences(a, b)).toEqual([]);

    const onB = await inWordPress(
      b.site,
      `
      $post = get_post(${ids.post});
      $result = array(
        'title' => $post->post_title,
        'content' => $post->post_content,
        'links' => get_post_meta(${ids.post}, 'links', true),
        'tags' => wp_get_post_tags(${ids.post}, array('fields' => 'names')),
        'option' => get_option('pg_serialized'),
        'user' => get_userdata(${ids.user})->user_url,
        'home' => home_url(),
      );
      `,
    );
    const home = b.site.siteUrl.replace(/\/$/, '');
    expect(onB).toMatchObject({
      title: 'Hello from A',
      links: { home: `${home}/`, list: [`${home}/x`] },
      tags: expect.arrayContaining(['sync', 'playground']),
      option: { url: `${home}/x`, nested: { a: `${home}/y`, n: 3 } },
      user: `${home}/me`,
      home,
    });
    const content = (onB as { content: string }).content;
    expect(content).toContain(`"url":"${home.replaceAll('/', '\\/')}\\/wp-content\\/uploads\\/a.png"`);
    expect(content).toContain(`<img src="${home}/wp-content/uploads/a.png"/>`);
    expect(content).not.toContain(a.site.siteUrl.replace(/\/$/, ''));

    // Edits on B travel back to A.
    await inWordPress(
      b.site,
      `
      wp_update_post(array('ID' => ${ids.post}, 'post_title' => 'Edited on B'));
      update_post_meta(${ids.post}, 'mood', 'rainy');
      wp_set_post_tags(${ids.post}, array('edited'), true);
      wp_set_comment_status(${ids.comment}, 'approve');
      wp_update_user(array('ID' => ${ids.user}, 'display_name' => 'Editor One'));
      `,
    );
    await sync(b, a);
    expect(await differences(a, b)).toEqual([]);

    // Trash one post, delete another for good, delete the user, the option and the comment meta.
    await inWordPress(
      a.site,
      `
      $second = wp_insert_post(array('post_title' => 'Short-lived', 'post_status' => 'publish'));
      add_post_meta($second, 'gone', 'soon');
      wp_delete_post($second, true);
      wp_trash_post(${ids.post});
      delete_comment_meta(${ids.comment}, 'rating');
      require_once ABSPATH . 'wp-admin/includes/user.php';
      wp_delete_user(${ids.user});
      delete_option('pg_serialized');
      `,
    );
    await sync(a, b);
    expect(await differences(a, b)).toEqual([]);
    expect(await inWordPress(b.site, `$result = get_post_status(${ids.post});`)).toBe('trash');
  });

  it('syncs a plugin-like dbDelta table, an added column and rows, BLOB and invalid UTF-8 byte for byte', async () => {
    await inWordPress(
      a.site,
      `
      require_once ABSPATH . 'wp-admin/includes/upgrade.php';
      global $wpdb;
      dbDelta("CREATE TABLE {$wpdb->prefix}pg_plugin (
        id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
        name varchar(100) NOT NULL,
        payload longblob,
        PRIMARY KEY  (id),
        KEY name (name)
      ) {$wpdb->get_charset_collate()};");
      $wpdb->insert($wpdb->prefix . 'pg_plugin', array('name' => 'first'));
      $wpdb->insert($wpdb->prefix . 'pg_plugin', array('name' => 'second'));
      `,
    );
    await sync(a, b);
    expect(await differences(a, b)).toEqual([]);

    // Version 2 of the plugin adds a column; rows written right after the ALTER, in the same request, must travel.
    await inWordPress(
      a.site,
      `
      require_once ABSPATH . 'wp-admin/includes/upgrade.php';
      global $wpdb;
      dbDelta("CREATE TABLE {$wpdb->prefix}pg_plugin (
        id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
        name varchar(100) NOT NULL,
        payload longblob,
        label varchar(50) NOT NULL DEFAULT 'none',
        PRIMARY KEY  (id),
        KEY name (name)
      ) {$wpdb->get_charset_collate()};");
      $wpdb->insert($wpdb->prefix . 'pg_plugin', array('name' => 'third', 'label' => 'after alter'));
      $wpdb->update($wpdb->prefix . 'pg_plugin', array('label' => 'relabelled'), array('name' => 'first'));
      // Bytes that are not text: raw PDO, as a plugin storing files or hashes might.
      $pdo = method_exists($wpdb, 'get_driver') ? $wpdb->get_driver()->get_sqlite_pdo() : $wpdb->dbh->get_pdo();
      $blob = $pdo->prepare("UPDATE {$wpdb->prefix}pg_plugin SET payload = ? WHERE name = 'second'");
      $blob->bindValue(1, base64_decode('${BINARY.toString('base64')}'), PDO::PARAM_LOB);
      $blob->execute();
      $text = $pdo->prepare("UPDATE {$wpdb->posts} SET post_excerpt = ? WHERE ID = 1");
      $text->bindValue(1, base64_decode('${INVALID_UTF8.toString('base64')}'), PDO::PARAM_STR);
      $text->execute();
      `,
    );
    const batches = await a.take();
    expect(batches.flatMap((batch) => batch.ddl.map((ddl) => ddl.table))).toContain('wp_pg_plugin');
    for (const batch of batches) {
      await sync({ ...a, take: async () => [batch] }, b);
    }
    expect(await differences(a, b)).toEqual([]);

    const state = await dump(b);
    const rows = state.tables['wp_pg_plugin'] ?? [];
    expect(rows.map((row) => [row['name'], row['label']])).toEqual([
      ['first', 'relabelled'],
      ['second', 'none'],
      ['third', 'after alter'],
    ]);
    const blob = rows.find((row) => row['name'] === 'second')?.['payload'];
    expect(blob).toEqual({ $blob: BINARY.toString('base64') });
    const excerpt = state.tables['wp_posts']?.find((row) => row['ID'] === 1)?.['post_excerpt'];
    expect(excerpt).toEqual({ $b64: INVALID_UTF8.toString('base64') });
    expect(Buffer.from(cellBytes(excerpt ?? null) ?? []).equals(INVALID_UTF8)).toBe(true);
  });

  it('never sends local-only rows: transients, cron, session tokens', async () => {
    await inWordPress(
      a.site,
      `
      set_transient('pg_local', 'cache');
      set_site_transient('pg_local_site', 'cache');
      wp_schedule_single_event(time() + 3600, 'pg_local_event');
      $manager = WP_Session_Tokens::get_instance(1);
      $manager->create(time() + 3600);
      update_option('pg_shared', 'travels');
      `,
    );
    await inWordPress(a.site, `delete_transient('pg_local'); set_site_transient('pg_local_site', 'changed');`);
    const batches = await a.take();
    const rows = changedRows(batches);
    expect(rows.filter((row) => row.op === 'upsert' && row.row['option_name'] === 'pg_shared')).toHaveLength(1);
    const local = rows.filter((row) => row.op === 'upsert' && isLocalOnlyRow(row.table, 'wp_', row.row));
    expect(local).toEqual([]);
    const tokensOnB = `$result = get_user_meta(1, 'session_tokens', true);`;
    const tokensBefore = await inWordPress(b.site, tokensOnB);
    await b.take();
    for (const batch of batches) await sync({ ...a, take: async () => [batch] }, b);

    const onB = await inWordPress(
      b.site,
      `
      global $wpdb;
      $result = array(
        'transients' => $wpdb->get_col("SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE '%pg_local%'"),
        'cron' => wp_next_scheduled('pg_local_event'),
        'shared' => get_option('pg_shared'),
      );
      `,
    );
    expect(await inWordPress(b.site, tokensOnB)).toEqual(tokensBefore);
    expect(onB).toEqual({ transients: [], cron: false, shared: 'travels' });
    expect(await differences(a, b)).toEqual([]);
  });

  it('splits a request that wrote more than one batch holds into bounded batches, in order, with the schema change first', async () => {
    await b.take();
    // 10,500 small rows (over the row bound) and three rows of 1.2 MB (over the byte bound), with a table made first.
    await inWordPress(
      a.site,
      `
      global $wpdb;
      require_once ABSPATH . 'wp-admin/includes/upgrade.php';
      dbDelta("CREATE TABLE {$wpdb->prefix}pg_bulk (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, label varchar(40) NOT NULL, PRIMARY KEY  (id))");
      for ($first = 0; $first < 10500; $first += 500) {
        $values = array();
        for ($n = $first; $n < $first + 500; $n++) $values[] = $wpdb->prepare('(%s)', "bulk $n");
        $wpdb->query("INSERT INTO {$wpdb->prefix}pg_bulk (label) VALUES " . implode(',', $values));
      }
      foreach (array('one', 'two', 'three') as $name) update_option("pg_big_$name", str_repeat($name, 400000), false);
      `,
    );
    const batches = await a.take();
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.map((batch) => batch.seq)).toEqual(batches.map((_, i) => batches[0]!.seq + i));
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.hlc > batches[i - 1]!.hlc).toBe(true);
    expect(batches[0]!.ddl.map((change) => change.sql).join('\n')).toMatch(/pg_bulk/);
    expect(batches.slice(1).flatMap((batch) => batch.ddl)).toEqual([]);
    for (const batch of batches) {
      expect(batch.rows.length).toBeLessThanOrEqual(10000);
      // About 2 MiB of rows a batch: a row that would cross the bound starts the next one.
      if (batch.rows.length > 1) expect(JSON.stringify(batch.rows).length).toBeLessThanOrEqual(2 * 1024 * 1024 + 2 * batch.rows.length);
    }
    const bulk = changedRows(batches).filter((row) => row.table === 'wp_pg_bulk');
    expect(bulk).toHaveLength(10500);
    await sync({ ...a, take: async () => batches }, b);
    expect(await inWordPress(b.site, `global $wpdb; $result = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}pg_bulk");`)).toBe(10500);
    expect(await inWordPress(b.site, `$result = strlen(get_option('pg_big_three'));`)).toBe(2_000_000);
    expect(await differences(a, b)).toEqual([]);
  });
});
