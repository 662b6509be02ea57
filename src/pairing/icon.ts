/**
 * The toolbar icon's states: in colour while a pairing syncs (or copies, or needs the user), grey
 * while nothing syncs (no pairing, sync off). The badge on top says which (badge.ts).
 */
export type IconState = 'active' | 'inactive';

/** The colour of the icon's tile per state (Playground's blue; a grey that still reads on a dark toolbar). */
export const ICON_TILES: Record<IconState, string> = { active: '#3858e9', inactive: '#6b7280' };

/** Sizes Chrome asks for: 16 and 32 on the toolbar, 48 on the extensions page, 128 in the store. */
export const ICON_SIZES = [16, 32, 48, 128] as const;

/** Where the icon of `state` at `size` lives in the source tree (scripts/make-icons.ts draws them). */
export function iconFile(state: IconState, size: (typeof ICON_SIZES)[number]): string {
  return `background/icons/${state}-${size}.png`;
}
