/**
 * An older Playground release: the page exposes only `window.playground` (no Sites API) and its
 * sites run the legacy SQLite translator. The stand-in's `?build=older` emulates it. The extension
 * must feature-detect both and sync as on a current build.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/extension-older-build.test.ts
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, PLAYGROUND_URL, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf, pairInPopup, POLL, sessionState } from './extension-state';
import { editPostTitle, postTitlesOnPostsScreen, publishPostInBlockEditor, runPhpInTab, wpJson } from './wp-admin';

/** Where the engine's drain preload lives: older builds lose it on every runtime rotation. */
const ENGINE_PRELOAD = '/internal/shared/preload/zz-playground-sync.php';

/** Calls `run()` in the tab until its runtime rotated (the engine's preload is gone); how many it took. */
async function runUntilRotated(tab: PlaygroundTab): Promise<number> {
  return tab.page.evaluate(async (preload) => {
    const client = (window as unknown as { playground: { run(o: { code: string }): Promise<unknown>; fileExists(p: string): Promise<boolean> } }).playground;
    let runs = 0;
    while (runs < 2_000 && (await client.fileExists(preload))) {
      await client.run({ code: '<?php echo 1;' });
      runs += 1;
    }
    return runs;
  }, ENGINE_PRELOAD);
}

const OLDER_BUILD_URL = `${PLAYGROUND_URL}?build=older`;

describe('Playground Sync on an older Playground build (window.playground only, legacy SQLite translator)', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;

  const titleOfPost = async (tab: PlaygroundTab, postId: number) =>
    (await postTitlesOnPostsScreen(tab)).find((row) => row.id === postId)?.title;

  beforeAll(async () => {
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    tabA = await browser.openPlaygroundTab(OLDER_BUILD_URL);
    tabB = await browser.openPlaygroundTab(OLDER_BUILD_URL);
    popup = await browser.openExtensionPage('popup/index.html');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('is an older build: no Sites API, the legacy translator runs the database', async () => {
    for (const tab of [tabA, tabB]) {
      expect(await tab.page.evaluate(() => 'playgroundSites' in window)).toBe(false);
      expect(
        await runPhpInTab(tab, `<?php require '/wordpress/wp-load.php'; global $wpdb; echo method_exists($wpdb, 'get_driver') ? 'ast' : get_class($wpdb->dbh);`),
      ).toBe('WP_SQLite_Translator');
    }
  });

  it('pairs the two tabs from the popup and syncs a post both ways, with the same ID', async () => {
    const tabIds = [await chromeTabIdOf(popup, tabA), await chromeTabIdOf(popup, tabB)];
    await pairInPopup(popup, tabIds);
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.phase, POLL).toBe('live');

    const postId = await publishPostInBlockEditor(tabA, 'From an older build', 'Written in tab A.');
    await expect.poll(() => titleOfPost(tabB, postId), POLL).toBe('From an older build');
    await editPostTitle(tabB, postId, 'Edited in B');
    await expect.poll(() => titleOfPost(tabA, postId), POLL).toBe('Edited in B');
    const failures = ((await sessionState(popup)).journal ?? []).filter((entry) => entry.status === 'failed' || entry.status === 'rejected');
    expect(failures).toEqual([]);
  });

});

/**
 * Older builds rotate each PHP instance's runtime every 400 requests and lose /internal doing so
 * (the stand-in's `?build=older` does the same). Tabs of their own, written to through `run()`.
 */
describe('Playground Sync through a runtime rotation of an older build', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;

  const titleOfPost = (tab: PlaygroundTab, postId: number) => wpJson<string | null>(tab, `get_post(${postId})?->post_title`);
  const integrity = (tab: PlaygroundTab) =>
    wpJson<string>(tab, `$GLOBALS['wpdb']->dbh->get_pdo()->query('PRAGMA integrity_check')->fetchColumn()`);

  beforeAll(async () => {
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    tabA = await browser.openPlaygroundTab(OLDER_BUILD_URL);
    tabB = await browser.openPlaygroundTab(OLDER_BUILD_URL);
    popup = await browser.openExtensionPage('popup/index.html');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('reinstalls the engine, loses nothing, repeats no line, and shows Live only when live', async () => {
    await pairInPopup(popup, [await chromeTabIdOf(popup, tabA), await chromeTabIdOf(popup, tabB)]);
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.phase, POLL).toBe('live');
    const runs = await runUntilRotated(tabB);
    console.info(`[older build] runtime rotated after ${runs} run() calls`);
    expect(runs).toBeLessThan(2_000);
    // Written right after the rotation, before the engine is back: the triggers capture it.
    const afterRotation = await wpJson<number>(tabB, `wp_insert_post(['post_title' => 'Written after the rotation', 'post_status' => 'publish'])`);
    await expect.poll(async () => (await sessionState(popup)).journal?.some((line) => line.summary.includes('reinstalled them')), POLL).toBe(true);
    await expect.poll(() => titleOfPost(tabA, afterRotation), POLL).toBe('Written after the rotation');
    const fromA = await wpJson<number>(tabA, `wp_insert_post(['post_title' => 'After the rotation, from A', 'post_status' => 'publish'])`);
    await expect.poll(() => titleOfPost(tabB, fromA), POLL).toBe('After the rotation, from A');

    await expect
      .poll(async () => (await sessionState(popup)).pairings?.[0]?.sides.map((side) => [side.pending, side.problem ?? null]), POLL)
      .toEqual([
        [0, null],
        [0, null],
      ]);
    await expect.poll(() => popup.locator('[data-testid="phase"]').first().textContent(), POLL).toBe('Live');
    expect([await integrity(tabA), await integrity(tabB)]).toEqual(['ok', 'ok']);
    const journal = (await sessionState(popup)).journal ?? [];
    expect(journal.filter((entry) => entry.status === 'failed' || entry.status === 'rejected')).toEqual([]);
    // One rotation, one reinstall line: nothing repeats on a timer.
    expect(journal.filter((entry) => entry.summary.includes('reinstalled them'))).toHaveLength(1);
  });
});
