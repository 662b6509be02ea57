import { useEffect, useState } from 'preact/hooks';
import browser, { type Storage } from 'webextension-polyfill';

/** A preference of this profile's journal views (popup and page alike), nothing the background needs. */
const TECHNICAL_KEY = 'journalShowsTechnical';

/** Whether the journal shows the technical lines behind each change (tables, statements, file counts); off until asked for. */
export function useTechnicalEntries(): [boolean, (on: boolean) => void] {
  const [technical, setTechnical] = useState(false);
  useEffect(() => {
    void browser.storage.local.get(TECHNICAL_KEY).then((stored) => setTechnical(stored[TECHNICAL_KEY] === true)).catch(() => undefined);
    const onChanged = (changes: Record<string, Storage.StorageChange>, area: string) => {
      if (area === 'local' && TECHNICAL_KEY in changes) setTechnical(changes[TECHNICAL_KEY]!.newValue === true);
    };
    browser.storage.onChanged.addListener(onChanged);
    return () => browser.storage.onChanged.removeListener(onChanged);
  }, []);
  return [
    technical,
    (on) => {
      setTechnical(on);
      void browser.storage.local.set({ [TECHNICAL_KEY]: on });
    },
  ];
}
