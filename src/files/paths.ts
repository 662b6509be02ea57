/** Path helpers for paths relative to the synced root (no leading or trailing slash). */

export function parentOf(path: string): string | null {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? null : path.slice(0, slash);
}

/** `a/b/c` → `['a', 'a/b']`: the ancestors, outermost first. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

export function isSameOrInside(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** The path `path` gets when `from` (itself or an ancestor) moves to `to`. */
export function movedPath(path: string, from: string, to: string): string {
  return path === from ? to : to + path.slice(from.length);
}

/** `/wordpress` + `wp-content/x` → `/wordpress/wp-content/x`. */
export function absolutePath(root: string, relative: string): string {
  return `${root.replace(/\/+$/, '')}/${relative}`;
}

/**
 * `/wordpress/wp-content/x` → `wp-content/x`; null outside the root or for the root itself.
 * The journal's own root filter is a bare `startsWith` (it also matches `/wordpress-old`).
 */
export function relativeToRoot(root: string, absolute: string): string | null {
  const base = root.replace(/\/+$/, '');
  if (!absolute.startsWith(`${base}/`)) return null;
  const relative = absolute.slice(base.length + 1).replace(/\/+$/, '').replace(/\/\/+/g, '/');
  return relative === '' ? null : relative;
}

/** Code-point order, the same everywhere (`localeCompare` depends on the locale and ignores case). */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
