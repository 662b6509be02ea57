/**
 * The popup as a newcomer meets it (issue 12): no Playground tab yet, a button that opens two, the
 * two picked for them, a differ question, a copy that says how far it is in bytes and which side
 * is replaced, an error in the sites' names with the button that fixes it, then the pairing's
 * status first ("A ⇄ B · Live · last change just now"), the paired tabs out of the tab list, and
 * "Go to tab" bringing a tab to the front.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/popup-status.test.ts
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf, POLL, sessionState } from './extension-state';
import { runPhpInTab, wpJson } from './tab-client';

/** Big enough that the copy is seen under way (it moves at about 10 MB/s here). */
const UPLOAD_BYTES = 60 * 1024 * 1024;
/** `npm run screenshots` sets this: each state of the popup is saved there as a PNG (the README shows them). */
const SCREENSHOTS = process.env.POPUP_SCREENSHOTS;

describe('popup, status first: from no tab to a live pairing, through a copy and an error', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;
  let tabIdA: number;
  let tabIdB: number;

  beforeAll(async () => {
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    popup = await browser.openExtensionPage('popup/index.html');
    // The size Chrome gives the popup: its width, and a height well under the 600 px it allows.
    await popup.setViewportSize({ width: 420, height: 560 });
  }, 120_000);
  afterAll(() => browser?.close());

  const card = () => popup.locator('[data-testid="pairing"]');
  const snap = async (name: string) => {
    if (SCREENSHOTS) await popup.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };
  const phase = async () => (await sessionState(popup)).pairings?.[0]?.phase;

  it('suggests pinning the extension until dismissed, and says what never syncs, with the reasons', async () => {
    const hint = popup.locator('[data-testid="pin-hint"]');
    await hint.waitFor({ timeout: POLL.timeout });
    expect(await hint.textContent()).toContain('Pin Playground Sync');
    await snap('1-first-run');
    await hint.getByRole('button', { name: 'Dismiss the pinning hint' }).click();
    await popup.reload();
    await popup.locator('[data-testid="open-tabs"]').waitFor({ timeout: POLL.timeout });
    expect(await hint.count()).toBe(0);

    const localOnly = popup.locator('[data-testid="local-only"]');
    expect(await localOnly.getAttribute('open')).toBeNull();
    await localOnly.locator('summary').click();
    await localOnly.scrollIntoViewIfNeeded();
    await snap('7-what-does-not-sync');
    expect(await localOnly.textContent()).toMatch(/Login sessions: a peer's would overwrite this tab's and log it out\./);
    expect(await localOnly.textContent()).toContain('wp-content/database/');
    await localOnly.locator('summary').click();
  });

  it('with no Playground tab, opens two from its button, and picks both for the user', async () => {
    const opener = popup.locator('[data-testid="open-tabs"]');
    await expect.poll(() => opener.textContent(), POLL).toBe('Open two Playground tabs');
    const pages: Page[] = [];
    const collect = (page: Page) => void pages.push(page);
    browser.context.on('page', collect);
    await opener.click();
    await expect.poll(() => pages.length, POLL).toBe(2);
    browser.context.off('page', collect);
    [tabA, tabB] = await Promise.all([browser.waitForPlayground(pages[0]!), browser.waitForPlayground(pages[1]!)]);
    [tabIdA, tabIdB] = [await chromeTabIdOf(popup, tabA), await chromeTabIdOf(popup, tabB)];
    for (const tabId of [tabIdA, tabIdB]) {
      await expect.poll(() => popup.locator(`[data-testid="tab"][data-tab-id="${tabId}"] [data-testid="select-tab"]`).isChecked(), POLL).toBe(true);
    }
    expect(await popup.locator('[data-testid="pair"]').isEnabled()).toBe(true);
    await snap('2-two-tabs-picked');
    // One line per site: its name (its URL on hover), versions and storage.
    const row = popup.locator(`[data-testid="tab"][data-tab-id="${tabIdA}"]`);
    expect(await row.locator('.tab__name').getAttribute('title')).toBe(tabA.absoluteUrl);
    expect(await row.locator('[data-testid="storage"]').textContent()).toBe('Temporary');
  });

  it('copies the kept site over the other with its progress in bytes, the sides named Source and Being replaced, the switch disabled', async () => {
    // A holds a big file, B nothing of it: the sites differ, so the popup asks which to keep.
    await runPhpInTab(tabA, `<?php @mkdir('/wordpress/wp-content/uploads', 0777, true); $f = fopen('/wordpress/wp-content/uploads/popup-status.bin', 'wb'); for ($i = 0; $i < ${UPLOAD_BYTES}; $i += 1048576) fwrite($f, random_bytes(1048576)); fclose($f);`);
    await popup.locator('[data-testid="pair"]').click();
    await popup.locator('[data-testid="differ"]').waitFor({ timeout: POLL.timeout });
    await snap('3-which-site-to-keep');
    await popup.locator(`[data-testid="keep-${tabIdA}"]`).click();

    const label = popup.locator('[data-testid="copy-label"]');
    await expect.poll(() => label.textContent(), { timeout: POLL.timeout, interval: 50 }).toMatch(/^Copying .+ → .+: [\d.]+ (of [\d.]+ MB|MB of [\d.]+ MB)$/);
    const sideState = (tabId: number) => card().locator(`[data-testid="pending"][data-tab-id="${tabId}"]`).textContent();
    expect([await sideState(tabIdA), await sideState(tabIdB)]).toEqual(['Source', 'Being replaced']);
    expect(await card().locator('[data-testid="sync-toggle"]').isDisabled()).toBe(true);
    expect(await card().locator('[data-testid="phase"]').textContent()).toBe('Copying');
    await snap('4-copying');
  });

  it('the source tab reloaded during the copy ends it in an error said in the sites’ names; "Pair again" pairs the same tabs afresh', async () => {
    await tabA.page.reload();
    tabA = await browser.waitForPlayground(tabA.page);
    await expect.poll(phase, POLL).toBe('error');
    const error = await card().locator('[data-testid="pairing-error"]').textContent();
    expect(error).toMatch(/was reloaded while its state was being copied/);
    expect(error).not.toMatch(/https?:\/\//);
    // An errored pairing claims neither that it syncs nor that it is up to date.
    expect(await card().locator('[data-testid="sync-toggle"]').count()).toBe(0);
    expect(await card().locator('[data-testid="pending"]').count()).toBe(0);
    await snap('5-error');

    await card().locator('[data-testid="pair-again"]').click();
    // The half-replaced site and the reloaded one may differ: then keep the reloaded one.
    const differ = popup.locator('[data-testid="differ"]');
    await expect.poll(async () => (await differ.count()) > 0 || (await phase()) !== 'error', POLL).toBe(true);
    if ((await differ.count()) > 0) await popup.locator(`[data-testid="keep-${tabIdA}"]`).click();
    await expect.poll(phase, { timeout: 300_000, interval: 500 }).toBe('live');
  }, 400_000);

  it('shows the live pairing status first, with its last change, and leaves the paired tabs out of the tab list', async () => {
    const names = await card().locator('.pairing__names').textContent();
    expect(names).toMatch(/^.+ ⇄ .+$/);
    expect(await card().locator('[data-testid="phase"]').textContent()).toBe('Live');
    await wpJson(tabA, `wp_insert_post(['post_title' => 'Popup status: a change', 'post_status' => 'publish'])`);
    await expect.poll(() => card().locator('[data-testid="last-change"]').textContent(), POLL).toMatch(/^last change (just now|\d+ s ago)$/);
    expect(await popup.locator('[data-testid="tab"]').count()).toBe(0);
    expect(await popup.locator('[data-testid="no-tabs"]').textContent()).toContain('No other Playground tab is open.');
    expect(await card().locator('[data-testid="sync-toggle"]').getAttribute('aria-label')).toBe(`Sync ${names!.replace(' ⇄ ', ' and ')}`);
    await popup.evaluate(() => window.scrollTo(0, 0));
    await snap('6-live');
    // "Paired A and B" confirmed the click; it goes on its own (the card says how things stand).
    await expect.poll(() => popup.locator('[data-testid="notice"]').count(), POLL).toBe(0);
  });

  it('"Go to tab" brings that tab to the front', async () => {
    const active = () => popup.evaluate(async () => (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0]?.id);
    for (const tabId of [tabIdA, tabIdB]) {
      await card().locator(`.side[data-tab-id="${tabId}"] [data-testid="go-to-tab"]`).click();
      await expect.poll(active, POLL).toBe(tabId);
    }
  });
});
