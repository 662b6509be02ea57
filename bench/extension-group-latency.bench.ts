import { expect, test } from 'vitest';
import type { Worker } from 'playwright-core';
import type { PlaygroundTab } from '../test/e2e/browser';
import { appliedOn, nextAppliedOn, openTabs, pairFromPopup, savePost, siteOf, untilLive } from './chromium-tabs';
import { bootstrapInterval, median, percentile, recordSection, type Measurement } from './record';

/**
 * Propagation latency in Chromium with the built extension: a sync group of three stand-in tabs
 * against a pair of two, both live in the same browser at once and measured in the same run: from
 * the end of a post save in one tab (its request returned) to the commit on each other member (the
 * time its peer journals the applied rows; one clock, this machine's). Saves alternate between
 * the pair and the group, one at a time, so a change in the machine's speed hits both alike; the
 * origin rotates over the members. Each tab runs its PHP in its own worker, as on the real site.
 * Run `npm run build:all` first (`npm run bench` does).
 */

const SAVES_EACH = 60;
const TARGET_RATIO = 1.5;

/** Saves a post in `origin`; answers how long until every other member of its group committed it. */
async function timeSave(worker: Worker, origin: PlaygroundTab, members: readonly PlaygroundTab[], title: string): Promise<number> {
  const others = members.filter((tab) => tab !== origin);
  const seen = await Promise.all(others.map(async (tab) => (await appliedOn(worker, siteOf(tab))).length));
  const savedAt = await savePost(origin, title);
  let last = 0;
  for (const [index, tab] of others.entries()) last = Math.max(last, (await nextAppliedOn(worker, siteOf(tab), seen[index]!)).time);
  return last - savedAt;
}

test('propagation latency in Chromium: a group of three against a pair, same run', async () => {
  const opened = await openTabs(5);
  const { browser, tabs, worker, tabIds } = opened;
  try {
    const pair = tabs.slice(0, 2);
    const group = tabs.slice(2);
    expect(await pairFromPopup(opened, tabIds.slice(0, 2))).toEqual({ ok: true });
    await untilLive(worker, 1);
    expect(await pairFromPopup(opened, tabIds.slice(2))).toEqual({ ok: true });
    await untilLive(worker, 2);
    // One save from each member first: nothing measured waits for a first run of anything.
    for (const tab of tabs) await timeSave(worker, tab, pair.includes(tab) ? pair : group, `Warm-up ${tabs.indexOf(tab)}`);

    const pairTimes: number[] = [];
    const groupTimes: number[] = [];
    for (let index = 0; index < SAVES_EACH; index++) {
      pairTimes.push(await timeSave(worker, pair[index % pair.length]!, pair, `Pair ${index}`));
      groupTimes.push(await timeSave(worker, group[index % group.length]!, group, `Group ${index}`));
    }
    const pairP95 = percentile(pairTimes, 95);
    const groupP95 = percentile(groupTimes, 95);
    const ratio = groupP95 / pairP95;
    const [low, high] = bootstrapInterval([groupTimes, pairTimes], (g, p) => percentile(g!, 95) / percentile(p!, 95));
    const measurements: Measurement[] = [
      { name: `pair: latency p50, save in one tab → commit in the other (${SAVES_EACH} saves)`, value: median(pairTimes), unit: 'ms' },
      { name: 'pair: latency p95', value: pairP95, unit: 'ms' },
      { name: `group of three: latency p50, save in one tab → commit in the last other member (${SAVES_EACH} saves)`, value: median(groupTimes), unit: 'ms' },
      { name: 'group of three: latency p95', value: groupP95, unit: 'ms' },
      {
        name: 'group p95 / pair p95',
        value: ratio,
        unit: '×',
        baseline: 'the pair, same browser, saves interleaved',
        target: `≤ ${TARGET_RATIO}×`,
        met: ratio <= TARGET_RATIO,
        notes: `90 % interval ${low.toFixed(2)}–${high.toFixed(2)} (bootstrap)`,
      },
    ];
    recordSection('41-extension-group-latency', 'Extension in Chromium: propagation latency in a group of three against a pair (issue 13)', measurements);
  } finally {
    await browser.close();
  }
});
