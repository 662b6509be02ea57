import { useEffect, useState } from 'preact/hooks';
import browser, { type Storage } from 'webextension-polyfill';

/**
 * A value the background keeps in `chrome.storage.session`, live. `undefined` until the first
 * read answers; `fallback` while the key is absent. The background is the only writer.
 */
export function useSessionValue<T>(key: string, fallback: T): T | undefined {
  const [value, setValue] = useState<{ current: T }>();
  useEffect(() => {
    let live = true;
    const show = (stored: unknown) => setValue({ current: stored === undefined ? fallback : (stored as T) });
    void browser.storage.session.get(key).then(
      (stored) => live && show(stored[key]),
      () => live && show(undefined),
    );
    const onChanged = (changes: Record<string, Storage.StorageChange>, area: string) => {
      if (area === 'session' && key in changes) show(changes[key]?.newValue);
    };
    browser.storage.onChanged.addListener(onChanged);
    return () => {
      live = false;
      browser.storage.onChanged.removeListener(onChanged);
    };
    // `fallback` is read once: call sites pass constants, and a new array each render must not resubscribe.
  }, [key]);
  return value?.current;
}
