import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { localOnlyPhpArray } from '../sync/local-only';
import { PeerIdSchema } from '../protocol/ids';
import { runEngineTask } from './engine-task';
import { ENGINE_DIR, ENGINE_PHP_FILES, ENGINE_PRELOAD_PATH, ENGINE_PRELOAD_PHP } from './php-sources';

export interface InstallCaptureOptions {
  /** This site's peer id: stamped on every batch it drains. */
  readonly peerId: string;
  /** The site URL sent with batches; default `await client.absoluteUrl`. */
  readonly siteUrl?: string;
  /**
   * Forget batches an earlier run left in the outbox (a peer starting afresh: the pairing copies
   * the site's state). False (default) keeps them: a reinstall mid-session must lose nothing.
   */
  readonly discardOutbox?: boolean;
}

const InstallResultSchema = v.object({
  peerId: v.string(),
  siteUrl: v.string(),
  tablePrefix: v.string(),
  dbPath: v.string(),
  /** Capture triggers in place (three per table with a primary key). */
  triggers: v.number(),
  created: v.number(),
  /** Tables that cannot be captured row by row (no primary key): copy-only. */
  tablesWithoutPk: v.array(v.string()),
  /**
   * A reinstall's catch-up on schema work done while the engine's files were gone (see
   * `pgsync_missed_schema()`): tables made (their CREATE and rows now logged), dropped (a DROP
   * logged) and rebuilt (their rows logged again). Null on a first install or a fresh start.
   */
  missed: v.optional(
    v.nullable(v.object({ created: v.array(v.string()), dropped: v.array(v.string()), rebuilt: v.array(v.string()) })),
    null,
  ),
});
export type CaptureInstallation = v.InferOutput<typeof InstallResultSchema>;

/** Puts the engine's PHP into ENGINE_DIR (MEMFS: a reload or an older build's rotation loses it). */
export async function writeEnginePhp(client: Pick<SiteClient, 'isDir' | 'mkdir' | 'writeFile'>): Promise<void> {
  if (!(await client.isDir(ENGINE_DIR))) await client.mkdir(ENGINE_DIR);
  for (const [name, source] of Object.entries(ENGINE_PHP_FILES)) await client.writeFile(`${ENGINE_DIR}/${name}`, source);
  await client.writeFile(`${ENGINE_DIR}/local-only-rules.php`, `<?php\nreturn ${localOnlyPhpArray()};\n`);
}

/**
 * Installs row and schema capture on a site, idempotently: the engine's PHP under
 * /internal/shared/playground-sync (MEMFS, lost on a page reload: call again after one), engine
 * tables and triggers in the database file, then the preload that watches DDL and drains at the
 * end of every request. Batches are read with `ChangeFeed` (start it first, so no signal is missed).
 */
export async function installCapture(client: SiteClient, options: InstallCaptureOptions): Promise<CaptureInstallation> {
  v.parse(PeerIdSchema, options.peerId);
  await writeEnginePhp(client);
  const siteUrl = (options.siteUrl ?? (await client.absoluteUrl)).replace(/\/+$/, '');
  const installation = await runEngineTask(
    client,
    'install',
    { peerId: options.peerId, siteUrl, discardOutbox: options.discardOutbox ?? false },
    InstallResultSchema,
  );
  // Last: from the next request on, capture is live.
  await client.writeFile(ENGINE_PRELOAD_PATH, ENGINE_PRELOAD_PHP);
  return installation;
}
