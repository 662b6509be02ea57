import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { ID_SHARDS_PRELOAD_PATH, ID_SHARDS_PRELOAD_PHP } from './id-shards-php';
import { canonicalPlanJson, slotRange, type IdShardPlan, type SiteIdSurvey } from './ranges';
import { runIdShardScript, writeIdShardLibrary } from './site-script';

const SurveyAnswerSchema = v.object({
  phpIntSize: v.picklist([4, 8]),
  tables: v.record(v.string(), v.object({ pk: v.string(), maxId: v.pipe(v.number(), v.safeInteger()) })),
  installed: v.nullable(v.object({ plan: v.string(), slot: v.nullable(v.number()) })),
});
const InstallAnswerSchema = v.object({ status: v.picklist(['installed', 'unchanged']), tables: v.array(v.string()) });

export interface SiteIdSurveyWithPlan extends SiteIdSurvey {
  /**
   * The plan already installed on the site (canonical JSON) and the slot the site holds in it, if
   * any; the slot is null for a plan of an older format, which no install keeps.
   */
  readonly installed: { readonly plan: string; readonly slot: number | null } | null;
}

/** Reads what planning needs from one site: PHP_INT_SIZE and every AUTOINCREMENT table's largest ID. */
export async function surveyIdTables(client: SiteClient): Promise<SiteIdSurveyWithPlan> {
  return runIdShardScript(client, 'survey', SurveyAnswerSchema);
}

/**
 * Writes the filter into the site's Playground runtime (again on every attach: /internal is not
 * persisted) and records the plan and this site's slot in it in the database.
 *
 * Idempotent: the same plan and slot again is `unchanged`; another plan or slot on a sharded site
 * (a plan of an older format included) throws a `PhpScriptError` with code `other-plan`, and so
 * does a site already holding IDs at or above the plan's base (`ids-above-base`) or a plan beyond
 * the site's PHP integers (`int-size`). The filter takes effect from the next PHP request on.
 * `replace: true` (a new pairing of a site paired before) drops another plan first instead of
 * refusing it; the ids-above-base check still applies.
 */
export async function installIdShards(
  client: SiteClient,
  plan: IdShardPlan,
  slot: number,
  options: { replace?: boolean } = {},
): Promise<{ status: 'installed' | 'unchanged'; tables: string[] }> {
  slotRange(plan, slot);
  const planJson = canonicalPlanJson(plan);
  // The filter does nothing on a site without a plan row, so it can go in first: a site that
  // refuses this plan because it holds another keeps allocating from the one it holds.
  await restoreIdShardFiles(client);
  return runIdShardScript(client, 'install', InstallAnswerSchema, {
    PG_SYNC_ID_PLAN: planJson,
    PG_SYNC_ID_SLOT: String(slot),
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
