/**
 * Service worker: owns the registry of Playground tabs. Every event handler is registered at the
 * top level so a worker woken by the event finds its listener; all state is in storage.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { TAB_PORT_NAME, TabToBackgroundSchema } from '../src/protocol/runtime';
import { parseMessage } from '../src/protocol/validate';
import { isPlaygroundUrl } from '../src/platform/playground-origin';
import { applyTabReport, markTabLoading, removeTab, retainTabs } from '../src/registry/tab-registry';
import { updateRegistry } from './registry-store';

browser.runtime.onConnect.addListener((port: Runtime.Port) => {
  if (port.name !== TAB_PORT_NAME) return;
  const tabId = port.sender?.tab?.id;
  // Only the top frame of a Playground tab may report; anything else is not ours to trust.
  if (tabId === undefined || port.sender?.frameId !== 0 || !isPlaygroundUrl(port.sender?.url)) {
    port.disconnect();
    return;
  }
  port.onMessage.addListener((message: unknown) => {
    const parsed = parseMessage(TabToBackgroundSchema, message, 'tab report');
    const report = parsed.ok ? parsed.value : { type: 'tab/error' as const, error: parsed.error };
    void updateRegistry((registry) => applyTabReport(registry, tabId, report, Date.now()));
  });
});

browser.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.status !== 'loading') return;
  if (isPlaygroundUrl(tab.url)) void updateRegistry((registry) => markTabLoading(registry, tabId, Date.now()));
  else void updateRegistry((registry) => removeTab(registry, tabId));
});

browser.tabs.onRemoved.addListener((tabId) => {
  void updateRegistry((registry) => removeTab(registry, tabId));
});

// A worker that slept may have missed closed tabs: reconcile with what is open now.
void browser.tabs.query({}).then((tabs) => {
  const open = tabs.flatMap((tab) => (tab.id === undefined ? [] : [tab.id]));
  return updateRegistry((registry) => retainTabs(registry, open));
});
