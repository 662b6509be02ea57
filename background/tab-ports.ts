import type { Runtime } from 'webextension-polyfill';
import type { BackgroundToTab } from '../src/protocol/runtime';

/**
 * The open port of each tab's page (see `TAB_PORT_NAME`), to post envelopes down without a reply:
 * `tabs.sendMessage` opens a channel and waits for an answer per message, which cost the worker
 * more than the blob chunk it carried. A worker that restarted knows a tab's port again once the
 * tab sends something (it reconnects and reports).
 */
const ports = new Map<number, Runtime.Port>();

export function rememberPort(tabId: number, port: Runtime.Port): void {
  ports.set(tabId, port);
}

export function forgetPort(tabId: number, port: Runtime.Port): void {
  if (ports.get(tabId) === port) ports.delete(tabId);
}

/** Posts `message` on the tab's port; false when there is none open (then send it another way). */
export function postToTab(tabId: number, message: BackgroundToTab): boolean {
  const port = ports.get(tabId);
  if (!port) return false;
  try {
    port.postMessage(message);
    return true;
  } catch {
    // Disconnected meanwhile (the page went away).
    ports.delete(tabId);
    return false;
  }
}
