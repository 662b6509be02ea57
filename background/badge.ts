import browser from 'webextension-polyfill';
import { badgeFor } from '../src/pairing/badge';
import type { IconState } from '../src/pairing/icon';
import type { Pairings } from '../src/pairing/pairings';
import active16 from './icons/active-16.png';
import active32 from './icons/active-32.png';
import inactive16 from './icons/inactive-16.png';
import inactive32 from './icons/inactive-32.png';

/** The toolbar sizes of each icon state (the build gives each file its URL). */
const ICONS: Record<IconState, Record<number, string>> = {
  active: { 16: active16, 32: active32 },
  inactive: { 16: inactive16, 32: inactive32 },
};

/** The toolbar icon and badge follow the pairings: state by icon and colour, pending changes by number. */
export function showBadge(pairings: Pairings): void {
  const badge = badgeFor(pairings);
  void Promise.all([
    browser.action.setIcon({ path: ICONS[badge.icon] }),
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setBadgeTextColor?.({ color: '#ffffff' }),
    browser.action.setTitle({ title: badge.title }),
    // A wrong icon path or colour fails here: it shows on the extension's Errors page.
  ]).catch((error: unknown) => console.error('Playground Sync: could not update the toolbar icon', error));
}
