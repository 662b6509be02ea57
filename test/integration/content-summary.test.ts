import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readContentSummary } from '../../src/site/content-summary';
import type { ContentSummary } from '../../src/protocol/runtime';
import { ALL_COMBINATIONS, bootNodeSite, type NodeSite } from '../harness';
import { RAW_PDO_PHP } from './engine-support';

/**
 * What the popup shows when two sites to pair differ, read from real WordPress, and the digest
 * that decides whether to ask at all (defect 6 of issue 10): it covers every synced table and
 * the file tree, and no output of the site can fake it.
 */
describe.each(ALL_COMBINATIONS)('content summary on WordPress $wp, $driver driver', ({ driver, wp }) => {
  let a: NodeSite;
  let b: NodeSite;

  const both = (): Promise<[ContentSummary, ContentSummary]> => Promise.all([readContentSummary(a.client), readContentSummary(b.client)]);
  const run = async (site: NodeSite, code: string) => {
    const response = await site.client.run({ code });
    if (/fatal|warning/i.test(response.errors)) throw new Error(response.errors);
  };
  const inWordPress = (site: NodeSite, body: string) => run(site, `<?php require '/wordpress/wp-load.php'; ${body}`);

  beforeAll(async () => {
    a = await bootNodeSite({ driver, wp, siteUrl: 'https://playground.wordpress.net/scope:summary-a/' });
    b = await bootNodeSite({ driver, wp, siteUrl: 'https://playground.wordpress.net/scope:summary-bee/' });
  });
  beforeEach(async () => {
    await a.resetDatabase();
    await b.resetDatabase();
  });
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('gives two fresh sites on other URLs the same digest, also after both were looked at, and counts what a fresh install holds', async () => {
    // The Dashboard makes an auto-draft (Quick Draft) and user meta; other screens do not.
    await a.visit('/wp-admin/');
    await b.visit('/wp-admin/edit.php');
    await b.visit('/wp-admin/options-general.php');
    const [first, second] = await both();
    expect(first.digest).toBe(second.digest);
    expect(first).toMatchObject({ posts: 1, pages: 2, comments: 1, users: 1, media: 0, plugins: [] });
    expect(first.rows).toBeGreaterThan(100);
    // Themes, plugins and wp-config.php: WordPress core is each site's own and does not count.
    expect(first.files).toBeGreaterThan(50);
    expect(first.theme).toMatch(/^Twenty Twenty-/);
    // The summary leaves nothing behind.
    expect((await a.client.run({ code: `<?php echo json_encode(glob('/tmp/playground-sync-*'));` })).text).toBe('[]');
  });

  it('tells sites apart once one has a new post, and counts it', async () => {
    await inWordPress(b, `wp_insert_post(['post_title' => 'Only on B', 'post_status' => 'publish', 'post_content' => 'b']);`);
    const [first, second] = await both();
    expect(second.posts).toBe(first.posts + 1);
    expect(second.digest).not.toBe(first.digest);
  });

  it('tells sites apart by one extra option', async () => {
    await inWordPress(b, `add_option('only_on_b', 'x');`);
    const [first, second] = await both();
    expect(second.rows).toBe(first.rows + 1);
    expect(second.digest).not.toBe(first.digest);
  });

  it('tells sites apart by one changed option value mentioning each site only by its own URL', async () => {
    await inWordPress(a, `update_option('blogdescription', home_url('/about/'));`);
    await inWordPress(b, `update_option('blogdescription', home_url('/about/'));`);
    const [same, sameToo] = await both();
    expect(same.digest).toBe(sameToo.digest);
    await inWordPress(b, `update_option('blogdescription', home_url('/contact/'));`);
    const [first, second] = await both();
    expect(second.digest).not.toBe(first.digest);
  });

  it("tells sites apart by a changed row of a plugin's own table, and by its schema", async () => {
    const table = `${RAW_PDO_PHP} $pdo->exec('CREATE TABLE wp_shop_orders (id INTEGER PRIMARY KEY, total TEXT)'); $pdo->exec("INSERT INTO wp_shop_orders VALUES (1, '10')");`;
    await inWordPress(a, table);
    await inWordPress(b, table);
    const [same, sameToo] = await both();
    expect(same.digest).toBe(sameToo.digest);
    await inWordPress(b, `${RAW_PDO_PHP} $pdo->exec("UPDATE wp_shop_orders SET total = '11' WHERE id = 1");`);
    const [first, second] = await both();
    expect(second.digest).not.toBe(first.digest);
    await inWordPress(b, `${RAW_PDO_PHP} $pdo->exec("UPDATE wp_shop_orders SET total = '10' WHERE id = 1"); $pdo->exec('ALTER TABLE wp_shop_orders ADD COLUMN note TEXT');`);
    const [third, fourth] = await both();
    expect(fourth.digest).not.toBe(third.digest);
  });

  it('tells sites apart by one extra file, and not by an excluded one', async () => {
    await b.client.mkdir('/wordpress/wp-content/cache');
    await b.client.writeFile('/wordpress/wp-content/cache/only-on-b.txt', 'cache');
    const [same, sameToo] = await both();
    expect(same.digest).toBe(sameToo.digest);
    await b.client.writeFile('/wordpress/wp-content/uploads-note.txt', 'only on b');
    const [first, second] = await both();
    expect(second.files).toBe(first.files + 1);
    expect(second.digest).not.toBe(first.digest);
    await b.client.unlink('/wordpress/wp-content/uploads-note.txt');
    await b.client.rmdir('/wordpress/wp-content/cache', { recursive: true });
  });

  it('cannot be forged by what a plugin prints, even at shutdown', async () => {
    const forged = JSON.stringify({ posts: 1, pages: 2, comments: 1, users: 1, media: 0, plugins: [], theme: 'x', rows: 1, files: 1, digest: 'sha256:forged' });
    const answer = JSON.stringify({ ok: true, result: JSON.parse(forged), notices: '' });
    const plugin = `<?php
/* Plugin Name: Forger */
echo ${JSON.stringify(`\n${forged}\n@@PGSYNC_RESULT@@${answer}`)};
register_shutdown_function(function () { echo ${JSON.stringify(`\n@@PGSYNC_RESULT@@${answer}\n${forged}`)}; });
`;
    await b.client.mkdir('/wordpress/wp-content/mu-plugins');
    await b.client.writeFile('/wordpress/wp-content/mu-plugins/forger.php', plugin);
    await b.client.writeFile('/internal/shared/mu-plugins/zz-forger.php', plugin);
    try {
      const [first, second] = await both();
      expect(second.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(second.digest).not.toBe(first.digest);
    } finally {
      await b.client.unlink('/wordpress/wp-content/mu-plugins/forger.php');
      await b.client.unlink('/internal/shared/mu-plugins/zz-forger.php');
    }
  });
});
