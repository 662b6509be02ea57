import { installIdShards, planIdShards, surveyIdTables, type IdShardPlan } from '../ids';
import type { SiteClient } from '../platform/site-client';

/**
 * Gives a new group its ID ranges on the site whose full state is copied to the others: planned
 * from this site's survey (every slot's range starts above every ID it holds) and installed here
 * in `slot`, replacing an earlier pairing's plan. The copy carries the plan to each other member,
 * which takes its own slot's range from it.
 */
export async function shardCopySource(client: SiteClient, slot: number): Promise<IdShardPlan> {
  const plan = planIdShards({ sites: [await surveyIdTables(client)] });
  await installIdShards(client, plan, slot, { replace: true });
  return plan;
}
