import { buildManifest, Exclusions, findDatabasePath, type BuiltManifest } from '../../files';
import type { SiteClient } from '../../platform/site-client';

export interface SyncedTree {
  /** The synced root (the document root, e.g. `/wordpress`). */
  readonly root: string;
  readonly exclusions: Exclusions;
  readonly manifest: BuiltManifest;
}

/** The site's synced tree as SyncPeer syncs it: the document root minus this site's exclusions. */
export async function readSyncedTree(client: SiteClient, databasePath: string): Promise<SyncedTree> {
  const root = await client.documentRoot;
  const exclusions = Exclusions.forSite(root, databasePath);
  return { root, exclusions, manifest: await buildManifest(client, root, exclusions) };
}

/**
 * Path → sha256 of every file the site holds: what a target hands the source so the copy
 * ships only the files it lacks (about 60 bytes a file as JSON).
 */
export function fileHashes(tree: SyncedTree): Map<string, string> {
  return new Map([...tree.manifest.files].map(([path, state]) => [path, state.sha256]));
}

/** `fileHashes` of a site, found from scratch (its database path included). */
export async function siteFileHashes(client: SiteClient): Promise<Map<string, string>> {
  const root = await client.documentRoot;
  const databasePath = await findDatabasePath(client, root);
  const exclusions = Exclusions.forSite(root, databasePath);
  return fileHashes({ root, exclusions, manifest: await buildManifest(client, root, exclusions) });
}
