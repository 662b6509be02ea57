import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootNodeSite, type NodeSite } from '../harness';
import { ENGINE_TRACES_PHP, NO_ENGINE_TRACES, parseEngineTraces } from '../harness/engine-traces';
import { InProcessExtension, type InProcessTab } from '../harness/in-process-extension';
import { expectConverged, inWordPress } from './engine-support';

/**
 * Two real WordPress sites paired by the extension's own pairing code, as the popup pairs them:
 * the coordinator reads both sites' summaries, copies the first one's full state to the second,
 * and the pairing goes live; then posts written on either side reach the other. Messages go
 * straight from tab to tab through the background, as in the browser (no test link).
 */

const url = (side: string) => `https://playground.wordpress.net/scope:coordinator-${side}/`;

describe('pairing through the coordinator (WordPress 6.5, AST driver)', () => {
  let a: NodeSite;
  let b: NodeSite;
  let extension: InProcessExtension;
  let tabs: [InProcessTab, InProcessTab];

  /** Sends what each side holds and lets the background deliver until nothing is unacknowledged. */
  async function untilQuiet(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      for (const tab of tabs) await tab.host.runningPeer?.flush();
      await extension.idle();
      if (tabs.every((tab) => tab.host.runningPeer?.pendingCount === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('The sites kept changes unacknowledged');
  }

  const titles = (site: NodeSite) =>
    inWordPress<string[]>(site, `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_title LIKE 'Coordinator: %' ORDER BY post_title");`);

  beforeAll(async () => {
    a = await bootNodeSite({ driver: 'ast', wp: '6.5', siteUrl: url('a') });
    b = await bootNodeSite({ driver: 'ast', wp: '6.5', siteUrl: url('b') });
    extension = new InProcessExtension();
    tabs = [await extension.openTab(a), await extension.openTab(b)];
  });
  afterAll(async () => {
    await extension?.stopAll();
    await a?.dispose();
    await b?.dispose();
  });

  it('pairs two fresh sites as the popup does: the first one is copied to the second, then the pairing is live', async () => {
    await inWordPress(a, `wp_insert_post(['post_title' => 'Coordinator: on A before pairing', 'post_status' => 'publish']);`);
    const differ = await extension.pair([tabs[0].tabId, tabs[1].tabId]);
    // Their content differs now: the popup is asked which one to keep, nothing is paired yet.
    expect(differ).toMatchObject({ ok: false, differ: [{ tabId: tabs[0].tabId }, { tabId: tabs[1].tabId }] });
    expect(await extension.pairingOf(tabs[0].tabId)).toBeUndefined();

    expect(await extension.pair([tabs[0].tabId, tabs[1].tabId], tabs[0].tabId)).toEqual({ ok: true });
    for (let wait = 0; (await extension.pairingOf(tabs[0].tabId))?.phase === 'copying'; wait++) {
      if (wait > 6000) throw new Error('The copy did not end');
      await extension.idle();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const pairing = await extension.pairingOf(tabs[0].tabId);
    expect(pairing).toMatchObject({ phase: 'live', syncOn: true });
    expect(pairing!.sides.map((side) => side.tabId)).toEqual([tabs[0].tabId, tabs[1].tabId]);
    expect(await titles(b)).toEqual(['Coordinator: on A before pairing']);
    await expectConverged({ a, b });
  });

  it('carries a post written on each side to the other', async () => {
    await inWordPress(a, `wp_insert_post(['post_title' => 'Coordinator: from A', 'post_status' => 'publish']);`);
    await inWordPress(b, `wp_insert_post(['post_title' => 'Coordinator: from B', 'post_status' => 'publish']);`);
    await untilQuiet();
    for (const site of [a, b]) expect(await titles(site)).toEqual(['Coordinator: from A', 'Coordinator: from B', 'Coordinator: on A before pairing']);
    await expectConverged({ a, b });
    expect(extension.background.journal.entries.filter((entry) => entry.status === 'failed' || entry.status === 'rejected')).toEqual([]);
  });

  it('ends the pairing when a tab closes: the popup says why, and the other site is left without the engine', async () => {
    const { pairId } = (await extension.pairingOf(tabs[0].tabId))!;
    await extension.closeTab(tabs[1].tabId);
    expect(await extension.pairingOf(tabs[0].tabId)).toBeUndefined();
    expect(extension.background.endedPairings.value).toMatchObject([{ pairId, reason: 'The tab of coordinator-b was closed.' }]);
    expect(tabs[0].host.runningPeer).toBeUndefined();
    const traces = async (site: NodeSite) => parseEngineTraces((await site.client.run({ code: ENGINE_TRACES_PHP })).text);
    expect(await traces(a)).toEqual(NO_ENGINE_TRACES);
    // The closed tab's site was gone before anyone could take the engine off it.
    expect(await traces(b)).not.toEqual(NO_ENGINE_TRACES);
  });
});
