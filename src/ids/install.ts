import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { ID_SHARDS_PRELOAD_PATH, ID_SHARDS_PRELOAD_PHP } from './id-shards-php';
import { canonicalPlanJson, peerRange, type IdShardPlan, type SiteIdSurvey } from './ranges';
import { runIdShardScript, writeIdShardLibrary } from './site-script';

const SurveyAnswerSchema = v.object({
  phpIntSize: v.picklist([4, 8]),
  tables: v.record(v.string(), v.object({ pk: v.string(), maxId: v.pipe(v.number(), v.safeInteger()) })),
  installed: v.nullable(v.object({ plan: v.string(), self: v.string() })),
});
const InstallAnswerSchema = v.object({ status: v.picklist(['installed', 'unchanged']), tables: v.array(v.string()) });

export interface SiteIdSurveyWithPlan extends SiteIdSurvey {
  /** The plan already installed on the site (canonical JSON) and which peer it is there, if any. */
  readonly installed: { readonly plan: string; readonly self: string } | null;
}

/** Reads what planning needs from one site: PHP_INT_SIZE and every AUTOINCREMENT table's largest ID. */
export async function surveyIdTables(client: SiteClient): Promise<SiteIdSurveyWithPlan> {
  return runIdShardScript(client, 'survey', SurveyAnswerSchema);
}

/**
 * Writes the filter into the site's Playground runtime (again on every attach: /internal is not
 * persisted) and records the plan and this site's peer id in the database.
 *
 * Idempotent: the same plan and peer again is `unchanged`; another plan on a sharded site throws
 * a `PhpScriptError` with code `other-plan`, and so does a site already holding IDs at or above the plan's
 * base (`ids-above-base`) or a plan beyond the site's PHP integers (`int-size`). The filter takes
 * effect from the next PHP request on. `replace: true` (a new pairing of a site paired before)
 * drops another plan first instead of refusing it; the ids-above-base check still applies.
 */
export async function installIdShards(
  client: SiteClient,
  plan: IdShardPlan,
  self: string,
  options: { replace?: boolean } = {},
): Promise<{ status: 'installed' | 'unchanged'; tables: string[] }> {
  peerRange(plan, self);
  const planJson = canonicalPlanJson(plan);
  // The filter does nothing on a site without a plan row, so it can go in first: a site that
  // refuses this plan because it holds another keeps allocating from the one it holds.
  await restoreIdShardFiles(client);
  return runIdShardScript(client, 'install', InstallAnswerSchema, {
    PG_SYNC_ID_PLAN: planJson,
    PG_SYNC_ID_SELF: self,
    ...(options.replace ? { PG_SYNC_ID_REPLACE: '1' } : {}),
  });
}

/**
 * Writes the filter's files into the site's Playground runtime (they live under /internal, which
 * is not persisted and which older builds also lose on every runtime rotation). The plan is in
 * the database: with the files back, the filter allocates from it again.
 */
export async function restoreIdShardFiles(client: SiteClient): Promise<void> {
  await writeIdShardLibrary(client);
  await client.writeFile(ID_SHARDS_PRELOAD_PATH, ID_SHARDS_PRELOAD_PHP);
}
