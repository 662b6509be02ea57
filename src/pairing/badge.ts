import type { Pairings } from './pairings';

export interface BadgeState {
  text: string;
  color: string;
  title: string;
}

const COLORS = { off: '#6b7280', syncing: '#15803d', copying: '#1d4ed8', error: '#b91c1c' } as const;

/**
 * The toolbar badge: error (red, "!") wins over a copy in progress (blue), over sync off (grey),
 * over syncing (green); the text is the number of changes still waiting to reach the other side.
 */
export function badgeFor(pairings: Pairings): BadgeState {
  if (pairings.length === 0) return { text: '', color: COLORS.off, title: 'Playground Sync: no paired tabs' };
  const pending = pairings.reduce((sum, pairing) => sum + pairing.sides[0].pending + pairing.sides[1].pending, 0);
  const count = pending > 999 ? '999+' : pending > 0 ? String(pending) : '';
  const waiting = pending === 1 ? '1 change waiting' : `${pending} changes waiting`;
  const failed = pairings.find((pairing) => pairing.phase === 'error');
  if (failed) return { text: '!', color: COLORS.error, title: `Playground Sync: ${failed.error ?? 'sync stopped'}` };
  if (pairings.some((pairing) => pairing.phase === 'copying')) {
    return { text: '…', color: COLORS.copying, title: 'Playground Sync: copying a site' };
  }
  if (pairings.some((pairing) => !pairing.syncOn)) {
    return { text: count || 'off', color: COLORS.off, title: `Playground Sync: sync off, ${waiting}` };
  }
  return { text: count, color: COLORS.syncing, title: `Playground Sync: syncing, ${waiting}` };
}
