/**
 * `npm run demo [-- --online]`: builds the extension (and the offline stand-in), then opens
 * Chromium with the extension loaded, two Playground tabs and the popup. Headed when a display
 * exists; otherwise headless, writing screenshots to a folder it prints.
 */
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasDisplay, launchBrowser } from '../test/e2e/browser';

const online = process.argv.includes('--online');
const headless = !hasDisplay();

execSync(online ? 'npm run --silent build' : 'npm run --silent build:all', { stdio: 'inherit' });

console.log(online ? 'Opening https://playground.wordpress.net …' : 'Starting the offline stand-in …');
const browser = await launchBrowser({ extensionPath: resolve('dist'), headless, online });
const tabs = [await browser.openPlaygroundTab(), await browser.openPlaygroundTab()];
for (const tab of tabs) console.log(`Tab ready: scope ${tab.scope} (${(tab.bootMs / 1000).toFixed(1)} s)`);
const popup = await browser.openExtensionPage('popup/index.html');
await popup.setViewportSize({ width: 400, height: 600 });
await popup.locator('[data-testid="tab"][data-scope]:not([data-scope=""])').nth(1).waitFor({ timeout: 60_000 });

// Pair them as a user would: tick both tabs in the popup and click Pair.
for (const tab of tabs) {
  await popup.locator(`[data-testid="tab"][data-scope="${tab.scope}"] [data-testid="select-tab"]`).check();
}
await popup.locator('[data-testid="pair"]').click();
const pairing = popup.locator('[data-testid="pairing"]');
await pairing.waitFor({ timeout: 60_000 });
const worker = await browser.extensionServiceWorker();
const phase = () =>
  worker.evaluate(async () => {
    const { pairings } = (await chrome.storage.session.get('pairings')) as { pairings?: { phase: string; error?: string }[] };
    return pairings?.[0] ? `${pairings[0].phase}${pairings[0].error ? `: ${pairings[0].error}` : ''}` : 'none';
  });
const started = Date.now();
let state = await phase();
while (state === 'copying' && Date.now() - started < 60_000) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  state = await phase();
}
console.log(`Pairing: ${state}`);

if (headless) {
  const folder = resolve('demo-screenshots', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(folder, { recursive: true });
  for (const [index, tab] of tabs.entries()) {
    await tab.page.screenshot({ path: join(folder, `tab-${index + 1}.png`) });
  }
  await popup.screenshot({ path: join(folder, 'popup.png'), fullPage: true });
  console.log(`No display: screenshots written to ${folder}`);
  await browser.close();
} else {
  console.log('Chromium is open with both tabs and the popup. Close the window (or press Ctrl+C) to stop.');
  const stop = () => void browser.close().finally(() => process.exit(0));
  process.on('SIGINT', stop);
  browser.context.on('close', stop);
}
