import { resolve } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { journalFromItems } from '../src/journal/journal-pages';
import { launchBrowser, type LaunchedBrowser, type PlaygroundTab } from '../test/e2e/browser';

export interface OpenTabs {
  readonly browser: LaunchedBrowser;
  readonly tabs: PlaygroundTab[];
  readonly worker: Worker;
  readonly popup: Page;
  /** Chrome's ids of the tabs, in order, as the extension registered them. */
  readonly tabIds: number[];
}

export interface TwoTabs extends OpenTabs {
  readonly a: PlaygroundTab;
  readonly b: PlaygroundTab;
}

/** A journal line as the background stores it. */
export interface StoredEntry {
  time: number;
  direction: string;
  kind: string;
  status: string;
  summary: string;
  site: string;
}

export interface StoredPairing {
  pairId: string;
  phase: string;
  sides: { tabId: number; scope: string }[];
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Chromium with the built extension, `count` booted stand-in tabs and the popup, nothing paired yet. */
export async function openTabs(count: number): Promise<OpenTabs> {
  const browser = await launchBrowser({ extensionPath: resolve('dist') });
  try {
    const tabs: PlaygroundTab[] = [];
    for (let index = 0; index < count; index++) tabs.push(await browser.openPlaygroundTab());
    const worker = await browser.extensionServiceWorker();
    const popup = await browser.openExtensionPage('popup/index.html');
    const tabIds = await worker.evaluate(
      async (scopes) => {
        const { registry } = (await chrome.storage.session.get('registry')) as { registry: Record<string, { tabId: number; site?: { scope: string } }> };
        return scopes.map((scope) => Object.values(registry).find((entry) => entry.site?.scope === scope)!.tabId);
      },
      tabs.map((tab) => tab.scope),
    );
    return { browser, tabs, worker, popup, tabIds };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Chromium with the built extension, two booted stand-in tabs and the popup, not paired yet. */
export async function openTwoTabs(): Promise<TwoTabs> {
  const opened = await openTabs(2);
  return { ...opened, a: opened.tabs[0]!, b: opened.tabs[1]! };
}

/** Sends the popup's pair command for `tabIds` (all of them by default), as its Pair (or "Sync N tabs") button does. */
export function pairFromPopup({ popup, tabIds }: Pick<OpenTabs, 'popup' | 'tabIds'>, ids: readonly number[] = tabIds): Promise<{ ok: boolean; error?: string }> {
  return popup.evaluate((group) => chrome.runtime.sendMessage({ type: 'popup/pair', tabIds: group }), [...ids]);
}

/** The background's journal and pairings. */
export async function session(worker: Worker): Promise<{ journal: StoredEntry[]; pairings?: StoredPairing[] }> {
  const items = (await worker.evaluate(() => chrome.storage.session.get(null))) as Record<string, unknown>;
  return { journal: journalFromItems(items) as StoredEntry[], pairings: items.pairings as StoredPairing[] | undefined };
}

/** Waits until every pairing is live; fails on one in error. */
export async function untilLive(worker: Worker, count: number): Promise<StoredPairing[]> {
  for (;;) {
    const pairings = (await session(worker)).pairings ?? [];
    if (pairings.some((pairing) => pairing.phase === 'error')) throw new Error(`A pairing failed: ${JSON.stringify(pairings)}`);
    if (pairings.length === count && pairings.every((pairing) => pairing.phase === 'live')) return pairings;
    await sleep(20);
  }
}

/** Saves a post in the tab's site; answers the page's clock when the save request returned. */
export function savePost(tab: PlaygroundTab, title: string): Promise<number> {
  return tab.page.evaluate(async (postTitle) => {
    const w = window as unknown as { playgroundSites: { getClient(): { run(r: { code: string }): Promise<unknown> } } };
    await w.playgroundSites.getClient().run({
      code: `<?php require '/wordpress/wp-load.php'; wp_insert_post(['post_title' => ${JSON.stringify(postTitle)}, 'post_status' => 'publish', 'post_content' => 'Latency probe']);`,
    });
    return Date.now();
  }, title);
}

/** The rows batches the site at `siteUrl` applied so far, oldest first. */
export async function appliedOn(worker: Worker, siteUrl: string): Promise<StoredEntry[]> {
  return ((await session(worker)).journal ?? []).filter(
    (entry) => entry.direction === 'received' && entry.kind === 'rows' && entry.status === 'applied' && entry.site === siteUrl,
  );
}

/** Waits for the next rows batch the site at `siteUrl` applied after `seen` entries; answers its journal time. */
export async function nextAppliedOn(worker: Worker, siteUrl: string, seen: number): Promise<{ time: number; count: number }> {
  for (;;) {
    const applied = await appliedOn(worker, siteUrl);
    if (applied.length > seen) return { time: applied[seen]!.time, count: applied.length };
    await sleep(5);
  }
}

/** A tab's site URL as the journal names it. */
export function siteOf(tab: PlaygroundTab): string {
  return tab.absoluteUrl.replace(/\/+$/, '');
}
