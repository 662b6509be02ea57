import { installCapture, type CaptureInstallation, type InstallCaptureOptions } from '../db';
import { ENGINE_DIR, ENGINE_PHP_FILES, ENGINE_PRELOAD_PATH } from '../db/php-sources';
import { restoreIdShardFiles } from '../ids';
import type { SiteClient } from '../platform/site-client';

/**
 * The files a site's engine keeps under /internal once capture is installed: its PHP and the
 * preload that watches DDL and drains every request (the ID-shard filter lives next to them, and
 * a site without a plan has none). /internal is not persisted, and older Playground builds also
 * lose it whenever they rotate the PHP runtime (every 400 requests), while the database (ID plan,
 * triggers, captured changes) survives in /wordpress.
 */
const ENGINE_FILES: readonly string[] = [...Object.keys(ENGINE_PHP_FILES).map((name) => `${ENGINE_DIR}/${name}`), ENGINE_PRELOAD_PATH];

/** The engine files the site no longer has. A file-system look-up each, no PHP request. */
export async function missingEngineFiles(client: SiteClient): Promise<string[]> {
  const present = await Promise.all(ENGINE_FILES.map((path) => client.fileExists(path)));
  return ENGINE_FILES.filter((_, index) => !present[index]);
}

/**
 * Puts the engine back on a site that lost its files: the ID-shard filter (it acts on the plan
 * the database holds, if any) and capture (idempotent: files, engine tables and triggers, then
 * the preload).
 */
export async function reinstallEngine(client: SiteClient, options: InstallCaptureOptions): Promise<CaptureInstallation> {
  for (let attempt = 1; ; attempt++) {
    try {
      await restoreIdShardFiles(client);
      return await installCapture(client, options);
    } catch (error) {
      // The install's own request may be the one that rotates the runtime, losing the files
      // just written: again, at most a few times (a rotation comes once per hundreds of requests).
      if (attempt >= REINSTALL_ATTEMPTS || (await missingEngineFiles(client)).length === 0) throw error;
    }
  }
}

const REINSTALL_ATTEMPTS = 3;
