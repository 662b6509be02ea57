/**
 * Saved sites of the stand-in, kept as the real site keeps them (`opfs-site-storage.ts`): one OPFS
 * directory `/sites/site-<slug>/` per site, mounted at `/wordpress` while it runs, holding the
 * site's files and Playground's record of it, `wp-runtime.json`.
 */

export interface SiteRecord {
  slug: string;
  name: string;
  storage: 'temporary' | 'opfs';
  /** The PHP version the site runs: `?php=` for a new site, the recorded one for a saved site. */
  phpVersion: SupportedPhpVersion;
}

import { normalizePhpVersion, type SupportedPhpVersion } from './config';

export const SITES_ROOT = '/sites';
export const SITE_RECORD_FILE = 'wp-runtime.json';

export function opfsPathOf(slug: string): string {
  return `${SITES_ROOT}/site-${slug}`;
}

/** The record a saved site keeps in its directory (the fields the real record starts with). */
export function siteRecordJson(site: SiteRecord): string {
  return JSON.stringify({ slug: site.slug, name: site.name, storage: 'opfs', phpVersion: site.phpVersion, whenCreated: Date.now() }, null, 2);
}

/** Every saved site with a readable record; a directory without one is no site (as on the real site). */
export async function listSavedSites(): Promise<SiteRecord[]> {
  const root = await navigator.storage.getDirectory();
  let sites: FileSystemDirectoryHandle;
  try {
    sites = await root.getDirectoryHandle(SITES_ROOT.slice(1));
  } catch {
    return [];
  }
  const found: SiteRecord[] = [];
  for await (const [name, handle] of sites as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (handle.kind !== 'directory' || !name.startsWith('site-')) continue;
    try {
      const file = await (await (handle as FileSystemDirectoryHandle).getFileHandle(SITE_RECORD_FILE)).getFile();
      const record = JSON.parse(await file.text()) as { slug?: unknown; name?: unknown; phpVersion?: unknown };
      if (typeof record.slug === 'string') {
        const name = typeof record.name === 'string' ? record.name : record.slug;
        const phpVersion = normalizePhpVersion(typeof record.phpVersion === 'string' ? record.phpVersion : undefined);
        found.push({ slug: record.slug, name, storage: 'opfs', phpVersion });
      }
    } catch {
      // No record (yet): not a site.
    }
  }
  return found.sort((a, b) => a.slug.localeCompare(b.slug));
}
