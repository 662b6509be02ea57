/**
 * Service worker: owns the registry of Playground tabs and the pairings, routes envelopes
 * between paired tabs. Every event handler is registered at the top level so a worker woken by
 * the event finds its listener; all state is in session storage.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { PopupCommandSchema, type PopupCommand, type PopupReply } from '../src/protocol/popup';
import { TAB_PORT_NAME, TabToBackgroundSchema } from '../src/protocol/runtime';
import { parseMessage } from '../src/protocol/validate';
import { isPlaygroundUrl } from '../src/platform/playground-origin';
import { markDocumentGone } from '../src/registry/tab-registry';
import { journalBackground } from './background-journal';
import { coordinator, openInTabs } from './coordinator';
import { journalClear, registry } from './stores';
import { forgetPort, rememberPort } from './tab-ports';

browser.runtime.onConnect.addListener((port: Runtime.Port) => {
  if (port.name !== TAB_PORT_NAME) return;
  const tabId = port.sender?.tab?.id;
  // Only the top frame of a Playground tab may report; anything else is not ours to trust.
  if (tabId === undefined || port.sender?.frameId !== 0 || !isPlaygroundUrl(port.sender?.url)) {
    port.disconnect();
    return;
  }
  // One port per page document: it closes when the document goes (reload, navigation, tab closed),
  // never for navigations inside the page's frames. A stopped worker loses its ports without
  // this event; the tab's content script reconnects and reports again.
  let documentId: string | undefined;
  rememberPort(tabId, port);
  port.onDisconnect.addListener(() => {
    forgetPort(tabId, port);
    void registry.update((current) => markDocumentGone(current, tabId, documentId, Date.now()));
  });
  port.onMessage.addListener((message: unknown) => {
    const parsed = parseMessage(TabToBackgroundSchema, message, 'tab message');
    if (!parsed.ok) {
      void journalBackground({ kind: 'input', target: `tab ${tabId}`, summary: parsed.error, status: 'rejected' });
      return;
    }
    if (parsed.value.type === 'tab/site') documentId = parsed.value.document.id;
    void coordinator.onTabMessage(tabId, parsed.value).catch((error: unknown) =>
      journalBackground({ kind: 'pairing', target: `tab ${tabId}`, summary: `Unexpected error: ${describe(error)}`, status: 'failed' }),
    );
  });
});

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
  // Commands come from our own pages (the popup) only, never from a content script or a page.
  if (sender.id !== browser.runtime.id || !sender.url?.startsWith(browser.runtime.getURL(''))) return undefined;
  const parsed = parseMessage(PopupCommandSchema, message, 'popup command');
  if (!parsed.ok) {
    void journalBackground({ kind: 'input', target: 'popup command', summary: parsed.error, status: 'rejected' });
    return Promise.resolve<PopupReply>({ ok: false, error: parsed.error });
  }
  return runCommand(parsed.value).catch((error: unknown): PopupReply => ({ ok: false, error: describe(error) }));
});

function runCommand(command: PopupCommand): Promise<PopupReply> {
  switch (command.type) {
    case 'popup/pair':
      return coordinator.pair(command.tabIds, command.keep);
    case 'popup/add-tab':
      return coordinator.addTab(command.pairId, command.tabId);
    case 'popup/remove-tab':
      return coordinator.removeTab(command.pairId, command.tabId);
    case 'popup/unpair':
      return coordinator.unpair(command.pairId);
    case 'popup/set-sync':
      return coordinator.setSync(command.pairId, command.on);
    case 'popup/set-low-ids':
      return coordinator.setLowIds(command.pairId, command.on);
    case 'popup/clear-journal':
      return journalClear().then(() => ({ ok: true }));
    case 'popup/dismiss-ended':
      return coordinator.dismissEnded(command.pairId);
    case 'popup/retry':
      return coordinator.retry(command.pairId);
    case 'popup/open-in-tabs':
      return openInTabs(command.pairId, command.path);
  }
}

// Only a tab that leaves Playground matters here: a reload or in-page navigation is told by the
// tab's port (above). Without the `tabs` permission `tab.url` is known only for Playground pages.
browser.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.url === undefined && change.status !== 'loading') return;
  if (!isPlaygroundUrl(tab.url)) void coordinator.onTabGone(tabId, 'left Playground');
});

browser.tabs.onRemoved.addListener((tabId) => void coordinator.onTabGone(tabId, 'was closed'));

// A worker that slept may have missed closed tabs: reconcile with what is open now.
void browser.tabs.query({}).then((tabs) => coordinator.reconcile(tabs.flatMap((tab) => (tab.id === undefined ? [] : [tab.id]))));

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
