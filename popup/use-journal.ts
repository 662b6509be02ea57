import { useEffect, useState } from 'preact/hooks';
import browser, { type Storage } from 'webextension-polyfill';
import type { JournalEntry } from '../src/protocol/journal-entry';
import { JOURNAL_INDEX_KEY, JOURNAL_PAGE_KEY_PREFIX, journalLines, journalPageKey, type JournalIndex } from '../src/journal/journal-pages';

const noLines: readonly JournalEntry[] = [];

/**
 * The journal's lines, live: its pages read one at a time, then kept up to date from storage's
 * change events (each about one page). `undefined` until the first read answers.
 */
export function useJournal(): readonly JournalEntry[] | undefined {
  const [lines, setLines] = useState<readonly JournalEntry[]>();
  useEffect(() => {
    let live = true;
    let index: JournalIndex | undefined;
    const pages = new Map<number, readonly JournalEntry[]>();
    // Keys a change event already told: an older read of them must not win.
    const told = new Set<string>();
    const show = () => {
      if (live && index) setLines(index.last < index.first ? noLines : journalLines({ index, pages }));
    };
    const onChanged = (changes: Record<string, Storage.StorageChange>, area: string) => {
      if (area !== 'session') return;
      let changed = false;
      for (const [key, change] of Object.entries(changes)) {
        if (key === JOURNAL_INDEX_KEY) index = (change.newValue as JournalIndex | undefined) ?? { first: 1, last: 0 };
        else if (key.startsWith(JOURNAL_PAGE_KEY_PREFIX)) {
          const page = Number(key.slice(JOURNAL_PAGE_KEY_PREFIX.length));
          if (Array.isArray(change.newValue)) pages.set(page, change.newValue as JournalEntry[]);
          else pages.delete(page);
        } else continue;
        told.add(key);
        changed = true;
      }
      if (changed) show();
    };
    browser.storage.onChanged.addListener(onChanged);
    void (async () => {
      try {
        const stored = (await browser.storage.session.get(JOURNAL_INDEX_KEY))[JOURNAL_INDEX_KEY] as JournalIndex | undefined;
        if (!told.has(JOURNAL_INDEX_KEY)) index = stored ?? { first: 1, last: 0 };
        for (let page = index!.first; page <= index!.last && live; page++) {
          const key = journalPageKey(page);
          const entries = (await browser.storage.session.get(key))[key];
          if (!told.has(key) && Array.isArray(entries)) pages.set(page, entries as JournalEntry[]);
        }
      } catch {
        index ??= { first: 1, last: 0 };
      }
      show();
    })();
    return () => {
      live = false;
      browser.storage.onChanged.removeListener(onChanged);
    };
  }, []);
  return lines;
}
