/**
 * Playground Sync end to end: the built extension (dist/) in Chromium, two Playground tabs of the
 * offline stand-in, paired from the popup; every change is made by a user in wp-admin.
 * The scenarios run in order on one browser and one pair of tabs.
 *
 *   npm run build && npx vitest run --project e2e test/e2e/extension-sync.test.ts
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './axe';
import { answerLeaving, launchBrowser, timesAskedToLeave, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf as tabIdIn, POLL, sessionState as stateIn, SYNC_TIMEOUT, type JournalEntry, type Pairing, type SessionState } from './extension-state';
import { makePng } from './fixtures/make-png';
import { makeTestPluginZip, TEST_PLUGIN_FILE, TEST_PLUGIN_ROW_NOTE, TEST_PLUGIN_SLUG, TEST_PLUGIN_TABLE_SUFFIX } from './fixtures/make-plugin-zip';
import {
  currentAdminPath,
  editPostTitle,
  isPluginActive,
  openAdminPage,
  postTitlesOnPostsScreen,
  publishPostInBlockEditor,
  readFileFromTab,
  runPhpInTab,
  settledPostId,
  uploadAndActivatePlugin,
  uploadMediaFile,
  wpJson,
  type PostRow,
} from './wp-admin';

describe('Playground Sync between two paired Playground tabs', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;
  let tabIdA: number;
  let tabIdB: number;
  let pairId: string;
  let firstPostId: number;

  // --- Reading the extension's state -----------------------------------------------------------

  const sessionState = (): Promise<SessionState> => stateIn(popup);
  const chromeTabIdOf = (tab: PlaygroundTab): Promise<number> => tabIdIn(popup, tab);

  async function currentPairing(): Promise<Pairing | undefined> {
    return (await sessionState()).pairings?.find((pairing) => pairing.pairId === pairId);
  }

  async function journal(): Promise<JournalEntry[]> {
    return (await sessionState()).journal ?? [];
  }

  async function badgeText(): Promise<string> {
    return popup.evaluate(() => chrome.action.getBadgeText({}));
  }

  /** A site's name as the journal says it: new sites share a default name, told apart by their scope. */
  async function siteNameOf(tab: PlaygroundTab, tabId: number): Promise<string> {
    const registry = (await sessionState()).registry ?? {};
    const name = registry[tabId]?.site?.name ?? '';
    const shared = Object.values(registry).filter((entry) => entry.site?.name === name).length > 1;
    return shared ? `${name} (${tab.scope})` : name;
  }

  function pendingOf(pairing: Pairing | undefined, tabId: number): number {
    return pairing?.sides.find((side) => side.tabId === tabId)?.pending ?? 0;
  }

  async function waitForPhase(phase: Pairing['phase']): Promise<void> {
    await expect.poll(async () => (await currentPairing())?.phase, POLL).toBe(phase);
  }

  // --- Acting in the popup ----------------------------------------------------------------------

  function pairingCard() {
    return popup.locator(`[data-testid="pairing"][data-pair-id="${pairId}"]`);
  }

  async function setSyncInPopup(on: boolean): Promise<void> {
    await pairingCard().locator('[data-testid="sync-toggle"]').setChecked(on);
    await expect.poll(async () => (await currentPairing())?.syncOn, POLL).toBe(on);
  }

  // --- Site checks --------------------------------------------------------------------------------

  async function titleOfPost(tab: PlaygroundTab, postId: number): Promise<string | undefined> {
    return (await postTitlesOnPostsScreen(tab)).find((row) => row.id === postId)?.title;
  }

  async function lowIdsOn(): Promise<boolean> {
    return (await currentPairing())?.lowIds === true;
  }

  function sortedRows(rows: PostRow[]): PostRow[] {
    return [...rows].sort((a, b) => a.id - b.id);
  }

  beforeAll(async () => {
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    tabA = await browser.openPlaygroundTab();
    tabB = await browser.openPlaygroundTab();
    popup = await browser.openExtensionPage('popup/index.html');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('pairs two fresh tabs from the popup and goes live without asking which site to keep', async () => {
    tabIdA = await chromeTabIdOf(tabA);
    tabIdB = await chromeTabIdOf(tabB);
    for (const tabId of [tabIdA, tabIdB]) {
      const row = popup.locator(`[data-testid="tab"][data-tab-id="${tabId}"]`);
      await row.locator('[data-testid="select-tab"]').check({ timeout: SYNC_TIMEOUT });
    }
    await popup.locator('[data-testid="pair"]').click();

    await expect.poll(async () => (await sessionState()).pairings?.length ?? 0, POLL).toBe(1);
    pairId = (await sessionState()).pairings![0]!.pairId;
    await waitForPhase('live');
    expect(await popup.locator('[data-testid="differ"]').count()).toBe(0);
    expect(await popup.locator('[data-testid="error"]').count()).toBe(0);
    const pairing = (await currentPairing())!;
    expect(pairing.sides.map((side) => side.tabId).sort()).toEqual([tabIdA, tabIdB].sort());
    expect(pairing.syncOn).toBe(true);
    await expect.poll(() => pairingCard().getAttribute('data-phase'), POLL).toBe('live');
    expect(await pairingCard().locator('[data-testid="sync-toggle"]').isChecked()).toBe(true);
    // The copy must leave each tab's own login alone: wp-admin opens without asking to log in.
    for (const tab of [tabA, tabB]) {
      await openAdminPage(tab, '/wp-admin/');
      expect(currentAdminPath(tab)).toBe('/wp-admin/');
    }
  });

  it('a post published in A’s block editor shows on B’s Posts screen with the same ID', async () => {
    await publishPostInBlockEditor(tabA, 'Synced from A', 'Written in tab A.');
    // Leaving the editor lets the post go (a post open in an editor keeps its ID).
    await openAdminPage(tabA, '/wp-admin/edit.php');
    firstPostId = await settledPostId([tabA, tabB], { title: 'Synced from A' }, await lowIdsOn());
    await expect.poll(() => titleOfPost(tabB, firstPostId), POLL).toBe('Synced from A');
    expect(await titleOfPost(tabA, firstPostId)).toBe('Synced from A');

    // The popup's journal says it as a person would: one entry, from A to B, synced; the tables behind it only on request.
    const [nameA, nameB] = await Promise.all([siteNameOf(tabA, tabIdA), siteNameOf(tabB, tabIdB)]);
    const published = popup.locator('[data-testid="journal-entry"][data-kind="change"]', { hasText: 'Post “Synced from A” published' });
    await expect.poll(() => published.count(), POLL).toBe(1);
    await expect.poll(() => published.getAttribute('data-status'), POLL).toBe('applied');
    expect(await published.locator('[data-testid="journal-route"]').textContent()).toBe(`${nameA} → ${nameB}`);
    expect(await popup.locator('[data-testid="journal-entry"][data-kind="rows"]').count()).toBe(0);
    await popup.locator('[data-testid="show-technical"]').check();
    await expect.poll(() => popup.locator('[data-testid="journal-entry"][data-kind="rows"]').count(), POLL).toBeGreaterThan(0);
    await popup.locator('[data-testid="show-technical"]').uncheck();
    // Its details open in place and close with Esc, the focus back on the entry.
    await published.locator('button[aria-expanded]').click();
    await expect.poll(() => published.locator('[data-testid="journal-detail"]').textContent(), POLL).toContain(`Applied on ${nameB}`);
    await expectNoAxeViolations(popup, 'the popup with a journal entry open');
    await popup.keyboard.press('Escape');
    expect(await published.locator('[data-testid="journal-detail"]').count()).toBe(0);
    expect(await popup.evaluate(() => document.activeElement?.getAttribute('aria-expanded'))).toBe('false');
  });

  it('an image uploaded in B’s media library arrives byte for byte in A’s uploads', async () => {
    const png = makePng(16, 7);
    await uploadMediaFile(tabB, 'from-b.png', png);
    const attachmentId = await settledPostId([tabB, tabA], { name: 'from-b' }, await lowIdsOn());
    const path = await wpJson<string>(tabB, `get_attached_file(${attachmentId})`);
    expect(path).toMatch(/^\/wordpress\/wp-content\/uploads\/.*from-b.*\.png$/);
    await expect
      .poll(async () => {
        const bytes = await readFileFromTab(tabA, path).catch(() => undefined);
        return bytes ? Buffer.from(bytes).equals(Buffer.from(png)) : false;
      }, POLL)
      .toBe(true);
    await expect.poll(() => wpJson<string>(tabA, `get_attached_file(${attachmentId})`), POLL).toBe(path);
  });

  it('a plugin uploaded and activated in A is active in B, with the table and row its activation made', async () => {
    await uploadAndActivatePlugin(tabA, makeTestPluginZip(), `${TEST_PLUGIN_SLUG}.zip`);
    expect(await isPluginActive(tabA, TEST_PLUGIN_SLUG)).toBe(true);
    // Opening B's Plugins screen before the plugin's files arrived would make WordPress deactivate it there.
    await expect
      .poll(() => runPhpInTab(tabB, `<?php echo file_exists('/wordpress/wp-content/plugins/${TEST_PLUGIN_FILE}') ? 'yes' : 'no';`), POLL)
      .toBe('yes');
    await expect.poll(() => isPluginActive(tabB, TEST_PLUGIN_SLUG), POLL).toBe(true);
    const notes = await wpJson<string[] | null>(
      tabB,
      `(function () { global $wpdb; $t = $wpdb->prefix . '${TEST_PLUGIN_TABLE_SUFFIX}';
        return $wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $t)) === $t ? $wpdb->get_col("SELECT note FROM $t") : null; })()`,
    );
    expect(notes).toEqual([TEST_PLUGIN_ROW_NOTE]);
  });

  it('with sync off an edit waits (counted on the badge) and arrives once sync is on again', async () => {
    await setSyncInPopup(false);
    await editPostTitle(tabA, firstPostId, 'Edited while paused');
    expect(await titleOfPost(tabA, firstPostId)).toBe('Edited while paused');
    await expect.poll(async () => pendingOf(await currentPairing(), tabIdA), POLL).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => Number(await badgeText()), POLL).toBeGreaterThanOrEqual(1);
    // Amber on the grey icon while sync is off (#78350f), green again once it is on.
    expect(await popup.evaluate(() => chrome.action.getBadgeBackgroundColor({}))).toEqual([0x78, 0x35, 0x0f, 255]);
    await expect
      .poll(() => pairingCard().locator(`[data-testid="pending"][data-tab-id="${tabIdA}"]`).textContent(), POLL)
      .toMatch(/\d+ changes? pending/);
    // A's save is stored and counted as waiting: B must still hold the old title.
    expect(await titleOfPost(tabB, firstPostId)).toBe('Synced from A');
    // Closing A now would lose the edit with the page: the browser asks first ("Leave site?"), and the person stays.
    answerLeaving(tabA.page, 'stay');
    const asked = timesAskedToLeave(tabA.page);
    await tabA.page.close({ runBeforeUnload: true });
    await expect.poll(() => timesAskedToLeave(tabA.page), POLL).toBe(asked + 1);
    expect(tabA.page.isClosed()).toBe(false);
    answerLeaving(tabA.page, 'leave');

    await setSyncInPopup(true);
    await expect.poll(() => titleOfPost(tabB, firstPostId), POLL).toBe('Edited while paused');
    await expect.poll(async () => pendingOf(await currentPairing(), tabIdA), POLL).toBe(0);
    await expect.poll(() => popup.evaluate(() => chrome.action.getBadgeBackgroundColor({})), POLL).toEqual([0x15, 0x80, 0x3d, 255]);
  });

  it('the same post edited differently on both sides while paused converges to one title, journaled as a conflict', async () => {
    const conflictsBefore = (await journal()).filter((entry) => entry.status === 'conflict').length;
    await setSyncInPopup(false);
    await editPostTitle(tabA, firstPostId, 'Title from A');
    await editPostTitle(tabB, firstPostId, 'Title from B');
    await expect
      .poll(async () => {
        const pairing = await currentPairing();
        return Math.min(pendingOf(pairing, tabIdA), pendingOf(pairing, tabIdB));
      }, POLL)
      .toBeGreaterThanOrEqual(1);

    await setSyncInPopup(true);
    await expect
      .poll(async () => {
        const [a, b] = [await titleOfPost(tabA, firstPostId), await titleOfPost(tabB, firstPostId)];
        return a === b ? a : `A: ${a} / B: ${b}`;
      }, POLL)
      .toMatch(/^Title from [AB]$/);
    await expect
      .poll(async () => (await journal()).filter((entry) => entry.status === 'conflict').length, POLL)
      .toBeGreaterThan(conflictsBefore);
    // The journal's own page shows the conflict with both titles, and opens the post in both tabs.
    const page = await browser.openExtensionPage('popup/journal.html');
    await page.locator('[data-testid="filter-status"]').selectOption('conflict');
    const titles = { kept: (await titleOfPost(tabA, firstPostId))!, lost: '' };
    titles.lost = titles.kept === 'Title from A' ? 'Title from B' : 'Title from A';
    const conflict = page.locator('[data-testid="journal-entry"][data-status="conflict"]', { hasText: `Post “${titles.kept}” changed on both sites at once` });
    await expect.poll(() => conflict.count(), POLL).toBe(1);
    expect(await page.locator('[data-testid="journal-entry"]:not([data-status="conflict"])').count()).toBe(0);
    await conflict.locator('button[aria-expanded]').click();
    const titleRow = conflict.locator('[data-testid="journal-conflict"] tr', { hasText: ': title' });
    expect(await titleRow.locator('[data-testid="conflict-kept"]').textContent()).toBe(titles.kept);
    expect(await titleRow.locator('[data-testid="conflict-lost"]').textContent()).toBe(titles.lost);
    expect(await conflict.textContent()).not.toMatch(/\d{13}|version/);
    await expectNoAxeViolations(page, 'the journal page with a conflict open');
    await conflict.locator('[data-testid="open-in-tabs"]').click();
    for (const tab of [tabA, tabB]) {
      await expect.poll(() => currentAdminPath(tab), POLL).toBe(`/wp-admin/post.php?post=${firstPostId}&action=edit`);
    }
    // The export holds every line, clock values included (only there).
    await page.locator('[data-testid="filter-status"]').selectOption('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export"]').click()]);
    const exported = (await readFile((await download.path())!, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as JournalEntry);
    expect(exported.some((line) => line.status === 'conflict' && line.clocks !== undefined)).toBe(true);
    expect(exported.some((line) => line.kind === 'change' && line.summary.startsWith('Post “Synced from A” published'))).toBe(true);
    await page.close();
    for (const tab of [tabA, tabB]) await openAdminPage(tab, '/wp-admin/');
  });

  it('a reloaded tab B (new scope) is restored from A and keeps syncing', async () => {
    const postsOfA = sortedRows(await postTitlesOnPostsScreen(tabA));
    const oldScope = tabB.scope;
    await tabB.page.reload();
    tabB = await browser.waitForPlayground(tabB.page);
    expect(tabB.scope).not.toBe(oldScope);

    await expect
      .poll(async () => (await currentPairing())?.sides.find((side) => side.tabId === tabIdB)?.scope, POLL)
      .toBe(tabB.scope);
    await waitForPhase('live');
    await openAdminPage(tabB, '/wp-admin/');
    expect(currentAdminPath(tabB)).toBe('/wp-admin/');
    expect(sortedRows(await postTitlesOnPostsScreen(tabB))).toEqual(postsOfA);

    const postId = await publishPostInBlockEditor(tabA, 'After B reloaded');
    await expect.poll(() => titleOfPost(tabB, postId), POLL).toBe('After B reloaded');
  });

  it('posts published while the service worker is stopped mid-sync land exactly once on both sides', async () => {
    const titles = ['Across a worker stop 1', 'Across a worker stop 2', 'Across a worker stop 3'];
    await publishPostInBlockEditor(tabA, titles[0]!);
    await stopExtensionServiceWorker();
    await publishPostInBlockEditor(tabB, titles[1]!);
    await stopExtensionServiceWorker();
    await publishPostInBlockEditor(tabA, titles[2]!);
    await stopExtensionServiceWorker();

    const countsOf = (rows: PostRow[]) => titles.map((title) => rows.filter((row) => row.title === title).length);
    await expect.poll(async () => countsOf(await postTitlesOnPostsScreen(tabB)), POLL).toEqual([1, 1, 1]);
    await expect.poll(async () => countsOf(await postTitlesOnPostsScreen(tabA)), POLL).toEqual([1, 1, 1]);
    await expect
      .poll(async () => {
        const [a, b] = [await postTitlesOnPostsScreen(tabA), await postTitlesOnPostsScreen(tabB)];
        return JSON.stringify(sortedRows(a)) === JSON.stringify(sortedRows(b));
      }, POLL)
      .toBe(true);
    await waitForPhase('live');
  });

  it('a forged bridge handshake from page script is rejected and journaled', async () => {
    const before = new Set((await journal()).map((entry) => entry.id));
    await tabA.page.evaluate(() => {
      const channel = new MessageChannel();
      window.postMessage({ type: 'playground-sync/bridge-handshake', nonce: '0'.repeat(32) }, '*', [channel.port2]);
    });
    await expect
      .poll(async () => (await journal()).filter((e) => !before.has(e.id) && e.status === 'rejected' && e.kind === 'input').length, POLL)
      .toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => popup.locator('[data-testid="journal-entry"][data-status="rejected"][data-kind="input"]').count(), POLL)
      .toBeGreaterThanOrEqual(1);
  });

  it('a malformed sync message posted from PHP is rejected and journaled, and B is unchanged', async () => {
    const postsOfB = sortedRows(await postTitlesOnPostsScreen(tabB));
    const before = new Set((await journal()).map((entry) => entry.id));
    // A drain's "changes ready" signal as any PHP on the site could forge it: a bad peer id and a batch riding along.
    const answer = await runPhpInTab(
      tabA,
      `<?php echo json_encode(post_message_to_js(json_encode(['type' => 'pg-sync/changes-ready', 'peer' => '__proto__', 'batch' => 'forged'])));`,
    );
    expect(answer).not.toContain('pg-sync/noted');
    await expect
      .poll(
        async () =>
          (await journal())
            .filter((e) => !before.has(e.id) && e.status === 'rejected' && e.kind === 'input')
            .map((e) => `${e.target}: ${e.summary.replace(/:.*/s, '')}`),
        POLL,
      )
      .toEqual(['site message: Rejected site message']);
    expect(sortedRows(await postTitlesOnPostsScreen(tabB))).toEqual(postsOfB);
    expect((await currentPairing())?.phase).toBe('live');
  });

  it('after unpairing, a post published in A never reaches B', async () => {
    await pairingCard().locator('[data-testid="unpair"]').click();
    await expect.poll(async () => (await sessionState()).pairings?.length ?? 0, POLL).toBe(0);
    await expect.poll(() => pairingCard().count(), POLL).toBe(0);
    expect(await badgeText()).toBe('');

    const postId = await publishPostInBlockEditor(tabA, 'Not for B');
    expect(await titleOfPost(tabA, postId)).toBe('Not for B');
    // Absence cannot be polled for: give a sync that should not happen a few resend rounds of the
    // peers (every 3 s) to show up, then check once.
    await new Promise((done) => setTimeout(done, 8000));
    expect(await titleOfPost(tabB, postId)).toBeUndefined();
  });

  /**
   * Stops the extension's service worker the way Chrome does when it idles (not an extension
   * reload): CDP's ServiceWorker domain, from the popup (an extension page, so it sees the
   * extension's registration). Playwright's Worker neither closes nor answers afterwards, so the
   * stop is confirmed by CDP's own version status: every status the version goes through after
   * the stop is kept, because a tab's next message (a change pulled from its site moments after
   * the publish) starts the worker again at once, often within one poll interval.
   */
  async function stopExtensionServiceWorker(): Promise<void> {
    const cdp = await browser.context.newCDPSession(popup);
    const status = new Map<string, string>();
    const history = new Map<string, string[]>();
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      for (const version of versions) {
        if (!version.scriptURL.startsWith('chrome-extension://')) continue;
        status.set(version.versionId, version.runningStatus);
        history.get(version.versionId)?.push(version.runningStatus);
      }
    });
    try {
      await cdp.send('ServiceWorker.enable');
      const runningVersion = () => [...status].find(([, running]) => running === 'running')?.[0];
      await expect.poll(runningVersion, { timeout: 10_000, interval: 50 }).toBeDefined();
      const versionId = runningVersion()!;
      history.set(versionId, []);
      await cdp.send('ServiceWorker.stopWorker', { versionId });
      await expect.poll(() => history.get(versionId), { timeout: 30_000, interval: 50 }).toContain('stopped');
    } finally {
      await cdp.detach();
    }
  }
});
