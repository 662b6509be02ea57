import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findHighIds, reclaimLowIds, renumberSite, type Renumbering } from '../../src/db';
import { groupRange, installIdShards, planIdShards, surveyIdTables, type IdRange, type IdShardPlan } from '../../src/ids';
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

    const mappings = await reclaimLowIds(a.site.client, { zone, by: a.peerId });
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

  it('is idempotent, and refuses a low ID another row holds, changing nothing', async () => {
    const made = await makeContentOnB();
    const mappings = await reclaimLowIds(a.site.client, { zone, by: a.peerId });
    await renumberSite(b.site.client, mappings, a.peerId);
    expect(await renumberSite(b.site.client, mappings, a.peerId)).toEqual({ renumbered: 0, cells: 0 });
    expect(await reclaimLowIds(a.site.client, { zone, by: a.peerId })).toEqual([]);

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
    const mappings = await reclaimLowIds(b.site.client, { zone, by: b.peerId });
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

  it('never gives a deleted row’s low ID again', async () => {
    const made = await makeContentOnB();
    const mappings = await reclaimLowIds(a.site.client, { zone, by: a.peerId });
    await renumberSite(b.site.client, mappings, a.peerId);
    const postLow = lowIds(made, mappings);
    const highestPost = Math.max(...mappings.filter((mapping) => mapping.table === 'wp_posts').map((mapping) => mapping.low));
    await inWordPress(a.site, `wp_delete_post(${highestPost}, true); $result = true;`);
    const { post } = (await inWordPress(a.site, `$result = array('post' => wp_insert_post(array('post_title' => 'After the delete', 'post_status' => 'publish')));`)) as { post: number };
    const next = await reclaimLowIds(a.site.client, { zone, by: a.peerId });
    const mapping = next.find((candidate) => candidate.high === post);
    expect(mapping?.low).toBe(highestPost + 1);
    expect(postLow.post).toBeLessThan(highestPost + 1);
  });
});
