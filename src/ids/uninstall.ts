import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { ID_SHARDS_PRELOAD_PATH } from './id-shards-php';
import { runIdShardScript } from './site-script';

/**
 * Undoes `installIdShards`: the preload goes first (from the next request on no filter rewrites
 * an insert), then the plan and the ranges leave the database in one transaction. Resolves with
 * whether the site held a plan, and the preload removed. Idempotent.
 */
export async function uninstallIdShards(client: SiteClient): Promise<{ removed: boolean; preloads: string[] }> {
  const preloads = (await client.fileExists(ID_SHARDS_PRELOAD_PATH)) ? [ID_SHARDS_PRELOAD_PATH] : [];
  for (const path of preloads) await client.unlink(path);
  const { removed } = await runIdShardScript(client, 'uninstall', v.object({ removed: v.boolean() }));
  return { removed, preloads };
}
