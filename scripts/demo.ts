/**
 * `npm run demo [-- --online]`: builds the extension (and the offline stand-in), then opens
 * Chromium with the extension loaded, two Playground tabs and the popup, pairs the tabs, publishes a
 * post in the first and opens it in the second once it arrived. Headed when a display exists;
 * otherwise headless, writing screenshots to a folder it prints.
 */
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasDisplay, launchBrowser } from '../test/e2e/browser';
import { goToInTab, wpJson } from '../test/e2e/tab-client';

const online = process.argv.includes('--online');
const headless = !hasDisplay();

const building = Date.now();
process.stdout.write(online ? 'Building the extension … ' : 'Building the extension and the offline stand-in … ');
try {
  // The build's own chatter (file sizes, a notice of @crxjs's about an option Vite 8 ignores) only when it fails.
  execSync(online ? 'npm run --silent build' : 'npm run --silent build:all', { stdio: 'pipe' });
} catch (error) {
  const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
  console.log('failed:');
  console.error(`${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
  process.exit(1);
}
console.log(`done (${((Date.now() - building) / 1000).toFixed(1)} s)`);

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

// Show it working: a post published in the first tab appears in the second, which opens it.
const title = 'Hello from the first tab';
const postId = await wpJson<number>(
  tabs[0]!,
  `wp_insert_post(['post_author' => 1, 'post_title' => ${JSON.stringify(title)}, 'post_content' => 'Published in the first tab by npm run demo. Playground Sync copied it into this one.', 'post_status' => 'publish'])`,
);
const published = Date.now();
while (!(await wpJson<boolean>(tabs[1]!, `get_post_status(${postId}) === 'publish'`))) {
  if (Date.now() - published > 60_000) throw new Error(`The post published in the first tab did not reach the second (pairing: ${await phase()}).`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
console.log(`Post “${title}” (ID ${postId}) published in the first tab, in the second ${Date.now() - published} ms later.`);
for (const tab of tabs) await goToInTab(tab, `/?p=${postId}`);
await new Promise((resolve) => setTimeout(resolve, 3000));

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
