/**
 * User journeys around navigation and sites, end to end: the built extension (dist/) in Chromium,
 * Playground tabs of the offline stand-in, driven as a person uses them (wp-admin clicks, the
 * popup, the site manager's saved sites). Each journey checks both sites' contents where it
 * matters, and that the journal shows no failure. Screenshots of the popup in each state go to
 * the folder printed at the start.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/journeys-sites.test.ts
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { makePng as makeNoisyPng } from '../integration/files-png';
import { launchBrowser, openTwoTabsAndPopup, PLAYGROUND_URL, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf as tabIdIn, pairInPopup, POLL, sessionState as stateIn, troubleInJournal, type SessionState } from './extension-state';
import {
  contentDifferences,
  currentAdminPath,
  databaseIntegrity,
  openAdminPage,
  postTitlesOnPostsScreen,
  publishPostInBlockEditor,
  runPhpInTab,
  savedToOpfs,
  uploadMediaFile,
  wpAdminFrame,
  WP_ADMIN_TIMEOUT,
  wpJson,
} from './wp-admin';

interface SitesWindow {
  playgroundSites?: {
    list(): { slug: string; storage: string; isActive: boolean }[];
    saveInBrowser(): Promise<void>;
    setActiveSite(slug: string): Promise<void>;
  };
}

const SCREENS = join(tmpdir(), 'pg-sync-journeys');


describe('journeys: navigating, unpairing and opening sites in paired tabs', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;
  let tabIdA: number;
  let tabIdB: number;

  const sessionState = (): Promise<SessionState> => stateIn(popup);

  /** No line of the journal says something failed (or refused input): what the user would see as trouble. */
  async function expectNoFailure(): Promise<void> {
    expect(await troubleInJournal(popup)).toEqual([]);
  }

  async function screenshot(name: string): Promise<void> {
    await popup.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
  }

  async function waitForLivePairing(): Promise<string> {
    await expect.poll(async () => (await sessionState()).pairings?.map((pairing) => pairing.phase), POLL).toEqual(['live']);
    return (await sessionState()).pairings![0]!.pairId;
  }

  /** Clicks an item of wp-admin's menu, as a person does, and waits for its page. */
  async function clickAdminMenu(tab: PlaygroundTab, menuId: string, path: string): Promise<void> {
    await wpAdminFrame(tab).locator(`#${menuId} > a`).first().click({ timeout: WP_ADMIN_TIMEOUT });
    await expect.poll(() => currentAdminPath(tab).split('?')[0], { timeout: WP_ADMIN_TIMEOUT, interval: 200 }).toBe(path);
    await wpAdminFrame(tab).locator('#wpadminbar').first().waitFor({ state: 'attached', timeout: WP_ADMIN_TIMEOUT });
  }

  async function clickAround(tab: PlaygroundTab): Promise<void> {
    // From wherever the tab is (the block editor hides the admin menu), back to the dashboard first.
    await openAdminPage(tab, '/wp-admin/');
    await clickAdminMenu(tab, 'menu-posts', '/wp-admin/edit.php');
    await clickAdminMenu(tab, 'menu-media', '/wp-admin/upload.php');
    await clickAdminMenu(tab, 'menu-comments', '/wp-admin/edit-comments.php');
    await clickAdminMenu(tab, 'menu-settings', '/wp-admin/options-general.php');
    await openAdminPage(tab, '/wp-admin/profile.php');
    await clickAdminMenu(tab, 'menu-dashboard', '/wp-admin/index.php');
  }

  async function postTitles(tab: PlaygroundTab): Promise<string[]> {
    return (await postTitlesOnPostsScreen(tab)).map((row) => row.title).sort();
  }

  async function expectIntact(tab: PlaygroundTab): Promise<void> {
    expect(await databaseIntegrity(tab)).toBe('ok');
  }

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    console.info(`[journeys] popup screenshots in ${SCREENS}`);
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    ({ tabA, tabB, popup } = await openTwoTabsAndPopup(browser));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('clicks through wp-admin in both tabs for a while, then pairs them from the popup', async () => {
    tabIdA = await tabIdIn(popup, tabA);
    tabIdB = await tabIdIn(popup, tabB);
    await clickAround(tabA);
    await clickAround(tabB);
    // Navigations inside the page are no reload: both tabs still show their site, ready to pair.
    const registry = (await sessionState()).registry ?? {};
    expect([registry[tabIdA]?.status, registry[tabIdB]?.status]).toEqual(['ready', 'ready']);
    await screenshot('1-before-pairing');

    await pairInPopup(popup, [tabIdA, tabIdB]);
    await waitForLivePairing();
    await screenshot('2-paired-live');
    const postId = await publishPostInBlockEditor(tabA, 'After clicking around');
    await expect.poll(async () => (await postTitlesOnPostsScreen(tabB)).find((row) => row.id === postId)?.title, POLL).toBe('After clicking around');
    await expectNoFailure();
  });

  it('unpairs, keeps working in both tabs, and pairs them again without a reload', async () => {
    await popup.locator('[data-testid="unpair"]').click();
    await expect.poll(async () => (await sessionState()).pairings?.length ?? 0, POLL).toBe(0);
    await clickAround(tabA);
    await publishPostInBlockEditor(tabA, 'Written while unpaired');
    await clickAround(tabB);
    await screenshot('3-unpaired');

    // The sites now differ: the popup asks which one to keep; A is kept, B becomes a copy of it.
    await pairInPopup(popup, [tabIdA, tabIdB]);
    await popup.locator('[data-testid="differ"]').waitFor({ timeout: POLL.timeout });
    await screenshot('4-which-to-keep');
    await popup.locator(`[data-testid="keep-${tabIdA}"]`).click();
    await waitForLivePairing();
    await expect.poll(() => postTitles(tabB), POLL).toEqual(await postTitles(tabA));
    expect(await postTitles(tabB)).toContain('Written while unpaired');

    const postId = await publishPostInBlockEditor(tabB, 'After pairing again');
    await expect.poll(async () => (await postTitlesOnPostsScreen(tabA)).find((row) => row.id === postId)?.title, POLL).toBe('After pairing again');
    await expectIntact(tabA);
    await expectIntact(tabB);
    await expectNoFailure();
  });

  it('opening a saved site in a paired tab overwrites nothing, keeps it in the site manager, and the popup says why the pairing ended', async () => {
    // A saved site made in a third tab, with content of its own.
    const maker = await browser.openPlaygroundTab();
    await maker.page.evaluate(() => (window as unknown as SitesWindow).playgroundSites!.saveInBrowser());
    const savedSlug = maker.scope;
    await publishPostInBlockEditor(maker, 'Only in the saved site');
    // Closed only once Playground wrote the post back to OPFS (asynchronous; a close before it loses the post).
    await savedToOpfs(maker);
    await maker.page.close();
    const titlesOfB = await postTitles(tabB);

    // In paired tab A, the user switches to the saved site (the site manager: same page, new client).
    await tabA.page.evaluate((slug) => (window as unknown as SitesWindow).playgroundSites!.setActiveSite(slug), savedSlug);
    tabA = await browser.waitForPlayground(tabA.page);
    expect(tabA.scope).toBe(savedSlug);

    await expect.poll(async () => (await sessionState()).pairings?.length ?? 0, POLL).toBe(0);
    const notice = popup.locator('[data-testid="ended-pairing"]');
    await expect.poll(() => notice.count(), POLL).toBe(1);
    expect(await notice.locator('[data-testid="ended-reason"]').textContent()).toMatch(/switched to another site, .*, which was left as it is\. Pair again/);
    await screenshot('5-saved-site-opened');

    // Nothing of the pairing reached the saved site; its record stays and the site manager lists it.
    await openAdminPage(tabA, '/wp-admin/');
    expect(await postTitles(tabA)).toEqual(['Hello world!', 'Only in the saved site']);
    expect(await wpJson<string>(tabA, `json_decode(file_get_contents('/wordpress/wp-runtime.json'))->slug`)).toBe(savedSlug);
    const listed = await tabA.page.evaluate(() => (window as unknown as SitesWindow).playgroundSites!.list());
    expect(listed).toContainEqual(expect.objectContaining({ slug: savedSlug, storage: 'opfs', isActive: true }));
    // B is untouched and unpaired.
    expect(await postTitles(tabB)).toEqual(titlesOfB);
    await expectIntact(tabA);
    await expectIntact(tabB);
    await expectNoFailure();

    // The user reads the notice and dismisses it.
    await notice.locator('button').click();
    await expect.poll(() => notice.count(), POLL).toBe(0);
  });

  it('a paired saved site that reloads resumes from what it kept: no copy, nothing lost in either direction', async () => {
    const savedSlug = tabA.scope;
    await pairInPopup(popup, [tabIdA, tabIdB]);
    await popup.locator('[data-testid="differ"]').waitFor({ timeout: POLL.timeout });
    await popup.locator(`[data-testid="keep-${tabIdA}"]`).click();
    const pairId = await waitForLivePairing();
    await expect.poll(() => postTitles(tabB), POLL).toEqual(await postTitles(tabA));
    const fromB = await publishPostInBlockEditor(tabB, 'Synced into the saved site');
    await expect.poll(async () => (await postTitlesOnPostsScreen(tabA)).find((row) => row.id === fromB)?.title, POLL).toBe('Synced into the saved site');

    // Sync off: both sides work, so changes of both wait when A reloads (A's in its page, which the reload loses).
    const toggle = popup.locator(`[data-testid="pairing"][data-pair-id="${pairId}"] [data-testid="sync-toggle"]`);
    await toggle.setChecked(false);
    await expect.poll(async () => (await sessionState()).pairings?.[0]?.syncOn, POLL).toBe(false);
    await publishPostInBlockEditor(tabA, 'Written in the saved site while sync was off');
    // A big photo (3 MB of noise): WordPress makes its thumbnails too.
    await uploadMediaFile(tabA, 'kept-across-reload.png', makeNoisyPng(1024, 1024, 7));
    await runPhpInTab(tabA, `<?php mkdir('/wordpress/wp-content/plugins/kept-plugin'); file_put_contents('/wordpress/wp-content/plugins/kept-plugin/kept-plugin.php', '<?php /* Plugin Name: Kept */');`);
    await publishPostInBlockEditor(tabB, 'Written in B while sync was off');
    const journalBefore = (await sessionState()).journal?.length ?? 0;

    await tabA.page.goto(`${PLAYGROUND_URL}?site-slug=${savedSlug}`);
    tabA = await browser.waitForPlayground(tabA.page);
    expect(tabA.scope).toBe(savedSlug);
    await expect
      .poll(async () => (await sessionState()).journal?.slice(journalBefore).some((entry) => /was reloaded and kept its saved content/.test(entry.summary)), POLL)
      .toBe(true);
    expect((await sessionState()).pairings?.map((pairing) => [pairing.pairId, pairing.phase])).toEqual([[pairId, 'live']]);
    await screenshot('6-saved-site-reloaded-resumes');

    // Sync on again: what both sides did comes through, without a full-state copy.
    await toggle.setChecked(true);
    await expect.poll(async () => (await postTitles(tabA)).join('|'), POLL).toContain('Written in B while sync was off');
    await expect.poll(async () => (await postTitles(tabB)).join('|'), POLL).toContain('Written in the saved site while sync was off');
    await expect.poll(() => wpJson<boolean>(tabB, `file_exists(WP_PLUGIN_DIR . '/kept-plugin/kept-plugin.php')`), POLL).toBe(true);

    // Live again, A reloads right after a change, and B changes meanwhile.
    await runPhpInTab(tabA, `<?php require '/wordpress/wp-load.php'; wp_insert_post(['post_title' => 'Saved just before a reload', 'post_status' => 'publish']);`);
    // Playground writes a saved site back to OPFS after each request, asynchronously: a reload before that loses
    // A's last writes, which B may have already, and A then takes B's full state (engine-resume.test.ts). This
    // journey is about the resume without a copy: A reloads once its write and A's low ID for it are saved.
    const lowIdOnA = `(function () { global $wpdb; $id = (int) $wpdb->get_var("SELECT ID FROM $wpdb->posts WHERE post_title = 'Saved just before a reload'"); return $id > 0 && $id < 1000000000; })()`;
    await expect.poll(() => wpJson<boolean>(tabA, lowIdOnA), POLL).toBe(true);
    await savedToOpfs(tabA);
    await tabA.page.goto(`${PLAYGROUND_URL}?site-slug=${savedSlug}`);
    await runPhpInTab(tabB, `<?php require '/wordpress/wp-load.php'; wp_insert_post(['post_title' => 'Saved in B during the reload', 'post_status' => 'publish']);`);
    tabA = await browser.waitForPlayground(tabA.page);
    await expect.poll(async () => (await postTitles(tabB)).join('|'), POLL).toContain('Saved just before a reload');
    await expect.poll(async () => (await postTitles(tabA)).join('|'), POLL).toContain('Saved in B during the reload');

    await expect.poll(() => contentDifferences(tabA, tabB), POLL).toEqual([]);
    const uploads = `array_map('md5_file', glob(WP_CONTENT_DIR . '/uploads/*/*/kept-across-reload*'))`;
    expect(await wpJson<string[]>(tabB, uploads)).toEqual(await wpJson<string[]>(tabA, uploads));
    expect(await wpJson<string[]>(tabA, uploads)).not.toEqual([]);
    const pairing = (await sessionState()).pairings?.[0];
    expect(pairing?.sides.map((side) => side.pending)).toEqual([0, 0]);
    // Every line the popup shows was settled: none stays "pending" after the old page went.
    await expect.poll(async () => (await sessionState()).journal?.filter((entry) => entry.status === 'pending').map((entry) => entry.summary), POLL).toEqual([]);
    const since = (await sessionState()).journal?.slice(journalBefore) ?? [];
    expect(since.filter((entry) => /full state/i.test(entry.summary)).map((entry) => entry.summary)).toEqual([]);
    expect(await wpJson<string>(tabA, `json_decode(file_get_contents('/wordpress/wp-runtime.json'))->slug`)).toBe(savedSlug);
    expect(await wpJson<boolean>(tabB, `file_exists('/wordpress/wp-runtime.json')`)).toBe(false);
    await expectIntact(tabA);
    await expectIntact(tabB);
    await expectNoFailure();
    await screenshot('7-saved-site-resumed');
  });
});
