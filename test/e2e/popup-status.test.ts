/**
 * The popup as a newcomer meets it (issue 12): no Playground tab yet, a button that opens two, the
 * two picked for them, a differ question, a copy that says how far it is in bytes and which side
 * is replaced, an error in the sites' names with the button that fixes it, then the pairing's
 * status first ("A ⇄ B · Live · last change just now"), the paired tabs out of the tab list, and
 * "Go to tab" bringing a tab to the front.
 *
 * Accessibility on the way (issue 12): axe-core's WCAG 2.0/2.1 A and AA rules in every state, in the
 * light and in the dark colour scheme, zero violations; the keyboard paths: Esc closes the differ
 * panel and "What does not sync", focus moves into the differ panel when it opens and goes back to
 * the control that opened a panel when it closes, and is never lost to <body> when what had it goes.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/popup-status.test.ts
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './axe';
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
  /** The popup as it looks now, light and dark (`npm run screenshots`). */
  const snap = async (name: string) => {
    if (!SCREENSHOTS) return;
    await popup.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    await popup.emulateMedia({ colorScheme: 'dark' });
    await popup.screenshot({ path: join(SCREENSHOTS, 'dark', `${name}.png`) });
    await popup.emulateMedia({ colorScheme: 'light' });
  };
  const phase = async () => (await sessionState(popup)).pairings?.[0]?.phase;
  /** No axe violation in light and dark, the journal's latest changes included. */
  const accessible = (state: string) => expectNoAxeViolations(popup, state);
  /** What has focus: "body" when it is lost, else its id, its data-testid or its tag. */
  const focused = () =>
    popup.evaluate(() => {
      const active = document.activeElement;
      if (!(active instanceof HTMLElement) || active === document.body) return 'body';
      return active.id || active.dataset.testid || active.tagName.toLowerCase();
    });

  it('suggests pinning the extension until dismissed, and says what never syncs, with the reasons', async () => {
    const hint = popup.locator('[data-testid="pin-hint"]');
    await hint.waitFor({ timeout: POLL.timeout });
    expect(await hint.textContent()).toContain('Pin Playground Sync');
    await snap('1-first-run');
    await accessible('first run, with the pinning hint');
    await hint.getByRole('button', { name: 'Dismiss the pinning hint' }).click();
    // The hint's button went with it: focus goes to the popup's title, not to <body>.
    await expect.poll(focused, POLL).toBe('popup-title');
    await popup.reload();
    await popup.locator('[data-testid="open-tabs"]').waitFor({ timeout: POLL.timeout });
    expect(await hint.count()).toBe(0);
    await accessible('first run, no Playground tab');

    const localOnly = popup.locator('[data-testid="local-only"]');
    const summary = localOnly.locator('summary');
    expect(await localOnly.getAttribute('open')).toBeNull();
    await summary.click();
    await localOnly.scrollIntoViewIfNeeded();
    await snap('7-what-does-not-sync');
    expect(await localOnly.textContent()).toMatch(/Login sessions: a peer's would overwrite this tab's and log it out\./);
    expect(await localOnly.textContent()).toContain('wp-content/database/');
    await accessible('What does not sync, open');
    // Esc folds it, focus stays on its summary; Enter opens it again, Esc again.
    await popup.keyboard.press('Escape');
    expect(await localOnly.getAttribute('open')).toBeNull();
    expect(await summary.evaluate((element) => element === document.activeElement)).toBe(true);
    await popup.keyboard.press('Enter');
    await expect.poll(() => localOnly.getAttribute('open'), POLL).not.toBeNull();
    await popup.keyboard.press('Escape');
    expect(await localOnly.getAttribute('open')).toBeNull();
    expect(await summary.evaluate((element) => element === document.activeElement)).toBe(true);
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
    await accessible('two tabs listed and picked');
    // One line per site: its name (its URL on hover), versions and storage.
    const row = popup.locator(`[data-testid="tab"][data-tab-id="${tabIdA}"]`);
    expect(await row.locator('.tab__name').getAttribute('title')).toBe(tabA.absoluteUrl);
    expect(await row.locator('[data-testid="storage"]').textContent()).toBe('Temporary');
  });

  it('copies the kept site over the other with its progress in bytes, the sides named Source and Being replaced, the switch disabled', async () => {
    // A holds a big file, B nothing of it: the sites differ, so the popup asks which to keep.
    await runPhpInTab(tabA, `<?php @mkdir('/wordpress/wp-content/uploads', 0777, true); $f = fopen('/wordpress/wp-content/uploads/popup-status.bin', 'wb'); for ($i = 0; $i < ${UPLOAD_BYTES}; $i += 1048576) fwrite($f, random_bytes(1048576)); fclose($f);`);
    const differ = popup.locator('[data-testid="differ"]');
    await popup.locator('[data-testid="pair"]').click();
    await differ.waitFor({ timeout: POLL.timeout });
    await snap('3-which-site-to-keep');
    // Focus moves into the panel (its question); Esc is Cancel, and focus goes back to Pair.
    expect(await focused()).toBe('differ-title');
    await accessible('which site to keep');
    await popup.keyboard.press('Escape');
    await expect.poll(() => differ.count(), POLL).toBe(0);
    expect(await focused()).toBe('pair');
    // From the keyboard: Enter on Pair asks again, Tab reaches "Keep …" first.
    await popup.keyboard.press('Enter');
    await differ.waitFor({ timeout: POLL.timeout });
    expect(await focused()).toBe('differ-title');
    await popup.keyboard.press('Tab');
    expect(await focused()).toMatch(/^keep-\d+$/);
    await popup.locator(`[data-testid="keep-${tabIdA}"]`).click();

    const label = popup.locator('[data-testid="copy-label"]');
    await expect.poll(() => label.textContent(), { timeout: POLL.timeout, interval: 50 }).toMatch(/^Copying .+ → .+: [\d.]+ (of [\d.]+ MB|MB of [\d.]+ MB)$/);
    const sideState = (tabId: number) => card().locator(`[data-testid="pending"][data-tab-id="${tabId}"]`).textContent();
    expect([await sideState(tabIdA), await sideState(tabIdB)]).toEqual(['Source', 'Being replaced']);
    expect(await card().locator('[data-testid="sync-toggle"]').isDisabled()).toBe(true);
    expect(await card().locator('[data-testid="phase"]').textContent()).toBe('Copying');
    await snap('4-copying');
    await accessible('copying');
    // The panel went with the Keep button: focus is on the pairings' heading, not lost.
    expect(await focused()).toBe('pairings-title');
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
    await accessible('an error, with Pair again');

    // From the keyboard.
    await card().locator('[data-testid="pair-again"]').focus();
    await popup.keyboard.press('Enter');
    // The half-replaced site and the reloaded one may differ: then keep the reloaded one.
    const differ = popup.locator('[data-testid="differ"]');
    await expect.poll(async () => (await differ.count()) > 0 || (await phase()) !== 'error', POLL).toBe(true);
    if ((await differ.count()) > 0) {
      expect(await focused()).toBe('differ-title');
      await popup.locator(`[data-testid="keep-${tabIdA}"]`).click();
    }
    await expect.poll(phase, { timeout: 300_000, interval: 500 }).toBe('live');
    // The card with Pair again went, and the panel if it came: focus is somewhere, not on <body>.
    expect(await focused()).not.toBe('body');
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
    // Named for what they do, whatever pairing they are in: the heading reads "A and B" (not the arrow).
    const both = names!.replace(' ⇄ ', ' and ');
    expect(await card().getByRole('heading', { name: both, exact: true }).count()).toBe(1);
    expect(await card().getByRole('button', { name: `Unpair ${both}`, exact: true }).count()).toBe(1);
    expect(await card().getByRole('button', { name: /^Go to tab of .+$/ }).count()).toBe(2);
    await popup.evaluate(() => window.scrollTo(0, 0));
    await snap('6-live');
    await accessible('live');
    // The change reached the other site: the latest changes say it in people's words.
    const change = popup.locator('[data-testid="journal-entry"][data-kind="change"]', { hasText: 'Post “Popup status: a change” published' });
    await expect.poll(() => change.getAttribute('data-status'), POLL).toBe('applied');
    await change.scrollIntoViewIfNeeded();
    await snap('8-latest-changes');
    // "Paired A and B" confirmed the click; it goes on its own (the card says how things stand).
    await expect.poll(() => popup.locator('[data-testid="notice"]').count(), POLL).toBe(0);
  });

  it('switches sync off and on from the keyboard; the off switch still shows its edge (≥ 3:1) in light and dark', async () => {
    const toggle = card().locator('[data-testid="sync-toggle"]');
    await toggle.focus();
    await popup.keyboard.press('Space');
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.syncOn, POLL).toBe(false);
    await expect.poll(() => card().locator('[data-testid="phase"]').textContent(), POLL).toBe('Paused');
    await accessible('sync off');
    // axe reads text only: the track's own contrast with the page, computed from the rendered colours.
    for (const colorScheme of ['light', 'dark'] as const) {
      await popup.emulateMedia({ colorScheme });
      await popup.waitForTimeout(250);
      expect(await offTrackContrast(popup), colorScheme).toBeGreaterThanOrEqual(3);
    }
    await popup.emulateMedia({ colorScheme: 'light' });
    await popup.keyboard.press('Space');
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.syncOn, POLL).toBe(true);
    // The switch is disabled until the command's reply (which may come after the stored state): focus comes back then.
    await expect.poll(focused, { timeout: 10_000, interval: 100 }).toBe('sync-toggle');
  });

  it('"Go to tab" brings that tab to the front', async () => {
    const active = () => popup.evaluate(async () => (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0]?.id);
    for (const tabId of [tabIdA, tabIdB]) {
      await card().locator(`.side[data-tab-id="${tabId}"] [data-testid="go-to-tab"]`).click();
      await expect.poll(active, POLL).toBe(tabId);
    }
  });
});

/** Contrast of the (off) sync switch's track with the page behind it, from the computed colours (both opaque). */
function offTrackContrast(page: Page): Promise<number> {
  return page.evaluate(() => {
    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const luminance = (color: string) => {
      const [r, g, b] = rgb(color).map((c) => c / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const track = document.querySelector('[data-testid="pairing"] .switch__track')!;
    // The first ancestor with a background of its own (the card has none: the page's).
    let behind: Element | null = track.parentElement;
    while (behind && getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)') behind = behind.parentElement;
    const [x, y] = [luminance(getComputedStyle(track).backgroundColor), luminance(getComputedStyle(behind ?? document.body).backgroundColor)].sort((p, q) => q - p);
    return (x! + 0.05) / (y! + 0.05);
  });
}
