import { uninstallCapture, type CaptureRemoval } from '../db';
import { uninstallIdShards } from '../ids';
import type { SiteClient } from '../platform/site-client';

/**
 * Takes all of Playground Sync off a site whose pairing ended: the ID shard filter and plan,
 * capture triggers and preloads, the engine's tables and files. Nothing captured before is
 * kept, so a later pairing starts clean. Stop the site's SyncPeer first.
 */
export async function unpairSite(client: SiteClient): Promise<CaptureRemoval> {
  // ID shards first: their script runs from the engine's directory, which the capture's removal deletes.
  const shards = await uninstallIdShards(client);
  const capture = await uninstallCapture(client);
  return { ...capture, preloads: [...shards.preloads, ...capture.preloads] };
}
