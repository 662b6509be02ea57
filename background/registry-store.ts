import browser from 'webextension-polyfill';
import { emptyRegistry, REGISTRY_STORAGE_KEY as REGISTRY_KEY, type TabRegistry } from '../src/registry/tab-registry';

let queue: Promise<unknown> = Promise.resolve();

/**
 * The tab registry lives in `chrome.storage.session`, never only in memory: the service worker is
 * stopped after 30 s idle. Updates are serialized so concurrent reports never overwrite each other.
 */
export function updateRegistry(change: (registry: TabRegistry) => TabRegistry): Promise<TabRegistry> {
  const next = queue.then(async () => {
    const before = await readRegistry();
    const after = change(before);
    if (after !== before) await browser.storage.session.set({ [REGISTRY_KEY]: after });
    return after;
  });
  queue = next.catch(() => undefined);
  return next;
}

export async function readRegistry(): Promise<TabRegistry> {
  const stored = await browser.storage.session.get(REGISTRY_KEY);
  return (stored[REGISTRY_KEY] as TabRegistry | undefined) ?? emptyRegistry;
}
