import { useEffect, useState } from 'preact/hooks';
import browser, { type Storage } from 'webextension-polyfill';
import { listTabs, REGISTRY_STORAGE_KEY as REGISTRY_KEY, type TabEntry, type TabRegistry } from '../src/registry/tab-registry';

/** The background's tab registry, live: the popup only reads state and sends commands. */
export function useTabs(): TabEntry[] | undefined {
  const [tabs, setTabs] = useState<TabEntry[]>();
  useEffect(() => {
    const show = (registry: TabRegistry | undefined) => setTabs(listTabs(registry ?? {}));
    void browser.storage.session.get(REGISTRY_KEY).then((stored) => show(stored[REGISTRY_KEY] as TabRegistry));
    const onChanged = (changes: Record<string, Storage.StorageChange>, area: string) => {
      if (area === 'session' && REGISTRY_KEY in changes) show(changes[REGISTRY_KEY]?.newValue as TabRegistry);
    };
    browser.storage.onChanged.addListener(onChanged);
    return () => browser.storage.onChanged.removeListener(onChanged);
  }, []);
  return tabs;
}
