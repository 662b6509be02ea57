/**
 * A sync group of three tabs running three PHP versions (7.4, 8.3, 8.4) and two WordPress versions
 * (6.5 on the PHP 7.4 tab, nightly on the others), end to end: the built extension (dist/) in
 * Chromium, Playground tabs of the offline stand-in opened with `?php=` and `?wp=` as on the real
 * site. Each tab keeps its own WordPress throughout. Grouped from the popup as a person does, a post published in
 * each tab's block editor and an image uploaded on each tab's media screen reach all three; a reloaded
 * temporary site is restored from another member; a tab removed from the group on its card no
 * longer gets what the others write. Screenshots of the popup go to the folder printed at the start.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/journeys-group.test.ts
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { makePng } from './fixtures/make-png';
import { launchBrowser, PLAYGROUND_URL, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf, POLL, printJournalTail, selectTabsInPopup, sessionState, troubleInJournal } from './extension-state';
import { databaseIntegrity, postTitlesOnPostsScreen, publishPostInBlockEditor, runPhpInTab, uploadMediaFile, wpJson } from './wp-admin';

const SCREENS = join(tmpdir(), 'pg-sync-journeys');
const PHP_VERSIONS = ['7.4', '8.3', '8.4'] as const;
type PhpVersion = (typeof PHP_VERSIONS)[number];
/** The WordPress each tab runs (`?wp=`), as its own `$wp_version` reads. */
const WORDPRESS: Record<PhpVersion, { query: string; version: RegExp }> = {
  '7.4': { query: '&wp=6.5', version: /^6\.5\.\d+$/ },
  '8.3': { query: '', version: /^6\.7-alpha/ },
  '8.4': { query: '', version: /^6\.7-alpha/ },
};

/** The image each tab uploads. */
const photoOf = (php: PhpVersion) => `group-photo-${php.replace('.', '')}.png`;

/** The tab's WordPress version, read through its client. */
function wordpressVersionOf(tab: PlaygroundTab): Promise<string> {
  return wpJson<string>(tab, `$GLOBALS['wp_version']`);
}

/** Titles of the published posts of a site, read through its client. */
function publishedTitles(tab: PlaygroundTab): Promise<string[]> {
  return wpJson<string[]>(tab, `$GLOBALS['wpdb']->get_col("SELECT post_title FROM {$GLOBALS['wpdb']->posts} WHERE post_type = 'post' AND post_status = 'publish' ORDER BY post_title")`);
}

/** md5 of every uploaded original named `fileName` (thumbnails aside), and how many attachments point at one. */
function uploadedCopies(tab: PlaygroundTab, fileName: string): Promise<{ md5: string[]; attachments: number }> {
  return wpJson(
    tab,
    `['md5' => array_map('md5_file', glob(WP_CONTENT_DIR . '/uploads/*/*/${fileName}')),
      'attachments' => (int) $GLOBALS['wpdb']->get_var("SELECT COUNT(*) FROM {$GLOBALS['wpdb']->postmeta} WHERE meta_key = '_wp_attached_file' AND meta_value LIKE '%/${fileName}'")]`,
  );
}

// About 110 s: three tabs on three PHP runtimes. `npm run test:e2e:group` runs it alone.
describe('journeys: a sync group of three tabs on PHP 7.4 (WordPress 6.5), 8.3 and 8.4 (nightly)', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  const tabs = {} as Record<PhpVersion, PlaygroundTab>;
  const tabIds = {} as Record<PhpVersion, number>;

  const card = (): Locator => popup.locator('[data-testid="pairing"]');

  async function screenshot(name: string): Promise<void> {
    await popup.screenshot({ path: join(SCREENS, `group-${name}.png`), fullPage: true });
  }

  async function waitForLiveGroup(size: number): Promise<void> {
    await expect
      .poll(async () => (await sessionState(popup)).pairings?.map((pairing) => [pairing.phase, pairing.sides.length]), POLL)
      .toEqual([['live', size]]);
    await expect.poll(() => card().getAttribute('data-phase'), POLL).toBe('live');
  }

  async function expectNoFailure(): Promise<void> {
    expect(await troubleInJournal(popup)).toEqual([]);
  }

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    console.info(`[journeys-group] popup screenshots in ${SCREENS}`);
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    const opened = await Promise.all(PHP_VERSIONS.map((php) => browser.openPlaygroundTab(`${PLAYGROUND_URL}?php=${php}${WORDPRESS[php].query}`)));
    PHP_VERSIONS.forEach((php, index) => (tabs[php] = opened[index]!));
    popup = await browser.openExtensionPage('popup/index.html');
    await popup.setViewportSize({ width: 420, height: 1000 });
  });
  afterAll(() => browser?.close());
  // A change that never arrives leaves only a timeout: the journal and the group say where it stopped.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && popup) await printJournalTail(popup, 60);
  });

  it('the popup lists each tab with its PHP and WordPress versions; ticking all three and "Sync 3 tabs" makes a live group', async () => {
    for (const php of PHP_VERSIONS) tabIds[php] = await chromeTabIdOf(popup, tabs[php]);
    for (const php of PHP_VERSIONS) {
      const row = popup.locator(`[data-testid="tab"][data-tab-id="${tabIds[php]}"]`);
      await expect.poll(() => row.locator('[data-testid="php-version"]').textContent(), POLL).toMatch(new RegExp(`^${php.replace('.', '\\.')}\\.`));
      expect(await row.locator('[data-testid="wp-version"]').textContent()).toMatch(WORDPRESS[php].version);
    }
    await selectTabsInPopup(popup, PHP_VERSIONS.map((php) => tabIds[php]));
    const pair = popup.locator('[data-testid="pair"]');
    expect(await pair.textContent()).toBe('Sync 3 tabs');
    await screenshot('1-three-tabs-ticked');

    await pair.click();
    // Three new sites may already read the same; if not, the popup asks which one to keep.
    const differ = popup.locator('[data-testid="differ"]');
    await differ.or(card()).first().waitFor({ timeout: POLL.timeout });
    if (await differ.isVisible()) {
      // Fresh sites of two WordPress versions count the same: the panel says why they still differ.
      expect(await popup.locator('[data-testid="summary"] .summary__row--differs').count()).toBe(0);
      expect(await popup.locator('[data-testid="differ-unseen"]').isVisible()).toBe(true);
      await screenshot('2-which-to-keep');
      await popup.locator(`[data-testid="keep-${tabIds['8.3']}"]`).click();
    }
    await waitForLiveGroup(3);
    expect(await card().locator('[data-testid="remove-tab"]').count()).toBe(3);
    await screenshot('3-group-live');
    // The copy brought the kept site's content, not its WordPress.
    for (const php of PHP_VERSIONS) expect(await wordpressVersionOf(tabs[php])).toMatch(WORDPRESS[php].version);
    await expectNoFailure();
  });

  it('a post published in each tab’s block editor and an image uploaded on each tab’s media screen reach all three tabs', async () => {
    const expected = {} as Record<PhpVersion, { md5: string[]; attachments: number }>;
    for (const [index, php] of PHP_VERSIONS.entries()) {
      await publishPostInBlockEditor(tabs[php], `Published on PHP ${php}`, `Written in the block editor of the PHP ${php} tab.`);
      const photo = makePng(96 + index, 84);
      await uploadMediaFile(tabs[php], photoOf(php), photo);
      expected[php] = { md5: [createHash('md5').update(photo).digest('hex')], attachments: 1 };
    }
    for (const tab of PHP_VERSIONS) {
      for (const origin of PHP_VERSIONS) {
        await expect.poll(() => publishedTitles(tabs[tab]), POLL).toContain(`Published on PHP ${origin}`);
        await expect.poll(() => uploadedCopies(tabs[tab], photoOf(origin)), POLL).toEqual(expected[origin]);
      }
    }
    await screenshot('4-posts-and-images-synced');
    await expectNoFailure();
  });

  it('the reloaded temporary site of the PHP 8.4 tab is restored from another member: the card shows copying, then live', async () => {
    const reloaded = tabs['8.4'];
    const oldScope = reloaded.scope;
    const journalBefore = (await sessionState(popup)).journal?.length ?? 0;
    // Watched from before the reload: the copy may end before the tab's own page says it is ready.
    const copyingShown = popup
      .locator('[data-testid="pairing"][data-phase="copying"]')
      .waitFor({ timeout: POLL.timeout * 2 })
      .then(() => screenshot('5-restoring-reloaded-tab'));
    await reloaded.page.reload();
    tabs['8.4'] = await browser.waitForPlayground(reloaded.page);
    expect(tabs['8.4'].scope).not.toBe(oldScope);
    await copyingShown;
    await waitForLiveGroup(3);
    await screenshot('6-restored-live');

    const restoreLine = (await sessionState(popup)).journal?.slice(journalBefore).find((entry) => /lost its site \(the tab was reloaded\): restoring it from/.test(entry.summary));
    const sources = (['7.4', '8.3'] as const).map((php) => tabs[php].absoluteUrl);
    expect(sources.some((siteUrl) => restoreLine?.summary.endsWith(`restoring it from ${siteUrl}`))).toBe(true);
    expect(await wpJson<string>(tabs['8.4'], 'PHP_VERSION')).toMatch(/^8\.4\./);
    expect(await wordpressVersionOf(tabs['8.4'])).toMatch(WORDPRESS['8.4'].version);
    expect((await postTitlesOnPostsScreen(tabs['8.4'])).map((row) => row.title)).toEqual(expect.arrayContaining(PHP_VERSIONS.map((php) => `Published on PHP ${php}`)));
    for (const php of PHP_VERSIONS) expect(await uploadedCopies(tabs['8.4'], photoOf(php))).toEqual(await uploadedCopies(tabs['8.3'], photoOf(php)));
    await expectNoFailure();
  });

  // A person reloads two tabs one after the other; the second may be the one the first is being restored from.
  it('two tabs reloaded one right after the other are both restored, and the group goes on live with everything', async () => {
    const copyFrom = async (php: PhpVersion) => (await sessionState(popup)).pairings?.[0]?.sides.find((side) => side.tabId === tabIds[php])?.copy?.fromTabId;
    const [first, second] = ['8.4', '8.3'] as const;
    const reloadingFirst = tabs[first].page.reload();
    // As soon as the first one's copy is under way, or done if that was quicker than a look.
    await expect.poll(async () => (await copyFrom(first)) !== undefined || (await sessionState(popup)).pairings?.[0]?.phase === 'live', { interval: 5, timeout: POLL.timeout }).toBe(true);
    const sourceOfFirst = await copyFrom(first);
    await tabs[second].page.reload();
    await reloadingFirst;
    tabs[first] = await browser.waitForPlayground(tabs[first].page);
    tabs[second] = await browser.waitForPlayground(tabs[second].page);
    await waitForLiveGroup(3);
    console.info(`[journeys-group] second reload ${sourceOfFirst === tabIds[second] ? 'came during the copy it was the source of' : 'came after the first copy'}`);
    for (const php of [first, second]) {
      expect((await postTitlesOnPostsScreen(tabs[php])).map((row) => row.title)).toEqual(expect.arrayContaining(PHP_VERSIONS.map((version) => `Published on PHP ${version}`)));
      expect(await wordpressVersionOf(tabs[php])).toMatch(WORDPRESS[php].version);
    }
    const title = 'After two reloads';
    await runPhpInTab(tabs[second], `<?php require '/wordpress/wp-load.php'; wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);`);
    for (const php of PHP_VERSIONS) await expect.poll(() => publishedTitles(tabs[php]), POLL).toContain(title);
    await expectNoFailure();
  });

  it('the PHP 7.4 tab removed on the card no longer gets new posts; the remaining member still does', async () => {
    await card().locator(`[data-testid="remove-tab"][data-tab-id="${tabIds['7.4']}"]`).click();
    await waitForLiveGroup(2);
    expect((await sessionState(popup)).pairings?.[0]?.sides.map((side) => side.tabId).sort()).toEqual([tabIds['8.3'], tabIds['8.4']].sort());
    // In a group of two there is nothing left to remove: Unpair ends it. The removed tab is offered back.
    expect(await card().locator('[data-testid="remove-tab"]').count()).toBe(0);
    expect(await card().locator('[data-testid="add-tab-choice"]').inputValue()).toBe(String(tabIds['7.4']));
    await expect.poll(() => card().locator('[data-testid="add-tab"]').isEnabled(), POLL).toBe(true);
    await screenshot('7-php-7-4-removed');

    // Written through the site's client (the block editor's way is covered above): what matters is where it goes.
    const title = 'After PHP 7.4 left the group';
    await runPhpInTab(tabs['8.3'], `<?php require '/wordpress/wp-load.php'; wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);`);
    await expect.poll(() => publishedTitles(tabs['8.4']), POLL).toContain(title);
    expect(await publishedTitles(tabs['7.4'])).not.toContain(title);
    for (const php of PHP_VERSIONS) expect(await databaseIntegrity(tabs[php])).toBe('ok');
    await expectNoFailure();
  });
});
