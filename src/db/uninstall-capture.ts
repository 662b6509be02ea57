import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { runEngineTask } from './engine-task';
import { writeEnginePhp } from './install-capture';
import { ENGINE_DIR, ENGINE_PRELOAD_PATH } from './php-sources';

const PRELOAD_DIR = ENGINE_PRELOAD_PATH.slice(0, ENGINE_PRELOAD_PATH.lastIndexOf('/'));
/** Every preload of the engine is named like this (capture, ID shards, whatever comes next). */
const PRELOAD_NAME_PREFIX = 'zz-playground-sync';

const UninstallResultSchema = v.object({
  /** Names of the capture triggers dropped. */
  triggers: v.array(v.string()),
  /** Names of the engine's tables dropped (`_wp_sqlite_pgsync_*`). */
  tables: v.array(v.string()),
});

export interface CaptureRemoval extends v.InferOutput<typeof UninstallResultSchema> {
  /** Preload files removed (absolute paths). */
  readonly preloads: readonly string[];
}

/**
 * Takes the sync engine off a site, the opposite of `installCapture` (and of the ID shards'
 * install): first the preloads, so no later request captures, drains or rewrites IDs; then, in
 * one short transaction, every capture trigger and every `_wp_sqlite_pgsync_*` table (changelog,
 * versions, cursors, ID plan and ranges); last ENGINE_DIR. Works on a site whose engine files
 * were lost (reload of a saved site, runtime rotation): they are written again for the task.
 * Idempotent: on a site without the engine it removes nothing. A request that was already
 * running when the preload went may still fail its drain at shutdown (its tables are gone).
 */
export async function uninstallCapture(client: SiteClient): Promise<CaptureRemoval> {
  const preloads = await removeEnginePreloads(client);
  await writeEnginePhp(client);
  const removed = await runEngineTask(client, 'uninstall', {}, UninstallResultSchema);
  await client.rmdir(ENGINE_DIR, { recursive: true });
  return { ...removed, preloads };
}

async function removeEnginePreloads(client: Pick<SiteClient, 'isDir' | 'listFiles' | 'unlink'>): Promise<string[]> {
  if (!(await client.isDir(PRELOAD_DIR))) return [];
  const ours = (await client.listFiles(PRELOAD_DIR)).filter((name) => name.startsWith(PRELOAD_NAME_PREFIX));
  const paths = ours.map((name) => `${PRELOAD_DIR}/${name}`);
  for (const path of paths) await client.unlink(path);
  return paths;
}
