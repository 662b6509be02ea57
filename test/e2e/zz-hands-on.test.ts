import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf, POLL, sessionState, SYNC_TIMEOUT } from './extension-state';
import { makePng } from './fixtures/make-png';
import { openAdminPage, postTitlesOnPostsScreen, publishPostInBlockEditor, readFileFromTab, uploadMediaFile, wpJson } from './wp-admin';

const OUT = '/tmp/hands-on-s13';
let browser: LaunchedBrowser;
let popup: Page;
const tabs: PlaygroundTab[] = [];
const ids: number[] = [];
const shot = (name: string) => popup.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
const group = async () => (await sessionState(popup)).pairings?.[0];

beforeAll(async () => {
  browser = await launchBrowser({ extensionPath: resolve('dist') });
  for (let i = 0; i < 4; i++) tabs.push(await browser.openPlaygroundTab());
  popup = await browser.openExtensionPage('popup/index.html');
  await popup.setViewportSize({ width: 420, height: 900 });
});
afterAll(async () => {
  await browser?.close();
});

it('hands-on: a group of three from the popup, wander, add a fourth, remove one', async () => {
  for (const tab of tabs) ids.push(await chromeTabIdOf(popup, tab));
  // Wander first: wp-admin in each tab makes the sites differ a little.
  await openAdminPage(tabs[1]!, '/wp-admin/edit.php');
  await openAdminPage(tabs[2]!, '/wp-admin/options-general.php');
  for (const tabId of ids.slice(0, 3)) await popup.locator(`[data-testid="tab"][data-tab-id="${tabId}"] [data-testid="select-tab"]`).check({ timeout: SYNC_TIMEOUT });
  await shot('01-three-ticked');
  console.log('button:', await popup.locator('[data-testid="pair"]').textContent());
  await popup.locator('[data-testid="pair"]').click();
  await popup.waitForTimeout(3000);
  await shot('02-after-click');
  if ((await popup.locator('[data-testid="differ"]').count()) > 0) {
    await popup.locator(`[data-testid="keep-${ids[0]}"]`).click();
  }
  await popup.waitForTimeout(1500);
  await shot('03-copying');
  await expect.poll(async () => (await group())?.phase, POLL).toBe('live');
  await shot('04-live');
  const postId = await publishPostInBlockEditor(tabs[0]!, 'Hands-on group post', 'From the first tab.');
  for (const tab of tabs.slice(1, 3)) await expect.poll(async () => (await postTitlesOnPostsScreen(tab)).some((row) => row.id === postId), POLL).toBe(true);
  const png = makePng(64, 40);
  const attachmentId = await uploadMediaFile(tabs[1]!, 'group-upload.png', png);
  const path = await wpJson<string>(tabs[1]!, `get_attached_file(${attachmentId})`);
  for (const tab of [tabs[0]!, tabs[2]!]) {
    await expect.poll(async () => { const bytes = await readFileFromTab(tab, path).catch(() => undefined); return bytes ? Buffer.from(bytes).equals(Buffer.from(png)) : false; }, POLL).toBe(true);
  }
  await shot('05-post-and-upload-synced');
  await popup.locator('[data-testid="add-tab"]').click();
  await popup.waitForTimeout(1000);
  await shot('06-adding-fourth');
  await expect.poll(async () => (await group())?.phase, POLL).toBe('live');
  await expect.poll(async () => (await postTitlesOnPostsScreen(tabs[3]!)).some((row) => row.id === postId), POLL).toBe(true);
  await shot('07-four-live');
  await popup.locator(`[data-testid="remove-tab"][data-tab-id="${ids[1]}"]`).click();
  await expect.poll(async () => (await group())?.sides.length, POLL).toBe(3);
  await shot('08-removed-one');
  const second = await publishPostInBlockEditor(tabs[3]!, 'After the removal', 'From the fourth tab.');
  await expect.poll(async () => (await postTitlesOnPostsScreen(tabs[2]!)).some((row) => row.id === second), POLL).toBe(true);
  await popup.waitForTimeout(1500);
  expect((await postTitlesOnPostsScreen(tabs[1]!)).some((row) => row.id === second)).toBe(false);
  const journal = (await sessionState(popup)).journal ?? [];
  console.log('failed/rejected:', JSON.stringify(journal.filter((entry) => entry.status === 'failed' || entry.status === 'rejected').map((entry) => entry.summary)));
  await shot('09-journal');
}, 600_000);
