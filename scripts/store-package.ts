import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';

/** What goes into the zip the Chrome Web Store takes: the built extension as it runs, less what only development uses. */
export interface StorePackage {
  readonly zip: Uint8Array;
  /** Paths inside the zip, sorted. */
  readonly files: readonly string[];
}

/** Source maps help debugging, not users; the key pins the extension's id for tests and the store refuses it. */
const LEFT_OUT = /\.map$/;

/**
 * Zips the built extension in `dist` for the store: every file but source maps, the manifest
 * without its development `key`. Refuses (throws) when a file the manifest names is missing.
 */
export function storePackage(dist: string): StorePackage {
  const entries: Record<string, Uint8Array> = {};
  for (const path of filesUnder(dist)) {
    const name = relative(dist, path).split('\\').join('/');
    if (LEFT_OUT.test(name)) continue;
    entries[name] = readFileSync(path);
  }
  const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  delete manifest.key;
  entries['manifest.json'] = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  const missing = namedFiles(manifest).filter((name) => !(name in entries));
  if (missing.length > 0) throw new Error(`The manifest names files the build did not make: ${missing.join(', ')}`);
  const files = Object.keys(entries).sort();
  return { zip: zipSync(entries, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }), files };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // Vite's own build records (`.vite/`) are not part of the extension.
    if (name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The files a built manifest points at: icons, the popup, the service worker, content scripts. */
function namedFiles(manifest: Record<string, unknown>): string[] {
  const m = manifest as {
    icons?: Record<string, string>;
    action?: { default_popup?: string; default_icon?: Record<string, string> };
    background?: { service_worker?: string };
    content_scripts?: { js?: string[]; css?: string[] }[];
  };
  return [
    ...Object.values(m.icons ?? {}),
    ...Object.values(m.action?.default_icon ?? {}),
    ...(m.action?.default_popup ? [m.action.default_popup] : []),
    ...(m.background?.service_worker ? [m.background.service_worker] : []),
    ...(m.content_scripts ?? []).flatMap((script) => [...(script.js ?? []), ...(script.css ?? [])]),
  ];
}
