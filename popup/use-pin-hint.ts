import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';

/** Set once the user closed the hint: a preference of this browser profile's popup, nothing the background needs. */
const DISMISSED_KEY = 'pinHintDismissed';

/**
 * Whether to suggest pinning the extension: the badge (pending changes, sync off, errors) is only
 * seen on the toolbar, and Chrome leaves a new extension in the puzzle-piece menu. Shown until
 * pinned or dismissed.
 */
export function usePinHint(): { show: boolean; dismiss: () => void } {
  const [show, setShow] = useState(false);
  useEffect(() => {
    void Promise.all([chrome.action.getUserSettings(), browser.storage.local.get(DISMISSED_KEY)])
      .then(([settings, stored]) => setShow(!settings.isOnToolbar && stored[DISMISSED_KEY] !== true))
      .catch(() => setShow(false));
  }, []);
  return {
    show,
    dismiss: () => {
      setShow(false);
      void browser.storage.local.set({ [DISMISSED_KEY]: true });
    },
  };
}
