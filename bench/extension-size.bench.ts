import { expect, test } from 'vitest';
import type { CDPSession, Page, Worker } from 'playwright-core';
import type { PlaygroundTab } from '../test/e2e/browser';
import { openTwoTabs, pairFromPopup } from './chromium-tabs';
import { recordSection, type Measurement } from './record';

/**
 * In Chromium with the built extension and two paired stand-in tabs, where each site runs in its
 * own worker (unlike the Node harness, where both share one thread): a 50 MB upload written by
 * one request in A, from the end of that request to the file whole in B; and the JS heap the
 * extension added in each tab meanwhile (the page's isolate, where the content script and the
 * bridge run; the site's files live in its PHP worker), sampled every 50 ms.
 * Run `npm run build:all` first (`npm run bench` does).
 */

const MB = 1024 * 1024;
const SIZE = 50 * MB;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

type PageClient = { run(r: { code: string }): Promise<{ text: string }>; fileExists(path: string): Promise<boolean> };

function runPhp(tab: PlaygroundTab, code: string): Promise<string> {
  return tab.page.evaluate(async (php) => {
    const pageClient = (window as unknown as { playgroundSites: { getClient(): PageClient } }).playgroundSites.getClient();
    return (await pageClient.run({ code: php })).text;
  }, code);
}

async function heapUsed(cdp: CDPSession): Promise<number> {
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return usedSize;
}

/** Samples the tab's heap until stopped; answers the peak growth over the level at the start. */
function sampleHeap(page: Page, cdp: CDPSession) {
  let peak = 0;
  let running = true;
  const done = (async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const base = await heapUsed(cdp);
    while (running && !page.isClosed()) {
      peak = Math.max(peak, (await heapUsed(cdp)) - base);
      await sleep(50);
    }
    return peak;
  })();
  return { stop: async () => ((running = false), done) };
}

async function pairedPhase(worker: Worker): Promise<string | undefined> {
  const { pairings } = (await worker.evaluate(() => chrome.storage.session.get('pairings'))) as { pairings?: { phase: string }[] };
  return pairings?.[0]?.phase;
}

test('a 50 MB upload in Chromium, end to end, with the heap each tab added', async () => {
  const tabs = await openTwoTabs();
  const { browser, a, b, worker } = tabs;
  try {
    expect(await pairFromPopup(tabs)).toEqual({ ok: true });
    while ((await pairedPhase(worker)) !== 'live') await sleep(100);

    const heapA = sampleHeap(a.page, await browser.context.newCDPSession(a.page));
    const heapB = sampleHeap(b.page, await browser.context.newCDPSession(b.page));
    await sleep(300);
    const path = await runPhp(
      a,
      `<?php require '/wordpress/wp-load.php'; $dir = wp_upload_dir()['path']; wp_mkdir_p($dir); $file = "$dir/bench-50mb.bin";
$handle = fopen($file, 'wb'); for ($i = 0; $i < ${SIZE}; $i += 1048576) fwrite($handle, random_bytes(1048576)); fclose($handle); echo $file;`,
    );
    const requestEnded = Date.now();
    const arrived = await b.page.evaluate(async (file) => {
      const pageClient = (window as unknown as { playgroundSites: { getClient(): PageClient } }).playgroundSites.getClient();
      const deadline = Date.now() + 300_000;
      while (Date.now() < deadline) {
        if (await pageClient.fileExists(file)) return Date.now();
        await new Promise((done) => setTimeout(done, 20));
      }
      return null;
    }, path);
    expect(arrived).not.toBeNull();
    const endToEnd = arrived! - requestEnded;
    const [peakA, peakB] = [await heapA.stop(), await heapB.stop()];
    const hash = `<?php echo hash_file('sha256', ${JSON.stringify(path)});`;
    expect(await runPhp(b, hash)).toBe(await runPhp(a, hash));

    const measurements: Measurement[] = [
      { name: '50 MB upload, end to end in Chromium (from the end of A’s request to the file whole in B)', value: endToEnd, unit: 'ms', target: '≤ 5000 ms', met: endToEnd <= 5000 },
      { name: '… JS heap added in A’s page (content script and bridge), peak', value: peakA / MB, unit: 'MB', target: '≤ 64 MB per tab', met: peakA <= 64 * MB },
      { name: '… JS heap added in B’s page (content script and bridge), peak', value: peakB / MB, unit: 'MB', target: '≤ 64 MB per tab', met: peakB <= 64 * MB },
    ];
    console.info(`[bench] 50 MB in Chromium: ${endToEnd} ms; heap +${(peakA / MB).toFixed(1)} MB in A, +${(peakB / MB).toFixed(1)} MB in B`);
    recordSection('41-extension-size', 'Extension in Chromium: a 50 MB upload (issue 11)', measurements);
  } finally {
    await browser.close();
  }
});
