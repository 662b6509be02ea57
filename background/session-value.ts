import browser from 'webextension-polyfill';
import type { Stored } from '../src/pairing/coordinator-deps';

/**
 * One value in `chrome.storage.session`, never only in memory: the service worker is stopped
 * after 30 s idle and all it knows must survive that. Updates are serialized so concurrent
 * events never overwrite each other; an unchanged value (the same object) is not written.
 */
export function sessionValue<T>(key: string, fallback: T, onWrite?: (value: T) => void): Stored<T> {
  let queue: Promise<unknown> = Promise.resolve();
  // This worker is the value's only writer: once read, it is known until the worker stops (every
  // envelope between paired tabs reads the pairings; a storage call each cost a blob transfer time).
  let known: { value: T } | null = null;
  const read = async () => {
    if (known) return known.value;
    const value = ((await browser.storage.session.get(key))[key] as T | undefined) ?? fallback;
    known ??= { value };
    return known.value;
  };
  return {
    read,
    update(change) {
      const next = queue.then(async () => {
        const before = await read();
        const after = change(before);
        if (after !== before) {
          await browser.storage.session.set({ [key]: after });
          known = { value: after };
          onWrite?.(after);
        }
        return after;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
