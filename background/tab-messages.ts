import browser from 'webextension-polyfill';
import type { BackgroundToTab, TabReply } from '../src/protocol/runtime';

/** Sends to a tab's content script (top frame only); a tab that is gone or reloading answers with an error. */
export async function sendToTab(tabId: number, message: BackgroundToTab): Promise<TabReply> {
  try {
    const reply = (await browser.tabs.sendMessage(tabId, message, { frameId: 0 })) as TabReply | undefined;
    return reply ?? { ok: false, error: `Tab ${tabId} did not answer` };
  } catch (error) {
    return { ok: false, error: `Tab ${tabId} cannot be reached (${error instanceof Error ? error.message : String(error)})` };
  }
}
