import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyBatch, findHighIds, reclaimLowIds, renumberSite, type ChangeBatch, type Renumbering } from '../../src/db';
import { groupRange, installIdShards, planIdShards, slotRange, surveyIdTables, type IdRange, type IdShardPlan } from '../../src/ids';
import { PhpScriptError } from '../../src/platform/php-answer';
import { bootNodeSite, type NodeSite, type SqliteDriverId, type WordPressVersionId } from '../harness';
import { captureSite, differences, inWordPress, sync, type CapturedSite } from './db-support';

/**
 * Reclaiming low IDs on real WordPress (docs/ids.md), site by site: B (slot 1) makes content of
 * every reference kind through WordPress's API, its rows reach A through the engine's own capture
 * and apply, A (the numberer, slot 0) gives them low IDs, and B renumbers by A's mappings. Both
 * sites must then hold the same rows, every reference must resolve through WordPress's API, and
 * the checker must find no high ID left.
 */

const COMBINATIONS: readonly (readonly [SqliteDriverId, WordPressVersionId])[] = [
  ['ast', 'nightly'],
  ['legacy', '6.5'],
];

/** Every reference kind of docs/ids.md, made through WordPress's API. `$out` names the rows. */
const CREATE_CONTENT = `
kses_remove_filters();
$user = wp_insert_user(array('user_login' => 'reclaimer', 'user_pass' => 'secret', 'user_email' => 'reclaimer@example.com'));
$att = wp_insert_attachment(array('post_title' => 'Photo', 'post_mime_type' => 'image/jpeg', 'post_status' => 'inherit'), 'photo.jpg');
$att2 = wp_insert_attachment(array('post_title' => 'Photo 2', 'post_mime_type' => 'image/jpeg', 'post_status' => 'inherit'), 'photo-2.jpg');
$page = wp_insert_post(array('post_title' => 'Front', 'post_type' => 'page', 'post_status' => 'publish'));
$child = wp_insert_post(array('post_title' => 'Child', 'post_type' => 'page', 'post_status' => 'publish', 'post_parent' => $page));
$content = '<!-- wp:image {"id":' . $att . ',"sizeSlug":"large","linkDestination":"attachment"} -->'
	. '<figure class="wp-block-image size-large"><a href="/?attachment_id=' . $att . '"><img src="/photo.jpg" alt="" class="wp-image-' . $att . '"/></a></figure>'
	. '<!-- /wp:image -->'
	. '[gallery ids="' . $att . ',' . $att2 . '"] <a href="/?p=' . $page . '">Front</a>';
$post = wp_insert_post(array('post_title' => 'Hello reclaimed', 'post_status' => 'publish', 'post_author' => $user, 'post_content' => $content));
set_post_thumbnail($post, $att);
update_post_meta($post, 'related', wp_json_encode(array('page' => $page, 'images' => array($att, $att2))));
$cat = wp_insert_term('Reclaimed', 'category');
wp_set_post_terms($post, array($cat['term_id']), 'category');
add_term_meta($cat['term_id'], 'icon', $att);
$comment = wp_insert_comment(array('comment_post_ID' => $post, 'comment_content' => 'First', 'user_id' => $user, 'comment_approved' => 1));
$reply = wp_insert_comment(array('comment_post_ID' => $post, 'comment_content' => 'Reply', 'comment_parent' => $comment, 'comment_approved' => 1));
add_comment_meta($reply, 'about_post', $post);
update_user_meta($user, 'favourite_post', $post);
$menu = wp_create_nav_menu('Reclaimed menu');
$item = wp_update_nav_menu_item($menu, 0, array('menu-item-object-id' => $page, 'menu-item-object' => 'page', 'menu-item-type' => 'post_type', 'menu-item-status' => 'publish'));
set_theme_mod('nav_menu_locations', array('primary' => $menu));
update_option('page_on_front', $page);
update_option('show_on_front', 'page');
update_option('widget_media_image', array(2 => array('attachment_id' => $att, 'url' => '/?attachment_id=' . $att), '_multiwidget' => 1));
$wpdb->query("CREATE TABLE {$wpdb->prefix}reclaim_links (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, post_id bigint(20) unsigned NOT NULL, note text NOT NULL, PRIMARY KEY (id))");
$wpdb->insert($wpdb->prefix . 'reclaim_links', array('post_id' => $post, 'note' => 'links to ' . $post));
$link = $wpdb->insert_id;
set_transient('reclaim_probe', array('post' => $post));
wp_schedule_single_event(time() + 3600, 'reclaim_probe_event', array($post));
$result = array(
	'user' => $user, 'att' => $att, 'att2' => $att2, 'page' => $page, 'child' => $child, 'post' => $post,
	'term' => (int) $cat['term_id'], 'termTaxonomy' => (int) $cat['term_taxonomy_id'], 'comment' => $comment, 'reply' => $reply,
	'menu' => (int) $menu, 'item' => $item, 'link' => $link,
	'transientId' => (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = '_transient_reclaim_probe'"),
);
`;

interface Made {
  user: number;
  att: number;
  att2: number;
  page: number;
  child: number;
  post: number;
  term: number;
  termTaxonomy: number;
  comment: number;
  reply: number;
  menu: number;
  item: number;
  link: number;
  transientId: number;
}

/** What WordPress's API reads of those rows on a site, given their (low) IDs. */
const READ_BACK = `
$ids = json_decode(IDS, true);
$post = get_post($ids['post']);
$comment = get_comment($ids['comment']);
$reply = get_comment($ids['reply']);
$items = wp_get_nav_menu_items($ids['menu']);
$cron = array();
foreach (_get_cron_array() as $hooks) {
	if (isset($hooks['reclaim_probe_event'])) { foreach ($hooks['reclaim_probe_event'] as $event) { $cron[] = $event['args']; } }
}
$result = array(
	'postTitle' => $post ? $post->post_title : null,
	'author' => $post ? (int) $post->post_author : null,
	'content' => $post ? $post->post_content : null,
	'thumbnail' => (int) get_post_thumbnail_id($ids['post']),
	'related' => json_decode((string) get_post_meta($ids['post'], 'related', true), true),
	'childParent' => (int) get_post($ids['child'])->post_parent,
	'terms' => array_map('intval', wp_get_object_terms($ids['post'], 'category', array('fields' => 'ids'))),
	'termTaxonomy' => (int) get_term($ids['term'], 'category')->term_taxonomy_id,
	'termIcon' => (int) get_term_meta($ids['term'], 'icon', true),
	'commentPost' => $comment ? (int) $comment->comment_post_ID : null,
	'commentUser' => $comment ? (int) $comment->user_id : null,
	'replyParent' => $reply ? (int) $reply->comment_parent : null,
	'replyAbout' => (int) get_comment_meta($ids['reply'], 'about_post', true),
	'favourite' => (int) get_user_meta($ids['user'], 'favourite_post', true),
	'menuItems' => array_map(function ($item) { return array((int) $item->ID, (int) $item->object_id); }, $items ?: array()),
	'menuLocation' => (int) get_theme_mod('nav_menu_locations')['primary'],
	'frontPage' => (int) get_option('page_on_front'),
	'widget' => (int) get_option('widget_media_image')[2]['attachment_id'],
	'link' => $wpdb->get_row($wpdb->prepare("SELECT id, post_id, note FROM {$wpdb->prefix}reclaim_links WHERE id = %d", $ids['link']), ARRAY_A),
	'transient' => get_transient('reclaim_probe'),
	'cron' => $cron,
);
`;

describe.each(COMBINATIONS)('reclaiming low IDs on the %s driver, WordPress %s', (driver, version) => {
  let siteA: NodeSite;
  let siteB: NodeSite;
  let a!: CapturedSite;
  let b!: CapturedSite;
  /** Sites captured for an earlier test: their drain listeners must stand aside. */
  const earlier: CapturedSite[] = [];
  let plan: IdShardPlan;
  let zone: IdRange;
  let naturalHi: number;

  beforeAll(async () => {
    const url = (name: string) => `https://playground.wordpress.net/scope:reclaim-${driver}-${version.replace('.', '')}-${name}/`;
    siteA = await bootNodeSite({ driver, wp: version, siteUrl: url('a') });
    siteB = await bootNodeSite({ driver, wp: version, siteUrl: url('b') });
  });

  afterAll(async () => {
    await siteA?.dispose();
    await siteB?.dispose();
  });

  beforeEach(async () => {
    for (const captured of earlier.splice(0)) captured.listening = false;
    await siteA.resetDatabase();
    await siteB.resetDatabase();
    a = await captureSite(siteA, 'member-a');
    b = await captureSite(siteB, 'member-b');
    earlier.push(a, b);
    plan = planIdShards({ sites: [await surveyIdTables(a.site.client), await surveyIdTables(b.site.client)] });
    expect(await installIdShards(a.site.client, plan, 0)).toMatchObject({ status: 'installed' });
    expect(await installIdShards(b.site.client, plan, 1)).toMatchObject({ status: 'installed' });
    zone = groupRange(plan);
    naturalHi = plan.base + 2 * plan.slots * plan.size;
  });

  async function makeContentOnB(): Promise<Made> {
    const made = (await inWordPress(b.site, CREATE_CONTENT)) as Made;
    for (const id of Object.values(made)) expect(id >= zone.lo && id < zone.hi, `${id} in the group zone`).toBe(true);
    await sync(b, a);
    expect(await differences(a, b)).toEqual([]);
    return made;
  }

  function lowIds(made: Made, mappings: readonly Renumbering[]): Made {
    const low = new Map(mappings.map((mapping) => [mapping.high, mapping.low]));
    const ids = Object.fromEntries(
      Object.entries(made).map(([name, id]) => [name, name === 'transientId' ? id : (low.get(id) ?? Number.NaN)]),
    ) as unknown as Made;
    return ids;
  }

  const readBack = async (site: CapturedSite, ids: Made) =>
    inWordPress(site.site, `define('IDS', ${JSON.stringify(JSON.stringify(ids))});\n${READ_BACK}`);

  it('renumbers every reference kind alike on the numberer and the member, and leaves no high ID', async () => {
    const made = await makeContentOnB();
    const before = await readBack(b, made);

    const mappings = (await reclaimLowIds(a.site.client, { by: a.peerId })).mappings;
    expect(await renumberSite(b.site.client, mappings, a.peerId)).toMatchObject({ renumbered: mappings.length });
    const ids = lowIds(made, mappings);

    // Every row made while synced, but the local-only transient, got a low ID, next after the table's own.
    for (const [name, id] of Object.entries(ids)) {
      if (name === 'transientId') continue;
      expect(id, name).toBeLessThan(plan.base);
    }
    expect(mappings.find((mapping) => mapping.high === made.post)).toMatchObject({ title: 'Hello reclaimed', postType: 'post' });
    expect(new Set(mappings.map((mapping) => `${mapping.table}:${mapping.low}`)).size).toBe(mappings.length);

    // Both sites alike, and WordPress reads every reference as it read the high ones.
    expect(await differences(a, b)).toEqual([]);
    const high = (id: number) => String(id);
    const expected = JSON.parse(
      JSON.stringify(before).replace(/\d{10,}/g, (number) => {
        const mapping = mappings.find((candidate) => high(candidate.high) === number);
        return mapping ? String(mapping.low) : number;
      }),
    ) as Record<string, unknown>;
    // The transient and the cron event are B's own (local-only): A never had them.
    const { transient, cron, ...synced } = expected;
    expect(transient).toEqual({ post: ids.post });
    expect(cron).toEqual([[ids.post]]);
    for (const site of [a, b]) {
      const after = (await readBack(site, ids)) as Record<string, unknown>;
      expect(after).toEqual(site === b ? expected : { ...synced, transient: false, cron: [] });
      expect(after['content']).toContain(`wp-image-${ids.att}`);
      expect(after['content']).toContain(`[gallery ids="${ids.att},${ids.att2}"]`);
      expect(after['menuItems']).toEqual([[ids.item, ids.page]]);
      expect(after['link']).toEqual({ id: String(ids.link), post_id: String(ids.post), note: `links to ${ids.post}` });

      const report = await findHighIds(site.site.client, { zone, naturalHi });
      expect(report.occurrences).toEqual([]);
      expect(report.provisional.filter((row) => row.reason === 'not-reclaimed')).toEqual([]);
    }
    expect((await findHighIds(b.site.client, { zone })).provisional).toContainEqual({
      table: 'wp_options',
      id: made.transientId,
      reason: 'local-only',
    });
  });

  it('converges when both members go on with the high ID while it is renumbered: changes in flight and not captured yet', async () => {
    const { post } = (await inWordPress(b.site, `$result = array('post' => wp_insert_post(array('post_title' => 'Busy', 'post_status' => 'publish')));`)) as { post: number };
    await sync(b, a);
    const mappings = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    const low = mappings.find((mapping) => mapping.high === post)!.low;

    // Meanwhile B, without the mapping yet: edits the post, links new rows to it, and changes it
    // once more by a statement no request drained yet (left in its changelog).
    await inWordPress(
      b.site,
      `wp_update_post(array('ID' => ${post}, 'post_content' => 'See [gallery ids="${post}"]'));
add_post_meta(${post}, 'linked', 'post-${post}');
wp_insert_comment(array('comment_post_ID' => ${post}, 'comment_content' => 'On the busy post', 'comment_approved' => 1));
wp_insert_post(array('post_title' => 'Child of busy', 'post_type' => 'page', 'post_status' => 'publish', 'post_parent' => ${post}));
$result = true;`,
    );
    const inFlight = await b.take();
    const raw = await b.site.client.run({
      code: `<?php $config = json_decode(file_get_contents('/internal/shared/playground-sync/config.json'), true);
$pdo = new PDO('sqlite:' . $config['dbPath']);
$pdo->exec("UPDATE wp_posts SET post_title = 'Busy, renamed' WHERE ID = ${post}");
echo 'done';`,
    });
    expect(raw.text).toBe('done');
    // Meanwhile A, renumbered already: links a row to the post under its low ID.
    await inWordPress(a.site, `add_post_meta(${low}, 'from_numberer', 'yes'); $result = true;`);

    const deliverToA = async (batches: readonly ChangeBatch[]) => {
      for (const batch of batches) {
        const options = { fromSiteUrl: b.site.siteUrl, toSiteUrl: a.site.siteUrl, fromPeer: b.peerId };
        expect(await applyBatch(a.site.client, batch, options)).toMatchObject({ status: 'applied' });
      }
    };
    // B's changes reach A with the high ID: rewritten on arrival.
    await deliverToA(inFlight);
    // B takes the mapping (its own new rows and its pending change follow), then A's change.
    await renumberSite(b.site.client, mappings, a.peerId);
    await sync(a, b);
    // B's pending change, captured now, goes out under the low ID.
    const pending = await b.drain();
    expect(JSON.stringify(pending)).not.toContain(String(post));
    await deliverToA(pending);
    const second = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    await renumberSite(b.site.client, second, a.peerId);

    expect(await differences(a, b)).toEqual([]);
    const read = `$post = get_post(${low});
$children = get_children(array('post_parent' => ${low}, 'post_type' => 'page'));
$result = array('title' => $post->post_title, 'content' => $post->post_content, 'linked' => get_post_meta(${low}, 'linked', true),
	'fromNumberer' => get_post_meta(${low}, 'from_numberer', true), 'comments' => (int) get_comments_number(${low}),
	'children' => count($children), 'oldIdFinds' => get_post(${post})->ID,
	'highRows' => (int) playground_sync_id_shards_pdo()->query("SELECT count(*) FROM $wpdb->posts WHERE ID = ${post}")->fetchColumn());`;
    for (const site of [a, b]) {
      expect(await inWordPress(site.site, read)).toEqual({
        title: 'Busy, renamed',
        content: `See [gallery ids="${low}"]`,
        linked: `post-${low}`,
        fromNumberer: 'yes',
        comments: 1,
        children: 1,
        oldIdFinds: low,
        highRows: 0,
      });
      const report = await findHighIds(site.site.client, { zone });
      expect(report.occurrences).toEqual([]);
      expect(report.provisional.filter((row) => row.reason === 'not-reclaimed')).toEqual([]);
    }
  });

  it('lets a page opened before the renumbering save with the high IDs, and sends the old link on to the post', async () => {
    const made = await makeContentOnB();
    const mappings = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    await renumberSite(b.site.client, mappings, a.peerId);
    const ids = lowIds(made, mappings);

    // What an editor or a settings form opened earlier still sends: the high IDs.
    const saved = await inWordPress(
      b.site,
      `wp_update_post(array('ID' => ${made.post}, 'post_title' => 'Saved by a stale page'));
update_post_meta(${made.post}, '_thumbnail_id', ${made.att2});
update_option('widget_media_image', array(3 => array('attachment_id' => ${made.att2}, 'title' => 'Photo ${made.att2}'), '_multiwidget' => 1));
// Counted past the filter (it would read the low IDs): no row under the high IDs came back.
$result = array('found' => get_post(${made.post})->ID,
	'high' => (int) playground_sync_id_shards_pdo()->query("SELECT count(*) FROM $wpdb->posts WHERE ID IN (${made.post}, ${made.att2})")->fetchColumn());`,
    );
    expect(saved).toEqual({ found: ids.post, high: 0 });
    const batches = await b.take();
    expect(batches.length).toBeGreaterThan(0);
    const sent = JSON.stringify(batches);
    for (const [name, id] of Object.entries(made)) if (name !== 'transientId') expect(sent, name).not.toContain(String(id));
    for (const batch of batches) {
      const options = { fromSiteUrl: b.site.siteUrl, toSiteUrl: a.site.siteUrl, fromPeer: b.peerId };
      expect(await applyBatch(a.site.client, batch, options)).toMatchObject({ status: 'applied' });
    }
    expect(await differences(a, b)).toEqual([]);
    const read = `$result = array('title' => get_post(${ids.post})->post_title, 'thumbnail' => (int) get_post_thumbnail_id(${ids.post}),
	'widget' => get_option('widget_media_image')[3], 'permalink' => get_permalink(${ids.post}));`;
    const expected = { title: 'Saved by a stale page', thumbnail: ids.att2, widget: { attachment_id: ids.att2, title: `Photo ${ids.att2}` } };
    for (const site of [a, b]) {
      expect(await inWordPress(site.site, read)).toMatchObject(expected);
      expect((await findHighIds(site.site.client, { zone })).occurrences).toEqual([]);
    }

    // The old link leads to the post's address now.
    const { permalink } = (await inWordPress(b.site, read)) as { permalink: string };
    const visit = await b.site.visit(`/?p=${made.post}`);
    expect(visit.response.httpStatusCode).toBe(200);
    expect(visit.url).toBe(permalink);
    expect(visit.response.text).toContain('Saved by a stale page');
  });

  it('has the checker list a high ID written past every rewrite, where it stands', async () => {
    const made = await makeContentOnB();
    await reclaimLowIds(a.site.client, { zone, by: a.peerId });
    // Straight into the database file, as nothing of the engine or WordPress would write it.
    const raw = await a.site.client.run({
      code: `<?php $config = json_decode(file_get_contents('/internal/shared/playground-sync/config.json'), true);
$pdo = new PDO('sqlite:' . $config['dbPath']);
$pdo->exec("UPDATE wp_options SET option_value = 'a:1:{s:4:\\"post\\";i:${made.post};}' WHERE option_name = 'widget_media_image'");
echo 'done';`,
    });
    expect(raw.text).toBe('done');
    const report = await findHighIds(a.site.client, { zone });
    const optionId = await inWordPress(a.site, `$result = (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = 'widget_media_image'");`);
    expect(report.occurrences).toEqual([{ table: 'wp_options', column: 'option_value', key: `["${optionId}"]`, high: made.post }]);
  });

  it('is idempotent, and refuses a low ID another row holds, changing nothing', async () => {
    const made = await makeContentOnB();
    const mappings = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    await renumberSite(b.site.client, mappings, a.peerId);
    expect(await renumberSite(b.site.client, mappings, a.peerId)).toEqual({ renumbered: 0, cells: 0 });
    expect((await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings).toEqual([]);

    // A new post on B, and a mapping that would give it the ID of "Hello world!" (post 1).
    const { post } = (await inWordPress(b.site, `$result = array('post' => wp_insert_post(array('post_title' => 'Later', 'post_status' => 'publish')));`)) as { post: number };
    const before = await findHighIds(b.site.client, { zone });
    const clash = renumberSite(b.site.client, [{ table: 'wp_posts', high: post, low: 1 }], a.peerId);
    await expect(clash).rejects.toThrow(PhpScriptError);
    await expect(clash).rejects.toThrow(/wp_posts has a row 1 here already/);
    expect(await findHighIds(b.site.client, { zone })).toEqual(before);
    expect(before.provisional).toContainEqual({ table: 'wp_posts', id: post, reason: 'not-reclaimed' });

    // Another low ID for a high ID held already: two numberers, refused.
    const first = mappings.find((mapping) => mapping.high === made.post)!;
    await expect(renumberSite(b.site.client, [{ ...first, low: first.low + 50 }], a.peerId)).rejects.toThrow(/two numberers/);
  });

  it('leaves an ID two tables share and a row SQLite numbered itself high, and lists them', async () => {
    const { post } = (await inWordPress(b.site, `$result = array('post' => wp_insert_post(array('post_title' => 'Shared', 'post_status' => 'publish')));`)) as { post: number };
    const natural = zone.hi + 5;
    // As an older allocator (one cursor per table) or a statement the filter cannot read would leave them.
    await inWordPress(
      b.site,
      `$pdo = playground_sync_id_shards_pdo();
$pdo->prepare("INSERT INTO $wpdb->links (link_id, link_url, link_name) VALUES (?, 'https://example.test/', 'Same number')")->execute(array(${post}));
$pdo->prepare("INSERT INTO $wpdb->links (link_id, link_url, link_name) VALUES (?, 'https://example.test/', 'Natural')")->execute(array(${natural}));
$result = true;`,
    );
    const mappings = (await reclaimLowIds(b.site.client, { zone, by: b.peerId })).mappings;
    expect(mappings.filter((mapping) => mapping.high === post)).toEqual([]);
    const report = await findHighIds(b.site.client, { zone, naturalHi });
    expect(report.provisional).toEqual(
      expect.arrayContaining([
        { table: 'wp_posts', id: post, reason: 'shared-id' },
        { table: 'wp_links', id: post, reason: 'shared-id' },
        { table: 'wp_links', id: natural, reason: 'natural-zone' },
      ]),
    );
    expect(report.occurrences).toEqual([]);
  });

  it('keeps the key of a row that reuses another table’s renumbered high ID: it arrives under its own key, overwrites nothing, and is listed', async () => {
    const made = await makeContentOnB();
    const mappings = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    await renumberSite(b.site.client, mappings, a.peerId);
    const post = mappings.find((mapping) => mapping.high === made.post)!;
    // B gives the post's old high ID to an option (a member restored from a copy that lacked a row of its earlier
    // life may). The core option under the post's low ID is what the arriving key must not be rewritten to.
    const optionAtLow = `$result = $wpdb->get_row($wpdb->prepare("SELECT option_id, option_name, option_value FROM $wpdb->options WHERE option_id = %d", ${post.low}), ARRAY_A);`;
    const before = await inWordPress(a.site, optionAtLow);
    expect(before).toMatchObject({ option_id: String(post.low) });
    await inWordPress(
      b.site,
      `playground_sync_id_shards_pdo()->prepare("INSERT INTO $wpdb->options (option_id, option_name, option_value, autoload) VALUES (?, 'zz_same_number', 'mine', 'off')")->execute(array(${made.post})); $result = true;`,
    );
    await sync(b, a);
    for (const site of [a, b]) {
      expect(await inWordPress(site.site, optionAtLow)).toEqual(before);
      expect(await inWordPress(site.site, `$result = (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = 'zz_same_number'");`)).toBe(made.post);
      expect(await inWordPress(site.site, `$result = get_post(${post.low})->post_title;`)).toBe('Hello reclaimed');
      const report = await findHighIds(site.site.client, { zone });
      expect(report.occurrences).toEqual([]);
      expect(report.provisional).toContainEqual({ table: 'wp_options', id: made.post, reason: 'shared-id' });
    }
    expect(await differences(a, b)).toEqual([]);
    // Never reclaimed: a bare number of it could name either row.
    expect((await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings.filter((mapping) => mapping.high === made.post)).toEqual([]);
  });

  it('moves a member’s own local-only row out of the way of a low ID, and refuses a synced row there', async () => {
    const made = await makeContentOnB();
    const mappings = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    const option = mappings.find((mapping) => mapping.table === 'wp_options')!;
    // B made a transient before the group that A never had, numbered as A's next option would be.
    const place = (name: string) =>
      inWordPress(
        b.site,
        `$pdo = playground_sync_id_shards_pdo();
$pdo->prepare("INSERT INTO $wpdb->options (option_id, option_name, option_value, autoload) VALUES (?, ?, 'kept', 'off')")->execute(array(${option.low}, '${name}'));
$result = true;`,
      );
    await place('_transient_only_on_b');
    expect(await renumberSite(b.site.client, mappings, a.peerId)).toMatchObject({ renumbered: mappings.length });
    const moved = (await inWordPress(b.site, `$result = (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = '_transient_only_on_b'");`)) as number;
    expect(moved).toBeGreaterThanOrEqual(slotRange(plan, 1).lo);
    expect(moved).toBeLessThan(slotRange(plan, 1).hi);
    // Every synced reference alike on both (the transient and cron event are B's own).
    const synced = async (site: CapturedSite) => {
      const { transient: _transient, cron: _cron, ...rest } = (await readBack(site, lowIds(made, mappings))) as Record<string, unknown>;
      return rest;
    };
    expect(await synced(b)).toEqual(await synced(a));

    // A synced row in the way is a real conflict: nothing is written.
    const next = (await inWordPress(a.site, `$result = wp_insert_post(array('post_title' => 'Next', 'post_status' => 'publish'));`)) as number;
    await sync(a, b);
    const more = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings.filter((mapping) => mapping.high === next);
    await inWordPress(b.site, `$pdo = playground_sync_id_shards_pdo(); $pdo->prepare("INSERT INTO $wpdb->posts (ID, post_title, post_content, post_excerpt, to_ping, pinged, post_content_filtered) VALUES (?, 'In the way', '', '', '', '', '')")->execute(array(${more[0]!.low})); $result = true;`);
    await expect(renumberSite(b.site.client, more, a.peerId)).rejects.toThrow(/has a row \d+ here already/);
    expect((await inWordPress(b.site, `$result = get_post(${next})->post_title;`)) as string).toBe('Next');
  });

  it('never gives a deleted row’s low ID again', async () => {
    const made = await makeContentOnB();
    const mappings = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    await renumberSite(b.site.client, mappings, a.peerId);
    const postLow = lowIds(made, mappings);
    const highestPost = Math.max(...mappings.filter((mapping) => mapping.table === 'wp_posts').map((mapping) => mapping.low));
    await inWordPress(a.site, `wp_delete_post(${highestPost}, true); $result = true;`);
    const { post } = (await inWordPress(a.site, `$result = array('post' => wp_insert_post(array('post_title' => 'After the delete', 'post_status' => 'publish')));`)) as { post: number };
    const next = (await reclaimLowIds(a.site.client, { zone, by: a.peerId })).mappings;
    const mapping = next.find((candidate) => candidate.high === post);
    expect(mapping?.low).toBe(highestPost + 1);
    expect(postLow.post).toBeLessThan(highestPost + 1);
  });
});
