import type { PHP } from '@php-wasm/universal';
import { dateFilesByContent, filesUnder, hasContentTime } from './file-times';

/**
 * Every new site compiled WordPress, the SQLite driver and the platform's plugins anew (about a
 * second of its first request). Sites of one process share what their OPcache file cache holds
 * (`/internal/shared/opcache/<build id>/<source path>.bin`): a site gives its entries back when it
 * is disposed, and a new site starts with them. Only entries of files dated by their content (at
 * boot or a rotation) and unchanged since are kept, and a new site dates its boot files so too
 * (file-times.ts), so an entry is valid on the new site exactly where its file holds the same
 * bytes; OPcache compiles any other file as before.
 */

const OPCACHE_DIR = '/internal/shared/opcache';
/** Where a site's code comes from: its document root and what Playground puts beside it. */
const CODE_ROOTS = ['/wordpress', '/internal/shared'];

/** Cache files by path, per site kind. */
const shared = new Map<string, ReadonlyMap<string, Uint8Array>>();

/** Call on a site's primary PHP after boot, before its first request of the site's own. */
export function warmOpcache(php: PHP, kind: string): void {
  dateCodeByContent(php);
  for (const [path, bytes] of shared.get(kind) ?? []) {
    php.mkdir(path.slice(0, path.lastIndexOf('/')));
    php.writeFile(path, bytes);
  }
}

/** Dates the site's code by its content (`contentTime`), the cache folder aside. */
export function dateCodeByContent(php: PHP): void {
  dateFilesByContent(php, CODE_ROOTS, [OPCACHE_DIR]);
}

/** Call on a site's primary PHP before it is disposed: the first site of a kind shares its cache. */
export function shareOpcache(php: PHP, kind: string): void {
  if (shared.has(kind) || !php.isDir(OPCACHE_DIR)) return;
  const entries = new Map<string, Uint8Array>();
  for (const path of filesUnder(php, [OPCACHE_DIR])) {
    const source = sourceOf(path);
    if (source && php.fileExists(source) && hasContentTime(php, source)) entries.set(path, php.readFileAsBuffer(path));
  }
  if (entries.size > 0) shared.set(kind, entries);
}

/** `/internal/shared/opcache/<build id>/wordpress/wp-load.php.bin` → `/wordpress/wp-load.php`. */
function sourceOf(cacheFile: string): string | null {
  const match = /^\/internal\/shared\/opcache\/[^/]+(\/.+)\.bin$/.exec(cacheFile);
  return match ? match[1]! : null;
}
