import type { IconState } from './icon';
import type { Pairings } from './pairings';

export interface BadgeState {
  text: string;
  /** The badge's background; its text is white on every one of them (contrast ≥ 4.5:1). */
  color: string;
  title: string;
  /** The icon under the badge: grey while nothing syncs, so an "off" badge never sits on a live-looking icon. */
  icon: IconState;
}

/**
 * Badge colours, each apart from the icon's tile (blue when active, grey when not) and from each
 * other: green syncing, magenta copying, amber sync off, red error.
 */
export const BADGE_COLORS = { syncing: '#15803d', copying: '#a21caf', off: '#78350f', error: '#b91c1c' } as const;

/**
 * The toolbar badge: error (red, "!") wins over a copy in progress (magenta), over sync off (amber,
 * on the grey icon), over syncing (green); the text is the number of changes still waiting to
 * reach the other side.
 */
export function badgeFor(pairings: Pairings): BadgeState {
  if (pairings.length === 0) return { text: '', color: BADGE_COLORS.off, title: 'Playground Sync: no paired tabs', icon: 'inactive' };
  const pending = pairings.reduce((sum, pairing) => sum + pairing.sides.reduce((total, side) => total + side.pending, 0), 0);
  const count = pending > 999 ? '999+' : pending > 0 ? String(pending) : '';
  const waiting = pending === 1 ? '1 change waiting' : `${pending} changes waiting`;
  const failed = pairings.find((pairing) => pairing.phase === 'error');
  if (failed) return { text: '!', color: BADGE_COLORS.error, title: `Playground Sync: ${failed.error ?? 'sync stopped'}`, icon: 'active' };
  if (pairings.some((pairing) => pairing.phase === 'copying')) {
    return { text: '…', color: BADGE_COLORS.copying, title: 'Playground Sync: copying a site', icon: 'active' };
  }
  if (pairings.every((pairing) => !pairing.syncOn)) {
    return { text: count || 'off', color: BADGE_COLORS.off, title: `Playground Sync: sync off, ${waiting}`, icon: 'inactive' };
  }
  if (pairings.some((pairing) => !pairing.syncOn)) {
    return { text: count || 'off', color: BADGE_COLORS.off, title: `Playground Sync: sync off for one pairing, ${waiting}`, icon: 'active' };
  }
  return { text: count, color: BADGE_COLORS.syncing, title: `Playground Sync: syncing, ${waiting}`, icon: 'active' };
}
