import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { groupRange, installIdShards, planIdShards, readIdShardStatus, slotNaturalZone, slotRange, surveyIdTables, type IdRange, type IdShardPlan } from '../../src/ids';
import type { SiteClient } from '../../src/platform/site-client';
import { bootNodeSite, type NodeSite, type SqliteDriverId, type WordPressVersionId } from '../harness';

/**
 * ID shards on real WordPress: sites booted from the same snapshot, sharded in slots 0 (A) and 1
 * (B) of one plan (and C in slot 2 where a test needs a third member), each creating content
 * through WordPress's own API while the others' rows arrive as the replay will bring them (raw
 * PDO, explicit IDs).
 */

const COMBINATIONS: readonly (readonly [SqliteDriverId, WordPressVersionId])[] = [
  ['ast', '6.5'],
  ['legacy', '6.5'],
  ['ast', 'nightly'],
  ['legacy', 'nightly'],
];

const SLOT_A = 0;
const SLOT_B = 1;
const SLOT_C = 2;

const OUT_MARKER = '\n@@ID_SHARDS_TEST@@';

/** Runs `body` after a full WordPress load (plugins and hooks live); `body` sets `$out`. */
async function wp<T = Record<string, unknown>>(client: SiteClient, body: string): Promise<T> {
  const response = await client.run({
    code: `<?php require '/wordpress/wp-load.php'; global $wpdb; $out = null; ob_start();
${body}
$printed = ob_get_clean(); echo ${JSON.stringify(OUT_MARKER)}, json_encode(array('out' => $out, 'printed' => $printed));`,
  });
  const at = response.text.lastIndexOf(OUT_MARKER);
  if (at < 0) throw new Error(`No answer (exit ${response.exitCode}):\n${response.text}\n${response.errors}`);
  const answer = JSON.parse(response.text.slice(at + OUT_MARKER.length)) as { out: T; printed: string };
  return answer.out;
}

/** Creates a post with meta, a new category, tags, a comment with meta and a user, through WordPress's API. */
const CREATE_CONTENT = `
$post = wp_insert_post(array(
	'post_title' => 'Post from ' . PEER,
	'post_status' => 'publish',
	// Quotes, parentheses and comment markers inside values must not confuse the rewrite.
	'post_content' => "It's \\"quoted\\" (with parens) -- not a comment /* nor this */ # nor this; VALUES (1, 2)",
), true);
if (is_wp_error($post)) { $out = array('error' => $post->get_error_message(), 'db' => $wpdb->last_error); return; }
$meta = add_post_meta($post, 'color', 'blue-' . PEER);
$category = wp_insert_term('Category ' . PEER, 'category');
wp_set_post_terms($post, array($category['term_id']), 'category');
wp_set_post_tags($post, array('tag-' . PEER), false);
$tag = get_term_by('slug', 'tag-' . PEER, 'post_tag');
$comment = wp_insert_comment(array('comment_post_ID' => $post, 'comment_content' => 'Comment from ' . PEER, 'comment_approved' => 1));
$comment_meta = add_comment_meta($comment, 'mood', 'good');
$user = wp_insert_user(array('user_login' => 'user-' . PEER, 'user_pass' => 'secret', 'user_email' => PEER . '@example.com'));
$wpdb->insert($wpdb->postmeta, array('post_id' => $post, 'meta_key' => 'direct', 'meta_value' => 'wpdb-insert'));
$direct_meta = $wpdb->insert_id;
$out = array(
	'post' => $post,
	'postTitle' => get_post($post) ? get_post($post)->post_title : null,
	'meta' => $meta,
	'metaPostIds' => array_map('intval', $wpdb->get_col($wpdb->prepare("SELECT post_id FROM $wpdb->postmeta WHERE meta_id IN (%d, %d)", $meta, $direct_meta))),
	'directMeta' => $direct_meta,
	'directMetaValue' => $wpdb->get_var($wpdb->prepare("SELECT meta_value FROM $wpdb->postmeta WHERE meta_id = %d", $direct_meta)),
	'term' => (int) $category['term_id'],
	'termTaxonomy' => (int) $category['term_taxonomy_id'],
	'tag' => (int) $tag->term_id,
	'postTerms' => array_map('intval', wp_get_object_terms($post, array('category', 'post_tag'), array('fields' => 'ids', 'orderby' => 'term_id'))),
	'comment' => $comment,
	'commentPost' => (int) get_comment($comment)->comment_post_ID,
	'commentMeta' => $comment_meta,
	'user' => $user,
	'userLogin' => get_userdata($user)->user_login,
	'userMetaIds' => array_map('intval', $wpdb->get_col($wpdb->prepare("SELECT umeta_id FROM $wpdb->usermeta WHERE user_id = %d", $user))),
);
`;

function createContent(client: SiteClient, peer: string) {
  return wp<{
    post: number;
    postTitle: string | null;
    meta: number;
    metaPostIds: number[];
    directMeta: number;
    directMetaValue: string;
    term: number;
    termTaxonomy: number;
    tag: number;
    postTerms: number[];
    comment: number;
    commentPost: number;
    commentMeta: number;
    user: number;
    userLogin: string;
    userMetaIds: number[];
    error?: string;
  }>(client, `define('PEER', ${JSON.stringify(peer)});\n${CREATE_CONTENT}`);
}

/**
 * Copies rows as the replay will write them: raw PDO, explicit IDs, no hooks. Each copy is the
 * row of `table` whose key is `from`, with `overrides` applied (the new key among them).
 */
async function cloneRowsRaw(
  client: SiteClient,
  table: string,
  copies: { from: number; overrides: Record<string, string | number> }[],
): Promise<void> {
  const done = await wp<boolean>(
    client,
    `$pdo = playground_sync_id_shards_pdo();
$table = $wpdb->prefix . ${JSON.stringify(table)};
$pk = playground_sync_id_shards_autoincrement_pk($pdo, $table);
foreach (json_decode(${JSON.stringify(JSON.stringify(copies))}, true) as $copy) {
	$read = $pdo->prepare("SELECT * FROM \\"$table\\" WHERE \\"$pk\\" = ?");
	$read->execute(array($copy['from']));
	$row = array_merge($read->fetch(PDO::FETCH_ASSOC), $copy['overrides']);
	$columns = array_keys($row);
	$pdo->prepare("INSERT INTO \\"$table\\" (\\"" . implode('", "', $columns) . '") VALUES (' . implode(', ', array_fill(0, count($columns), '?')) . ')')->execute(array_values($row));
}
$out = true;`,
  );
  expect(done).toBe(true);
}

/** What SQLite itself would hand out next for `table`: max(sqlite_sequence, max(rowid)) + 1. */
async function nativeNextId(client: SiteClient, table: string): Promise<number> {
  return wp<number>(
    client,
    `$pdo = playground_sync_id_shards_pdo();
$table = $wpdb->prefix . ${JSON.stringify(table)};
$seq = $pdo->prepare('SELECT seq FROM sqlite_sequence WHERE name = ?');
$seq->execute(array($table));
$out = max((int) $seq->fetchColumn(), (int) $pdo->query("SELECT max(rowid) FROM \\"$table\\"")->fetchColumn()) + 1;`,
  );
}

/**
 * Copies `from`'s posts and post meta with IDs in `range` to `to` as the replay will: explicit IDs
 * through raw PDO. Answers the copied posts' IDs and how many meta rows went along.
 */
async function copyPostsInRange(from: NodeSite, to: NodeSite, range: IdRange): Promise<{ posts: number[]; meta: number }> {
  const rows = await wp<{ posts: Record<string, string>[]; meta: Record<string, string>[] }>(
    from.client,
    `$out = array(
	'posts' => $wpdb->get_results("SELECT * FROM $wpdb->posts WHERE ID >= ${range.lo} AND ID < ${range.hi} ORDER BY ID", ARRAY_A),
	'meta' => $wpdb->get_results("SELECT * FROM $wpdb->postmeta WHERE meta_id >= ${range.lo} AND meta_id < ${range.hi} ORDER BY meta_id", ARRAY_A));`,
  );
  const inserted = await wp<{ error: string | null }>(
    to.client,
    `$pdo = playground_sync_id_shards_pdo();
$data = json_decode(${JSON.stringify(JSON.stringify(rows))}, true);
try {
	foreach (array($wpdb->posts => $data['posts'], $wpdb->postmeta => $data['meta']) as $table => $table_rows) {
		foreach ($table_rows as $row) {
			$columns = array_keys($row);
			$pdo->prepare("INSERT INTO \\"$table\\" (\\"" . implode('", "', $columns) . '") VALUES (' . implode(', ', array_fill(0, count($columns), '?')) . ')')->execute(array_values($row));
		}
	}
	$out = array('error' => null);
} catch (PDOException $e) { $out = array('error' => $e->getMessage()); }`,
  );
  expect(inserted.error).toBeNull();
  return { posts: rows.posts.map((row) => Number(row['ID'])), meta: rows.meta.length };
}

function inRange(id: number, range: IdRange): boolean {
  return id >= range.lo && id < range.hi;
}

describe.each(COMBINATIONS)('ID shards on the %s driver, WordPress %s', (driver, version) => {
  let a: NodeSite;
  let b: NodeSite;
  /** A third member, sharded only by the tests that need it. */
  let c: NodeSite;
  let plan: IdShardPlan;

  beforeAll(async () => {
    const scope = `${driver}-${version.replace('.', '')}`;
    a = await bootNodeSite({ driver, wp: version, siteUrl: `https://playground.wordpress.net/scope:ids-${scope}-a/` });
    b = await bootNodeSite({ driver, wp: version, siteUrl: `https://playground.wordpress.net/scope:ids-${scope}-b/` });
    c = await bootNodeSite({ driver, wp: version, siteUrl: `https://playground.wordpress.net/scope:ids-${scope}-c/` });
  });

  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
    await c?.dispose();
  });

  beforeEach(async () => {
    await a.resetDatabase();
    await b.resetDatabase();
    plan = planIdShards({ sites: [await surveyIdTables(a.client), await surveyIdTables(b.client)] });
    expect(await installIdShards(a.client, plan, SLOT_A)).toMatchObject({ status: 'installed' });
    expect(await installIdShards(b.client, plan, SLOT_B)).toMatchObject({ status: 'installed' });
  });

  it('gives content created through WordPress IDs from each slot\'s own range, with the right insert_id', async () => {
    for (const [site, peer, slot] of [
      [a, 'peer-a', SLOT_A],
      [b, 'peer-b', SLOT_B],
    ] as const) {
      const range = slotRange(plan, slot);
      const made = await createContent(site.client, peer);
      expect(made.error).toBeUndefined();
      for (const id of [made.post, made.meta, made.directMeta, made.term, made.termTaxonomy, made.tag, made.comment, made.commentMeta, made.user, ...made.userMetaIds]) {
        expect(inRange(id, range), `${id} in [${range.lo}, ${range.hi})`).toBe(true);
      }
      expect(made.postTitle).toBe(`Post from ${peer}`);
      expect(made.metaPostIds).toEqual([made.post, made.post]);
      expect(made.directMetaValue).toBe('wpdb-insert');
      expect(made.postTerms).toEqual([made.term, made.tag].sort((x, y) => x - y));
      expect(made.commentPost).toBe(made.post);
      expect(made.userLogin).toBe(`user-${peer}`);
      expect(made.userMetaIds.length).toBeGreaterThan(5);
    }
    const status = await readIdShardStatus(a.client);
    expect(status).toMatchObject({ plan, slot: SLOT_A, selfRange: slotRange(plan, SLOT_A), groupRange: groupRange(plan) });
    expect(status?.tables.find((table) => table.table === 'wp_posts')).toMatchObject({ pk: 'ID', state: 'ok', refused: 0 });
  });

  it('takes every table\'s new IDs from one cursor: no ID of the group zone keys rows in two tables', async () => {
    const made = await createContent(a.client, 'peer-a');
    expect(made.error).toBeUndefined();
    const ids = [made.post, made.meta, made.directMeta, made.term, made.termTaxonomy, made.tag, made.comment, made.commentMeta, made.user, ...made.userMetaIds];
    expect(new Set(ids).size).toBe(ids.length);
    const more = await createContent(a.client, 'peer-a2');
    expect(Math.min(more.post, more.meta, more.term, more.comment, more.user)).toBeGreaterThan(Math.max(...ids));
    const status = await readIdShardStatus(a.client);
    const nexts = new Set(status?.tables.map((table) => table.next));
    expect(nexts.size).toBe(1);
  });

  it('keeps new local IDs in the local range after rows with another slot\'s higher IDs arrive', async () => {
    const own = slotRange(plan, SLOT_A);
    const foreign = slotRange(plan, SLOT_B);
    const arriving = (n: number) => foreign.lo + 7 + n;
    await cloneRowsRaw(a.client, 'posts', [{ from: 1, overrides: { ID: arriving(0), post_title: 'From B', post_name: 'from-b' } }]);
    await cloneRowsRaw(a.client, 'postmeta', [{ from: 1, overrides: { meta_id: arriving(1), post_id: arriving(0) } }]);
    await cloneRowsRaw(a.client, 'terms', [{ from: 1, overrides: { term_id: arriving(2), name: 'B cat', slug: 'b-cat' } }]);
    await cloneRowsRaw(a.client, 'term_taxonomy', [{ from: 1, overrides: { term_taxonomy_id: arriving(3), term_id: arriving(2) } }]);
    await cloneRowsRaw(a.client, 'comments', [{ from: 1, overrides: { comment_ID: arriving(4), comment_post_ID: arriving(0) } }]);
    await cloneRowsRaw(a.client, 'users', [{ from: 1, overrides: { ID: arriving(5), user_login: 'from-b', user_nicename: 'from-b' } }]);
    await cloneRowsRaw(a.client, 'usermeta', [{ from: 1, overrides: { umeta_id: arriving(6), user_id: arriving(5) } }]);
    // SQLite alone would continue above the arrived rows, in B's range, were the sequences not
    // lifted: it numbers in A's own zone instead, above every slot's range.
    expect(await nativeNextId(a.client, 'posts')).toBe(slotNaturalZone(plan, SLOT_A).lo);

    const made = await createContent(a.client, 'peer-a');
    expect(made.error).toBeUndefined();
    for (const id of [made.post, made.meta, made.directMeta, made.term, made.termTaxonomy, made.tag, made.comment, made.commentMeta, made.user, ...made.userMetaIds]) {
      expect(inRange(id, own), `${id} in [${own.lo}, ${own.hi})`).toBe(true);
    }
    expect(made.postTitle).toBe('Post from peer-a');
    expect(made.metaPostIds).toEqual([made.post, made.post]);
    const arrived = await wp<{ title: string; meta: string }>(
      a.client,
      `$out = array('title' => get_post(${arriving(0)})->post_title, 'meta' => $wpdb->get_var("SELECT post_id FROM $wpdb->postmeta WHERE meta_id = ${arriving(1)}"));`,
    );
    expect(arrived).toEqual({ title: 'From B', meta: String(arriving(0)) });
  });

  it('steps over IDs already used inside the local range (an explicit import)', async () => {
    const own = slotRange(plan, SLOT_A);
    // One cursor for every table: WordPress's own first rows (nightly adds options on its first request) may come first.
    const first = await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'First', 'post_status' => 'draft'));`);
    expect(inRange(first, own)).toBe(true);
    const imported = await wp<number>(
      a.client,
      `$out = wp_insert_post(array('import_id' => ${first + 5}, 'post_title' => 'Imported', 'post_status' => 'draft'));`,
    );
    expect(imported).toBe(first + 5);
    // A row from another slot too, so neither a bare cursor (lo + 1) nor SQLite (above it) would do.
    await cloneRowsRaw(a.client, 'posts', [{ from: 1, overrides: { ID: slotRange(plan, SLOT_B).lo + 9, post_name: 'from-b' } }]);
    const next = await wp<number[]>(
      a.client,
      `$out = array();
for ($i = 0; $i < 2; $i++) { $out[] = wp_insert_post(array('post_title' => "After import $i", 'post_status' => 'draft')); }`,
    );
    expect(next).toEqual([first + 6, first + 7]);
  });

  it('gives options from add_option an ID in the local range; add_option, update_option and delete_option work', async () => {
    for (const [site, slot] of [
      [a, SLOT_A],
      [b, SLOT_B],
    ] as const) {
      const own = slotRange(plan, slot);
      const result = await wp<{
        added: boolean;
        insertId: number;
        value: unknown;
        updated: boolean;
        again: boolean;
        after: unknown;
        id: number;
        viaUpdateId: number;
        upsert: { result: unknown; error: string; rows: string[][] };
        deleted: boolean;
        error: string;
      }>(
        site.client,
        `$added = add_option('pgs_shard_option', array('x' => 1));
$insert_id = $wpdb->insert_id;
$updated = update_option('pgs_shard_option', array('x' => 2));
$again = add_option('pgs_shard_option', 'ignored');
wp_cache_flush();
$after = get_option('pgs_shard_option');
$id = (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = 'pgs_shard_option'");
update_option('pgs_new_via_update', 'yes');
$via_update_id = (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = 'pgs_new_via_update'");
// add_option's statement for a name that exists (add_option itself checks first): updated in place.
$upsert = $wpdb->query("INSERT INTO \`$wpdb->options\` (\`option_name\`, \`option_value\`, \`autoload\`) VALUES ('pgs_new_via_update', 'again', 'no') ON DUPLICATE KEY UPDATE \`option_name\` = VALUES(\`option_name\`), \`option_value\` = VALUES(\`option_value\`), \`autoload\` = VALUES(\`autoload\`)");
$upsert = array('result' => $upsert, 'error' => $wpdb->last_error, 'rows' => $wpdb->get_results("SELECT option_id, option_value, autoload FROM $wpdb->options WHERE option_name = 'pgs_new_via_update'", ARRAY_N));
$out = array('added' => $added, 'insertId' => $insert_id, 'updated' => $updated, 'again' => $again, 'value' => get_option('pgs_new_via_update'), 'after' => $after, 'id' => $id,
	'viaUpdateId' => $via_update_id, 'upsert' => $upsert, 'deleted' => delete_option('pgs_shard_option'), 'error' => $wpdb->last_error);`,
      );
      expect(result).toMatchObject({ added: true, updated: true, again: false, value: 'yes', after: { x: 2 }, deleted: true, error: '' });
      expect(inRange(result.id, own), `${result.id} in [${own.lo}, ${own.hi})`).toBe(true);
      expect(result.insertId).toBe(result.id);
      expect(inRange(result.viaUpdateId, own), `${result.viaUpdateId} in [${own.lo}, ${own.hi})`).toBe(true);
      expect(result.upsert.error).toBe('');
      expect(result.upsert.result).toBeTruthy();
      expect(result.upsert.rows).toEqual([[String(result.viaUpdateId), 'again', 'no']]);
    }
  });

  it('gives a table a plugin creates later a range, in the request that creates it and after', async () => {
    const own = slotRange(plan, SLOT_B);
    const created = await wp<{ ids: number[]; names: string[]; error: string }>(
      b.client,
      `require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$table = $wpdb->prefix . 'pgs_things';
dbDelta("CREATE TABLE $table (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  name varchar(50) NOT NULL default '',
  PRIMARY KEY  (id)
) " . $wpdb->get_charset_collate() . ";");
$ids = array();
foreach (array('one', 'two') as $name) { $wpdb->insert($table, array('name' => $name)); $ids[] = $wpdb->insert_id; }
$out = array('ids' => $ids, 'names' => $wpdb->get_col("SELECT name FROM $table ORDER BY id"), 'error' => $wpdb->last_error);`,
    );
    const [one = 0] = created.ids;
    expect(inRange(one, own)).toBe(true);
    expect(created).toEqual({ ids: [one, one + 1], names: ['one', 'two'], error: '' });
    const later = await wp<number>(b.client, `$wpdb->insert($wpdb->prefix . 'pgs_things', array('name' => 'three')); $out = $wpdb->insert_id;`);
    expect(later).toBe(one + 2);
    const status = await readIdShardStatus(b.client);
    expect(status?.tables.find((table) => table.table === 'wp_pgs_things')).toMatchObject({ pk: 'id', range: own, next: one + 3 });
  });

  it('keeps allocating in the local range after an ALTER rebuilds wp_posts', async () => {
    const own = slotRange(plan, SLOT_A);
    const foreign = slotRange(plan, SLOT_B);
    await cloneRowsRaw(a.client, 'posts', [{ from: 1, overrides: { ID: foreign.lo + 50, post_name: 'from-b' } }]);
    const result = await wp<{ altered: unknown; post: number; title: string; error: string }>(
      a.client,
      `$altered = $wpdb->query("ALTER TABLE $wpdb->posts ADD COLUMN pgs_extra varchar(20) NOT NULL DEFAULT ''");
$post = wp_insert_post(array('post_title' => 'After ALTER', 'post_status' => 'draft'));
$out = array('altered' => $altered, 'post' => $post, 'title' => get_post($post)->post_title, 'error' => $wpdb->last_error);`,
    );
    // The AST driver answers true (and rebuilds the table, resetting sqlite_sequence), legacy 1.
    expect(result.altered).toBeTruthy();
    expect(result).toMatchObject({ title: 'After ALTER', error: '' });
    expect(inRange(result.post, own)).toBe(true);
    const next = await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'Next request', 'post_status' => 'draft'));`);
    expect(next).toBe(result.post + 1);
    // The rebuilt table's sequence (reset by the AST driver) is lifted again by the next insert.
    expect(await nativeNextId(a.client, 'posts')).toBe(slotNaturalZone(plan, SLOT_A).lo);
  });

  it('refuses an insert once the range is used up instead of taking an ID beyond it, and reports it', async () => {
    const own = slotRange(plan, SLOT_A);
    // A range with three IDs left: as if A had inserted almost 100 million posts.
    await wp(a.client, `playground_sync_id_shards_pdo()->exec("UPDATE _wp_sqlite_pgsync_id_ranges SET next = ${own.hi - 3} WHERE table_name = 'wp_posts'");`);
    expect((await readIdShardStatus(a.client))?.tables.find((table) => table.table === 'wp_posts')).toMatchObject({ left: 3, state: 'low' });
    const result = await wp<{ ok: number[]; multi: unknown; refused: string; error: string; above: number; rows: number }>(
      a.client,
      `$ok = array(wp_insert_post(array('post_title' => 'Last but one', 'post_status' => 'draft')));
$multi = $wpdb->query("INSERT INTO $wpdb->posts (post_title, post_content, post_excerpt, to_ping, pinged, post_content_filtered) VALUES ('m1', '', '', '', '', ''), ('m2', '', '', '', '', ''), ('m3', '', '', '', '', '')");
$ok[] = wp_insert_post(array('post_title' => 'Last but none', 'post_status' => 'draft'));
$ok[] = wp_insert_post(array('post_title' => 'Last', 'post_status' => 'draft'));
$refused = wp_insert_post(array('post_title' => 'One too many', 'post_status' => 'draft'), true);
$out = array('ok' => $ok, 'multi' => $multi,
	'refused' => is_wp_error($refused) ? $refused->get_error_code() : 'inserted ' . $refused,
	'error' => $wpdb->last_error,
	'above' => (int) $wpdb->get_var("SELECT count(*) FROM $wpdb->posts WHERE ID >= ${own.hi}"),
	'rows' => (int) $wpdb->get_var("SELECT count(*) FROM $wpdb->posts WHERE post_title IN ('m1', 'One too many')"));`,
    );
    expect(result.ok).toEqual([own.hi - 3, own.hi - 2, own.hi - 1]);
    expect(result.multi).toBe(false);
    expect(result.refused).toBe('db_insert_error');
    expect(result.error).toContain('playground_sync_id_range_exhausted__wp_posts');
    expect(result.above).toBe(0);
    expect(result.rows).toBe(0);
    const posts = (await readIdShardStatus(a.client))?.tables.find((table) => table.table === 'wp_posts');
    expect(posts).toMatchObject({ left: 0, state: 'exhausted', refused: 2 });
    expect(posts?.refusedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('keeps every row of interleaved inserts on both sites once each side\'s rows are copied over', async () => {
    const rounds = 4;
    const made: Record<'a' | 'b', number[]> = { a: [], b: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, site] of [['a', a], ['b', b]] as const) {
        made[name].push(
          await wp<number>(
            site.client,
            `$id = wp_insert_post(array('post_title' => 'Round ${round} on ${name}', 'post_status' => 'publish'));
add_post_meta($id, 'round', '${round}');
$out = $id;`,
          ),
        );
      }
    }
    expect(new Set([...made.a, ...made.b]).size).toBe(2 * rounds);
    // Both sides' new rows, copied to the other as the replay will: explicit IDs through raw PDO.
    const copy = async (from: NodeSite, to: NodeSite, range: IdRange) => {
      const copied = await copyPostsInRange(from, to, range);
      expect(copied.meta).toBeGreaterThanOrEqual(rounds);
      return copied.posts;
    };
    expect(await copy(a, b, slotRange(plan, SLOT_A))).toEqual(made.a);
    expect(await copy(b, a, slotRange(plan, SLOT_B))).toEqual(made.b);
    const everyPost = `$out = array_map('intval', $wpdb->get_col("SELECT ID FROM $wpdb->posts WHERE post_title LIKE 'Round %' ORDER BY ID"));`;
    const all = [...made.a, ...made.b].sort((x, y) => x - y);
    expect(await wp<number[]>(a.client, everyPost)).toEqual(all);
    expect(await wp<number[]>(b.client, everyPost)).toEqual(all);
    // And after the exchange each side goes on in its own range.
    const after = { a: await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'After', 'post_status' => 'draft'));`), b: await wp<number>(b.client, `$out = wp_insert_post(array('post_title' => 'After', 'post_status' => 'draft'));`) };
    // Past every ID the site took (in any table: the meta rows took some), in its own range.
    expect(after.a).toBeGreaterThan(Math.max(...made.a));
    expect(after.b).toBeGreaterThan(Math.max(...made.b));
    expect(inRange(after.a, slotRange(plan, SLOT_A)) && inRange(after.b, slotRange(plan, SLOT_B))).toBe(true);
  });

  it('installs idempotently, refuses another plan or slot, and refuses a site that already holds IDs in the ranges', async () => {
    expect(await installIdShards(a.client, plan, SLOT_A)).toMatchObject({ status: 'unchanged' });
    await expect(installIdShards(a.client, plan, SLOT_B)).rejects.toMatchObject({ name: 'PhpScriptError', code: 'other-plan' });
    const other = { ...plan, base: plan.base + plan.size * 2 };
    await expect(installIdShards(a.client, other, SLOT_A)).rejects.toMatchObject({ code: 'other-plan' });
    // The refused plans changed nothing: the site still allocates from its first range.
    const stillA = await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'Still A', 'post_status' => 'draft'));`);
    expect(inRange(stillA, slotRange(plan, SLOT_A))).toBe(true);
    expect(await installIdShards(a.client, plan, SLOT_A)).toMatchObject({ status: 'unchanged' });
    expect(await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'Still A', 'post_status' => 'draft'));`)).toBe(stillA + 1);

    await b.resetDatabase();
    await cloneRowsRaw(b.client, 'posts', [{ from: 1, overrides: { ID: plan.base + 3 } }]);
    await expect(installIdShards(b.client, plan, SLOT_B)).rejects.toMatchObject({ code: 'ids-above-base' });
    expect(await readIdShardStatus(b.client)).toBeNull();
  });

  it('replaces the plan of an earlier pairing when asked (a site paired again): new ranges above every ID it holds', async () => {
    const held = await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'Before re-pairing', 'post_status' => 'draft'));`);
    const next = planIdShards({ sites: [await surveyIdTables(a.client)] });
    expect(next.base).toBeGreaterThan(held);
    expect(await installIdShards(a.client, next, SLOT_B, { replace: true })).toMatchObject({ status: 'installed' });
    expect(await wp<number>(a.client, `$out = wp_insert_post(array('post_title' => 'Re-paired', 'post_status' => 'draft'));`)).toBe(
      slotRange(next, SLOT_B).lo,
    );
    expect(await readIdShardStatus(a.client)).toMatchObject({ plan: next, slot: SLOT_B });
    expect(await nativeNextId(a.client, 'posts')).toBe(slotNaturalZone(next, SLOT_B).lo);
    // The same plan in a lower slot: SQLite's own numbering moves down to that slot's zone, out of B's old one.
    expect(await installIdShards(b.client, plan, SLOT_A, { replace: true })).toMatchObject({ status: 'installed' });
    expect(await nativeNextId(b.client, 'posts')).toBe(slotNaturalZone(plan, SLOT_A).lo);
  });

  it('rewrites multi-row VALUES and REPLACE, and leaves explicit keys, INSERT … SELECT and the applying engine alone', async () => {
    const own = slotRange(plan, SLOT_A);
    const result = await wp<Record<string, number | number[]>>(
      a.client,
      `$wpdb->query("INSERT INTO $wpdb->postmeta (post_id, meta_key, meta_value) VALUES (1, 'm', 'one'), (1, 'm', 'two'), (1, 'm', 'three')");
$multi_insert_id = $wpdb->insert_id;
$multi = array_map('intval', $wpdb->get_col("SELECT meta_id FROM $wpdb->postmeta WHERE meta_key = 'm' ORDER BY meta_value"));
$wpdb->replace($wpdb->postmeta, array('post_id' => 1, 'meta_key' => 'r', 'meta_value' => 'replaced'));
$replace = $wpdb->insert_id;
$wpdb->insert($wpdb->postmeta, array('meta_id' => 777, 'post_id' => 1, 'meta_key' => 'explicit', 'meta_value' => 'x'));
$explicit = $wpdb->insert_id;
$wpdb->query("INSERT INTO $wpdb->postmeta (post_id, meta_key, meta_value) SELECT post_id, 'copied', meta_value FROM $wpdb->postmeta WHERE meta_key = 'explicit'");
$selected = (int) $wpdb->get_var("SELECT meta_id FROM $wpdb->postmeta WHERE meta_key = 'copied'");
// A row from another slot: SQLite alone would now number above it.
playground_sync_id_shards_pdo()->exec("INSERT INTO $wpdb->postmeta (meta_id, post_id, meta_key, meta_value) VALUES (${slotRange(plan, SLOT_B).lo + 100}, 1, 'arrived', 'x')");
$GLOBALS['playground_sync_applying_remote'] = true;
$wpdb->insert($wpdb->postmeta, array('post_id' => 1, 'meta_key' => 'applying', 'meta_value' => 'x'));
$applying = $wpdb->insert_id;
$GLOBALS['playground_sync_applying_remote'] = false;
$wpdb->insert($wpdb->postmeta, array('post_id' => 1, 'meta_key' => 'after', 'meta_value' => 'x'));
$out = array('multi' => $multi, 'multiInsertId' => $multi_insert_id, 'replace' => $replace, 'explicit' => $explicit,
	'selected' => $selected, 'applying' => $applying, 'after' => $wpdb->insert_id);`,
    );
    // Sorted by value: one, three, two.
    const [one = 0] = result['multi'] as number[];
    expect(inRange(one, own)).toBe(true);
    expect(result['multi']).toEqual([one, one + 2, one + 1]);
    // SQLite reports the last row's ID on both drivers (MySQL would report the first).
    expect(result['multiInsertId']).toBe(one + 2);
    expect(result['replace']).toBe(one + 3);
    expect(result['explicit']).toBe(777);
    // INSERT … SELECT is left to SQLite (numbering in A's own zone, above every range) and counted.
    const zone = slotNaturalZone(plan, SLOT_A);
    expect(result['selected']).toBe(zone.lo);
    expect(result['applying']).toBe(zone.lo + 1);
    expect(result['after']).toBe(one + 4);
    const postmeta = (await readIdShardStatus(a.client))?.tables.find((table) => table.table === 'wp_postmeta');
    expect(postmeta?.unsharded).toBe(1);
  });
  it('gives three members on slots 0, 1 and 2 disjoint IDs inside their own ranges while they insert at once, and after each other\'s rows arrive', async () => {
    await c.resetDatabase();
    expect(await installIdShards(c.client, plan, SLOT_C)).toMatchObject({ status: 'installed' });
    const members = [
      { site: a, slot: SLOT_A },
      { site: b, slot: SLOT_B },
      { site: c, slot: SLOT_C },
    ];
    const insertPosts = (site: NodeSite, round: number) =>
      wp<number[]>(
        site.client,
        `$out = array();
for ($i = 0; $i < 4; $i++) {
	$id = wp_insert_post(array('post_title' => "Group round ${round} post $i", 'post_status' => 'publish'));
	add_post_meta($id, 'round', '${round}');
	$out[] = $id;
}`,
      );
    const expectOwnRanges = (made: number[][]) => {
      expect(new Set(made.flat()).size).toBe(made.flat().length);
      for (const [i, { slot }] of members.entries()) {
        const own = slotRange(plan, slot);
        for (const id of made[i]!) expect(inRange(id, own), `slot ${slot}: ${id} in [${own.lo}, ${own.hi})`).toBe(true);
      }
    };

    const first = await Promise.all(members.map(({ site }) => insertPosts(site, 0)));
    expectOwnRanges(first);
    // Every member's rows reach every other, so each holds rows of a higher slot than its own.
    for (const from of members) {
      for (const to of members) {
        if (to !== from) expect((await copyPostsInRange(from.site, to.site, slotRange(plan, from.slot))).posts).toEqual(first[members.indexOf(from)]);
      }
    }
    const everyPost = `$out = array_map('intval', $wpdb->get_col("SELECT ID FROM $wpdb->posts WHERE post_title LIKE 'Group round %' ORDER BY ID"));`;
    for (const { site } of members) expect(await wp<number[]>(site.client, everyPost)).toEqual(first.flat().sort((x, y) => x - y));
    for (const { site, slot } of members) expect(await nativeNextId(site.client, 'posts')).toBe(slotNaturalZone(plan, slot).lo);

    const second = await Promise.all(members.map(({ site }) => insertPosts(site, 1)));
    expectOwnRanges(second);
    expectOwnRanges(first.map((ids, i) => [...ids, ...second[i]!]));
    for (const [i, ids] of second.entries()) expect(ids[0]).toBeGreaterThan(Math.max(...first[i]!));
  });

  it('treats a plan row an older version left (two named peers) as another plan: refused, replaced when asked', async () => {
    await b.resetDatabase();
    const versionOne = JSON.stringify({ version: 1, first: 'peer-a', second: 'peer-b', base: plan.base, size: plan.size, lowWater: plan.lowWater, idLimit: plan.idLimit });
    const oldSelf = { lo: plan.base + plan.size, hi: plan.base + 2 * plan.size };
    // The plan table and row as the version before slots wrote them.
    await wp(
      b.client,
      `$pdo = playground_sync_id_shards_pdo();
$pdo->exec('CREATE TABLE _wp_sqlite_pgsync_id_plan (id INTEGER PRIMARY KEY CHECK (id = 1), plan TEXT NOT NULL, self TEXT NOT NULL,
	self_lo INTEGER NOT NULL, self_hi INTEGER NOT NULL, peer TEXT NOT NULL, peer_lo INTEGER NOT NULL, peer_hi INTEGER NOT NULL, installed_at TEXT NOT NULL)');
$pdo->prepare('INSERT INTO _wp_sqlite_pgsync_id_plan VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)')
	->execute(array(${JSON.stringify(versionOne)}, 'peer-b', ${oldSelf.lo}, ${oldSelf.hi}, 'peer-a', ${plan.base}, ${plan.base + plan.size}, '2024-01-01 00:00:00'));`,
    );
    expect((await surveyIdTables(b.client)).installed).toEqual({ plan: versionOne, slot: null });
    expect(await readIdShardStatus(b.client)).toBeNull();
    // The filter stands aside from a plan it cannot read: WordPress goes on inserting.
    const meanwhile = await wp<number>(b.client, `$out = wp_insert_post(array('post_title' => 'Under the old plan', 'post_status' => 'draft'));`);
    expect(meanwhile).toBeGreaterThan(0);
    expect(meanwhile).toBeLessThan(plan.base);

    await expect(installIdShards(b.client, plan, SLOT_B)).rejects.toMatchObject({ name: 'PhpScriptError', code: 'other-plan', message: expect.stringContaining("an older version's plan") });
    expect(await installIdShards(b.client, plan, SLOT_B, { replace: true })).toMatchObject({ status: 'installed' });
    expect(await readIdShardStatus(b.client)).toMatchObject({ plan, slot: SLOT_B, selfRange: slotRange(plan, SLOT_B), groupRange: groupRange(plan) });
    expect(await wp<number>(b.client, `$out = wp_insert_post(array('post_title' => 'Under the new plan', 'post_status' => 'draft'));`)).toBe(slotRange(plan, SLOT_B).lo);
    expect(await installIdShards(b.client, plan, SLOT_B)).toMatchObject({ status: 'unchanged' });
  });
});
