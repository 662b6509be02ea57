/**
 * The zip `npm run package` makes is the extension users install: unpacked as the store would,
 * it loads in Chromium, attaches to a Playground tab and shows it in its popup.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/store-package.test.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, expect, it } from 'vitest';
import { storePackage } from '../../scripts/store-package';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { chromeTabIdOf, POLL } from './extension-state';

let browser: LaunchedBrowser | undefined;
const unpacked = mkdtempSync(join(tmpdir(), 'pgsync-store-'));
afterAll(async () => {
  await browser?.close();
  rmSync(unpacked, { recursive: true, force: true });
});

it('unpacked from the store zip (no key, no source maps), it loads, attaches to a Playground tab and lists it in the popup', async () => {
  const { zip, files } = storePackage('dist');
  expect(files.filter((name) => name.endsWith('.map'))).toEqual([]);
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), bytes);
  }
  browser = await launchBrowser({ extensionPath: unpacked });
  const tab = await browser.openPlaygroundTab();
  const popup = await browser.openExtensionPage('popup/index.html');
  // Reported by the tab's content script, and its URL readable without the "tabs" permission.
  const tabId = await chromeTabIdOf(popup, tab);
  await popup.locator(`[data-testid="tab"][data-tab-id="${tabId}"]`).waitFor({ timeout: POLL.timeout });
}, 180_000);
