import { installIdShards, planIdShards, surveyIdTables, type IdShardPlan } from '../ids';
import type { SiteClient } from '../platform/site-client';

/**
 * Gives a new pairing its ID ranges on the site whose full state is copied to the other: planned
 * from this site's survey (the new ranges start above every ID it holds, `peerId` takes the lower
 * one) and installed here, replacing an earlier pairing's plan. The copy carries the plan to the
 * other site, which takes its own range from it.
 */
export async function shardCopySource(client: SiteClient, peerId: string, remotePeerId: string): Promise<IdShardPlan> {
  const plan = planIdShards({ first: peerId, second: remotePeerId, sites: [await surveyIdTables(client)] });
  await installIdShards(client, plan, peerId, { replace: true });
  return plan;
}
