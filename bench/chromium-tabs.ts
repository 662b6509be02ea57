import { resolve } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser, type PlaygroundTab } from '../test/e2e/browser';

export interface TwoTabs {
  readonly browser: LaunchedBrowser;
  readonly a: PlaygroundTab;
  readonly b: PlaygroundTab;
  readonly worker: Worker;
  readonly popup: Page;
  /** Chrome's ids of A's and B's tabs, as the extension registered them. */
  readonly tabIds: number[];
}

/** Chromium with the built extension, two booted stand-in tabs and the popup, not paired yet. */
export async function openTwoTabs(): Promise<TwoTabs> {
  const browser = await launchBrowser({ extensionPath: resolve('dist') });
  try {
    const a = await browser.openPlaygroundTab();
    const b = await browser.openPlaygroundTab();
    const worker = await browser.extensionServiceWorker();
    const popup = await browser.openExtensionPage('popup/index.html');
    const tabIds = await worker.evaluate(async (scopes) => {
      const { registry } = (await chrome.storage.session.get('registry')) as { registry: Record<string, { tabId: number; site?: { scope: string } }> };
      return scopes.map((scope) => Object.values(registry).find((entry) => entry.site?.scope === scope)!.tabId);
    }, [a.scope, b.scope]);
    return { browser, a, b, worker, popup, tabIds };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Sends the popup's pair command for both tabs, as its Pair button does. */
export function pairFromPopup({ popup, tabIds }: TwoTabs): Promise<{ ok: boolean; error?: string }> {
  return popup.evaluate((ids) => chrome.runtime.sendMessage({ type: 'popup/pair', tabIds: ids }), tabIds);
}
