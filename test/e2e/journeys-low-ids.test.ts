/**
 * Low IDs end to end (docs/ids.md): the built extension (dist/) in Chromium, two Playground tabs
 * of the offline stand-in paired from the popup. In the tab that does not hand out low IDs, a
 * person uploads two photos, publishes a post in the block editor, and the editor's own REST calls
 * give it a featured image and a gallery and put it in a menu. Once synced, both tabs hold it all
 * under the same low IDs, every reference follows (featured image, gallery block and shortcode,
 * menu item), the pages and the old high link still work, and the journal says what was
 * renumbered. With the card's switch off, new rows keep their high IDs. When the tab that hands
 * them out reloads (its site restored from the other), the other tab takes over: what the reloaded
 * tab makes then gets the next low IDs, past every one given before.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/journeys-low-ids.test.ts
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { makePng } from './fixtures/make-png';
import { launchBrowser, openTwoTabsAndPopup, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf, pairInPopup, POLL, sessionState, troubleInJournal } from './extension-state';
import { goToInTab } from './tab-client';
import { contentDifferences, databaseIntegrity, publishPostInBlockEditor, uploadMediaFile, wpAdminFrame, wpJson } from './wp-admin';

const SCREENS = join(tmpdir(), 'pg-sync-journeys');
/** Every ID of the group's ranges is at least this (src/ids/ranges.ts RANGE_FLOOR). */
const HIGH = 1_000_000_000;
const TITLE = 'Low IDs: a post with photos';

interface PostFacts {
  post: number;
  thumbnail: number;
  content: string;
  menuItem: number;
  menuObject: number;
  menuUrl: string;
  permalink: string;
  photos: number[];
}

/** What a tab's site holds of the post, its photos and its menu item, found by title and name. */
function postFacts(tab: PlaygroundTab): Promise<PostFacts | null> {
  return wpJson<PostFacts | null>(
    tab,
    `(function () {
      $post = get_posts(['title' => ${JSON.stringify(TITLE)}, 'post_status' => 'publish'])[0] ?? null;
      $items = wp_get_nav_menu_items('Low IDs menu') ?: [];
      if (!$post || count($items) !== 1) return null;
      $photos = array_map(fn ($name) => (int) (get_posts(['name' => $name, 'post_type' => 'attachment', 'post_status' => 'inherit'])[0]->ID ?? 0), ['low-ids-one', 'low-ids-two']);
      return [
        'post' => $post->ID, 'thumbnail' => (int) get_post_thumbnail_id($post), 'content' => $post->post_content,
        'menuItem' => $items[0]->ID, 'menuObject' => (int) $items[0]->object_id, 'menuUrl' => $items[0]->url,
        'permalink' => get_permalink($post), 'photos' => $photos,
      ];
    })()`,
  );
}

/** The editor's own REST calls, from the tab's block editor page (`wp.apiFetch`): featured image, gallery, a menu holding the post. */
async function addPhotosAndMenuInEditor(tab: PlaygroundTab, postId: number, photos: readonly number[]): Promise<void> {
  const frame = tab.page.frames().find((candidate) => /\/scope:[^/]+\/wp-admin\/post\.php/.test(candidate.url()));
  if (!frame) throw new Error('The block editor is not open in the tab');
  await frame.evaluate(
    async ({ postId, photos }) => {
      const apiFetch = (window as unknown as { wp: { apiFetch: (options: object) => Promise<{ id: number; source_url?: string }> } }).wp.apiFetch;
      const urls = await Promise.all(photos.map(async (id) => (await apiFetch({ path: `/wp/v2/media/${id}` })).source_url));
      const images = photos
        .map((id, index) => `<!-- wp:image {"id":${id},"sizeSlug":"full","linkDestination":"none"} --><figure class="wp-block-image size-full"><img src="${urls[index]}" alt="" class="wp-image-${id}"/></figure><!-- /wp:image -->`)
        .join('');
      const content =
        `<!-- wp:paragraph --><p>Two photos below.</p><!-- /wp:paragraph -->` +
        `<!-- wp:gallery {"linkTo":"none"} --><figure class="wp-block-gallery has-nested-images columns-default is-cropped">${images}</figure><!-- /wp:gallery -->` +
        `<!-- wp:shortcode -->[gallery ids="${photos.join(',')}"]<!-- /wp:shortcode -->`;
      await apiFetch({ path: `/wp/v2/posts/${postId}`, method: 'POST', data: { featured_media: photos[0], content } });
      const menu = await apiFetch({ path: '/wp/v2/menus', method: 'POST', data: { name: 'Low IDs menu' } });
      await apiFetch({ path: '/wp/v2/menu-items', method: 'POST', data: { title: 'Photos', menus: menu.id, object: 'post', object_id: postId, type: 'post_type', status: 'publish' } });
    },
    { postId, photos: [...photos] },
  );
}

/** The text of the tab's WordPress page once it shows `expected` (a front-end page opened like a typed URL). */
async function pageTextAt(tab: PlaygroundTab, path: string, expected: string): Promise<string> {
  await goToInTab(tab, path);
  const body = wpAdminFrame(tab).locator('body');
  await expect.poll(async () => (await body.innerHTML().catch(() => '')).includes(expected), POLL).toBe(true);
  return body.innerHTML();
}

describe('journey: a post with a featured image, a gallery and a menu item ends with low IDs in both tabs', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    ({ tabA, tabB, popup } = await openTwoTabsAndPopup(browser));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renumbers what one tab made on both, keeps every link working, and stops when switched off', async () => {
    // A is picked first: its site is the one copied, and the one that hands out low IDs.
    await pairInPopup(popup, [await chromeTabIdOf(popup, tabA), await chromeTabIdOf(popup, tabB)]);
    await expect.poll(async () => (await sessionState(popup)).pairings?.map((pairing) => pairing.phase), POLL).toEqual(['live']);
    // On from the start: the group's card shows its switch ticked.
    await expect(popup.locator('[data-testid="low-ids"]').isChecked()).resolves.toBe(true);
    expect((await sessionState(popup)).pairings?.[0]?.lowIds).toBe(true);

    const photos = [await uploadMediaFile(tabB, 'low-ids-one.png', makePng(64, 3)), await uploadMediaFile(tabB, 'low-ids-two.png', makePng(64, 4))];
    const highPost = await publishPostInBlockEditor(tabB, TITLE, 'Written in the tab that does not hand out low IDs.');
    for (const id of [...photos, highPost]) expect(id).toBeGreaterThanOrEqual(HIGH);
    await addPhotosAndMenuInEditor(tabB, highPost, photos);
    // A post keeps its ID while someone has it open in the editor; leaving the editor releases it.
    await expect.poll(async () => (await postFacts(tabA))?.post, POLL).toBe(highPost);
    await goToInTab(tabB, '/wp-admin/');

    // Both tabs end with the same low IDs, and every reference on the low ones.
    let facts: PostFacts | null = null;
    for (const tab of [tabA, tabB]) {
      await expect.poll(async () => (await postFacts(tab))?.post ?? HIGH, POLL).toBeLessThan(HIGH);
    }
    await expect.poll(() => contentDifferences(tabA, tabB), POLL).toEqual([]);
    for (const tab of [tabA, tabB]) {
      const read = (await postFacts(tab))!;
      facts ??= read;
      // Each tab's own URL in links (sync rewrites them), the same IDs everywhere.
      const sameSite = (value: PostFacts) => JSON.parse(JSON.stringify(value).replace(/scope:[\w-]+/g, 'scope:site')) as PostFacts;
      expect(sameSite(read)).toEqual(sameSite(facts));
      const [one, two] = read.photos as [number, number];
      for (const id of [read.post, one, two, read.menuItem]) expect(id).toBeLessThan(HIGH);
      expect(read.thumbnail).toBe(one);
      expect(read.menuObject).toBe(read.post);
      expect(read.menuUrl).toBe(read.permalink);
      expect(read.content).toContain(`"id":${one},`);
      expect(read.content).toContain(`wp-image-${two}`);
      expect(read.content).toContain(`[gallery ids="${one},${two}"]`);
      expect(read.content).not.toMatch(/\d{10}/);
    }
    const { post, photos: lowPhotos } = facts!;

    // Every link works: the post's page in both tabs shows the featured image and both gallery photos; B's old high link finds it.
    for (const tab of [tabA, tabB]) {
      const html = await pageTextAt(tab, `/?p=${post}`, TITLE);
      expect(html).toContain('low-ids-one');
      expect(html).toContain('low-ids-two');
      expect(html).toMatch(/wp-post-image/);
    }
    await tabB.page.screenshot({ path: join(SCREENS, 'low-ids-post.png') });
    expect(await pageTextAt(tabB, `/?p=${highPost}`, TITLE)).toContain('low-ids-two');
    const shortcodeGallery = await wpJson<string>(tabA, `do_shortcode('[gallery ids="${lowPhotos.join(',')}"]')`);
    expect(shortcodeGallery).toContain('low-ids-one');
    expect(shortcodeGallery).toContain('low-ids-two');

    // The journal names what was renumbered.
    await popup.bringToFront();
    const renumbered = ((await sessionState(popup)).journal ?? []).filter((entry) => / renumbered \d+ → \d+/.test(`${entry.summary}\n${entry.detail ?? ''}`));
    expect(renumbered.some((entry) => entry.summary.includes(`renumbered ${highPost} → ${post}`) || entry.detail?.includes(`renumbered ${highPost} → ${post}`))).toBe(true);
    await popup.screenshot({ path: join(SCREENS, 'low-ids-popup.png'), fullPage: true });

    // Switched off on the card: a post made in B now keeps its high ID on both tabs.
    await popup.locator('[data-testid="low-ids"]').uncheck();
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.lowIds, POLL).toBe(false);
    const kept = await publishPostInBlockEditor(tabB, 'Low IDs off: keeps its ID', 'Made with the switch off.');
    await expect
      .poll(() => wpJson<number>(tabA, `(int) (get_posts(['title' => 'Low IDs off: keeps its ID', 'post_status' => 'publish'])[0]->ID ?? 0)`), POLL)
      .toBe(kept);
    await expect.poll(() => contentDifferences(tabA, tabB), POLL).toEqual([]);
    expect([await databaseIntegrity(tabA), await databaseIntegrity(tabB)]).toEqual(['ok', 'ok']);
    expect(await troubleInJournal(popup)).toEqual([]);
  });

  it('hands out low IDs from the other tab once the tab that gave them reloads and is restored', async () => {
    await popup.bringToFront();
    await popup.locator('[data-testid="low-ids"]').check();
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.lowIds, POLL).toBe(true);
    const before = (await postFacts(tabA))!;
    const peerOf = async (tab: PlaygroundTab) => {
      const tabId = await chromeTabIdOf(popup, tab);
      return (await sessionState(popup)).pairings?.[0]?.sides.find((side) => side.tabId === tabId)?.peerId;
    };
    const [numbererA, peerB] = [await peerOf(tabA), await peerOf(tabB)];
    expect((await sessionState(popup)).pairings?.[0]?.numbererPeer).toBe(numbererA);

    // A's page reloads: its temporary site is gone, restored from B, and B numbers from now on.
    await tabA.page.reload();
    tabA = await browser.waitForPlayground(tabA.page);
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.phase, POLL).toBe('live');
    expect((await sessionState(popup)).pairings?.[0]).toMatchObject({ numbererPeer: peerB, formerNumberers: [numbererA] });
    await popup.bringToFront();
    await expect.poll(() => popup.locator('[data-testid="low-ids-hint"]').textContent(), POLL).toMatch(/once .+ has it/);

    const made = await publishPostInBlockEditor(tabA, 'Made after the reload', 'In the tab that gave low IDs before its reload.');
    expect(made).toBeGreaterThanOrEqual(HIGH);
    await goToInTab(tabA, '/wp-admin/');
    const lowOf = (tab: PlaygroundTab) => wpJson<number>(tab, `(int) (get_posts(['title' => 'Made after the reload', 'post_status' => 'publish'])[0]->ID ?? 0)`);
    await expect.poll(() => lowOf(tabB), POLL).toBeLessThan(HIGH);
    const low = await lowOf(tabB);
    await expect.poll(() => lowOf(tabA), POLL).toBe(low);
    expect(low).toBeGreaterThan(Math.max(before.post, ...before.photos, before.menuItem));
    await expect.poll(() => contentDifferences(tabA, tabB), POLL).toEqual([]);
    expect(await pageTextAt(tabA, `/?p=${low}`, 'Made after the reload')).toContain('In the tab that gave low IDs');
    await popup.screenshot({ path: join(SCREENS, 'low-ids-handed-over.png'), fullPage: true });
    expect([await databaseIntegrity(tabA), await databaseIntegrity(tabB)]).toEqual(['ok', 'ok']);
    expect(await troubleInJournal(popup)).toEqual([]);
  });
});
