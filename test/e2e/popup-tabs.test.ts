import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from './browser';

const EXPECT_TIMEOUT = 30_000;

/** The scopes the popup lists, in its order. */
async function listedScopes(popup: Page): Promise<string[]> {
  return popup.locator('[data-testid="tab"][data-scope]:not([data-scope=""])').evaluateAll((rows) =>
    rows.map((row) => row.getAttribute('data-scope') ?? ''),
  );
}

async function waitForScopes(popup: Page, expected: string[]): Promise<void> {
  await expect
    .poll(async () => (await listedScopes(popup)).sort(), { timeout: EXPECT_TIMEOUT, interval: 250 })
    .toEqual([...expected].sort());
}

describe('popup lists the open Playground tabs', () => {
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    browser = await launchBrowser({ extensionPath: resolve('dist') });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows both booted tabs with their distinct scopes and follows reloads and closes', async () => {
    const first = await browser.openPlaygroundTab();
    const second = await browser.openPlaygroundTab();
    expect(first.scope).not.toBe(second.scope);

    // wp-admin really rendered in both tabs' WordPress frames.
    for (const tab of [first, second]) {
      await expect
        .poll(() => tab.page.frameLocator('iframe.playground-viewport').frameLocator('#wp').locator('#wpadminbar').count(), {
          timeout: EXPECT_TIMEOUT,
        })
        .toBe(1);
    }

    const popup = await browser.openExtensionPage('popup/index.html');
    await waitForScopes(popup, [first.scope, second.scope]);

    // One line per site: a ready tab can be ticked and shows no status chip; its URL is its name's tooltip.
    const row = popup.locator(`[data-testid="tab"][data-scope="${first.scope}"]`);
    await expect.poll(() => row.locator('[data-testid="select-tab"]').isEnabled()).toBe(true);
    expect(await row.locator('.status').count()).toBe(0);
    expect(await row.locator('[data-testid="wp-version"]').textContent()).toMatch(/^\d+\.\d+/);
    expect(await row.locator('[data-testid="php-version"]').textContent()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await row.locator('[data-testid="storage"]').textContent()).toBe('Temporary');
    expect(await row.locator('.tab__name').getAttribute('title')).toBe(first.absoluteUrl);

    // A reload boots a new temporary site on a new scope; the popup follows without being reopened.
    await second.page.reload();
    const reloaded = await browser.waitForPlayground(second.page);
    expect(reloaded.scope).not.toBe(second.scope);
    await waitForScopes(popup, [first.scope, reloaded.scope]);

    await first.page.close();
    await waitForScopes(popup, [reloaded.scope]);
  });
});
