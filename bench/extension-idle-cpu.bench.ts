import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { launchBrowser } from '../test/e2e/browser';
import { openTwoTabs, pairFromPopup, sleep, untilLive } from './chromium-tabs';
import { recordSection, type Measurement } from './record';

/**
 * What two idle Playground tabs cost the machine: Chromium's CPU time (every Chromium process on
 * the machine: benchmark files run one at a time) over a quiet window, with no extension (the
 * baseline, same process), with the extension attached but nothing paired, and paired and live.
 * A user leaves paired tabs open for hours: the sync must not keep a core busy while nothing changes.
 * Run `npm run build:all` first (`npm run bench` does).
 */

const SETTLE_MS = 10_000;
const WINDOW_MS = 60_000;
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds used so far by every Chromium process (utime + stime of /proc/<pid>/stat). */
function chromiumCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!name.startsWith('chrom')) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Share of one core Chromium used over a quiet window, after letting the last work settle. */
async function idleShareOfCore(): Promise<number> {
  await sleep(SETTLE_MS);
  const before = chromiumCpuSeconds();
  await sleep(WINDOW_MS);
  return (chromiumCpuSeconds() - before) / (WINDOW_MS / 1000);
}

test('CPU of two idle Playground tabs, with and without the extension', async () => {
  const plain = await launchBrowser();
  let withoutExtension: number;
  try {
    await plain.openPlaygroundTab();
    await plain.openPlaygroundTab();
    withoutExtension = await idleShareOfCore();
  } finally {
    await plain.close();
  }

  const tabs = await openTwoTabs();
  let unpaired: number;
  let paired: number;
  try {
    await tabs.popup.close();
    unpaired = await idleShareOfCore();
    const popup = await tabs.browser.openExtensionPage('popup/index.html');
    expect(await pairFromPopup({ popup, tabIds: tabs.tabIds })).toEqual({ ok: true });
    await untilLive(tabs.worker, 1);
    await popup.close();
    paired = await idleShareOfCore();
  } finally {
    await tabs.browser.close();
  }

  const percent = (share: number) => Number((share * 100).toFixed(1));
  const baseline = 'two tabs without the extension, same process';
  const measurements: Measurement[] = [
    { name: 'two idle tabs without the extension', value: percent(withoutExtension), unit: '% of a core' },
    { name: 'two idle tabs, extension attached, not paired', value: percent(unpaired), unit: '% of a core' },
    { name: 'two idle tabs, paired and live', value: percent(paired), unit: '% of a core' },
    { name: 'paired and idle against no extension', value: Number((paired / withoutExtension).toFixed(2)), unit: '×', baseline },
  ];
  recordSection('47-extension-idle-cpu', `Extension in Chromium: CPU of two idle tabs (${WINDOW_MS / 1000} s windows, popup closed)`, measurements);
}, 600_000);
