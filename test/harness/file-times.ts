import { createHash } from 'node:crypto';
import { __private__dont__use, type PHP } from '@php-wasm/universal';

/**
 * File modification times in a site's PHP filesystem, for PHP's OPcache. Playground enables its
 * file cache (`/internal/shared/opcache`), which validates an entry by the source file's mtime and
 * caches no file modified in the last 2 seconds (`opcache.file_update_protection`). So a site
 * whose files were all just written (a boot writes every file; php-wasm's runtime rotation copies
 * every file anew) compiles all of WordPress again on each request of its first 2 seconds, 4–5
 * times the cost of a request after. The engine reads no file time (it compares contents), and
 * neither does the convergence judgement.
 */

interface EmscriptenFs {
  stat(path: string): { mtime: Date };
  utime(path: string, atime: number, mtime: number): void;
}

function fsOf(php: PHP): EmscriptenFs {
  // PHP has no utime(); Emscripten's FS, private in php-wasm's types, does.
  return (php as unknown as { [__private__dont__use]: { FS: EmscriptenFs } })[__private__dont__use].FS;
}

/** Every file under `roots` (those that exist), leaving out the folders in `skip`. */
export function filesUnder(php: PHP, roots: readonly string[], skip: readonly string[] = []): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of php.listFiles(dir)) {
      const path = `${dir}/${name}`;
      if (skip.includes(path)) continue;
      if (php.isDir(path)) walk(path);
      else files.push(path);
    }
  };
  for (const root of roots) if (php.isDir(root)) walk(root);
  return files;
}

const CONTENT_TIMES_FROM_S = Date.UTC(2001, 0, 1) / 1000;
const CONTENT_TIMES_SPAN_S = 2 ** 28;

/**
 * A time in the past (2001–2009, whole seconds) derived from a file's bytes: equal bytes, equal
 * times, on every site. An OPcache entry made on one site is valid on another exactly for files
 * that hold the same bytes there (see warm-opcache.ts); any other file's time differs (short of a
 * 1 in 2^28 clash), as does that of every file written later, whose time is now.
 */
export function contentTime(bytes: Uint8Array): number {
  const digest = createHash('sha1').update(bytes).digest();
  return (CONTENT_TIMES_FROM_S + (digest.readUInt32BE(0) % CONTENT_TIMES_SPAN_S)) * 1000;
}

export function hasContentTime(php: PHP, path: string): boolean {
  return fsOf(php).stat(path).mtime.getTime() === contentTime(php.readFileAsBuffer(path));
}

/** Dates every file under `roots` (except `skip`) by its content (`contentTime`). */
export function dateFilesByContent(php: PHP, roots: readonly string[], skip: readonly string[] = []): void {
  const fs = fsOf(php);
  for (const path of filesUnder(php, roots, skip)) {
    const time = contentTime(php.readFileAsBuffer(path));
    fs.utime(path, time, time);
  }
}
