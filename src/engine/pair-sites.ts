import { installIdShards, planIdShards, surveyIdTables } from '../ids';
import type { SiteClient } from '../platform/site-client';

export interface PairedPeer {
  client: SiteClient;
  peerId: string;
}

/**
 * Gives two sites that are about to sync disjoint ID ranges: both are surveyed, one plan is made
 * (the `first` peer takes the lower range) and installed on both, so both record the same plan.
 * Idempotent for the same pair; a site sharded for another pairing refuses with the reason.
 */
export async function shardIds(first: PairedPeer, second: PairedPeer) {
  const sites = await Promise.all([surveyIdTables(first.client), surveyIdTables(second.client)]);
  const plan = planIdShards({ first: first.peerId, second: second.peerId, sites });
  await installIdShards(first.client, plan, first.peerId);
  await installIdShards(second.client, plan, second.peerId);
  return plan;
}
