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
import { editPostTitle, postTitlesOnPostsScreen, publishPostInBlockEditor, runPhpInTab } from './wp-admin';

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
