import browser from 'webextension-polyfill';
import { badgeFor } from '../src/pairing/badge';
import type { Pairings } from '../src/pairing/pairings';

/** The toolbar badge follows the pairings: state by color, pending changes by number. */
export function showBadge(pairings: Pairings): void {
  const badge = badgeFor(pairings);
  void Promise.all([
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setTitle({ title: badge.title }),
  ]).catch(() => undefined);
}
