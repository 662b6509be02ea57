import { listTree, type Exclusions, type FileChange } from '../files';
import type { SiteClient } from '../platform/site-client';
import type { FileVersions } from './file-versions';

/**
 * Last writer wins per path also inside a deleted folder: a peer's folder delete stamped `hlc`
 * does not take with it what this site changed there later. Such a delete becomes deletes of
 * everything in the folder except the newer paths and the folders holding them (the newer
 * changes reach the peer in turn and recreate them there). Found by the convergence fuzzer: a
 * folder moved on one site while a file was written into it on the other.
 */
export async function spareNewerInFolderDeletes(
  changes: readonly FileChange[],
  hlc: string,
  versions: FileVersions,
  site: { client: Pick<SiteClient, 'listFiles' | 'isDir' | 'fileExists'>; root: string; exclusions: Exclusions },
): Promise<FileChange[]> {
  const result: FileChange[] = [];
  for (const change of changes) {
    const newer = change.op === 'delete' && change.nodeType === 'directory' ? versions.newerUnder(change.path, hlc) : [];
    if (newer.length === 0 || !(await site.client.fileExists(`${site.root}/${change.path}`))) {
      result.push(change);
      continue;
    }
    const keep = (path: string) => newer.some((spared) => spared === path || spared.startsWith(`${path}/`));
    const entries = (await listTree(site.client, site.root, change.path, site.exclusions)).sort((a, b) => (a.path < b.path ? -1 : 1));
    const deleted: string[] = [];
    for (const entry of entries) {
      if (keep(entry.path) || deleted.some((dir) => entry.path.startsWith(`${dir}/`))) continue;
      result.push({ op: 'delete', path: entry.path, nodeType: entry.nodeType });
      if (entry.nodeType === 'directory') deleted.push(entry.path);
    }
  }
  return result;
}

/**
 * What of a received delta's file changes to apply: last writer wins per path
 * ({@link FileVersions.partition}), and its folder deletes spare what this site changed later.
 * `record`: what the delta's versions now stand for here, once applied: the changes applied and
 * every folder delete, spared or not. A spared folder was still removed at `hlc`: a change below
 * it older than that, arriving later from a third member, must lose here as it loses where the
 * folder went whole (fuzzer, seed 7520).
 */
export async function fileChangesToApply(
  changes: readonly FileChange[],
  hlc: string,
  versions: FileVersions,
  site: Parameters<typeof spareNewerInFolderDeletes>[3],
): Promise<{ apply: FileChange[]; beaten: FileChange[]; record: FileChange[] }> {
  const { apply: kept, beaten } = versions.partition(changes, hlc);
  const apply = await spareNewerInFolderDeletes(kept, hlc, versions, site);
  const folderDeletes = kept.filter((change) => change.op === 'delete' && change.nodeType === 'directory' && !apply.includes(change));
  return { apply, beaten, record: [...apply, ...folderDeletes] };
}
