import * as v from 'valibot';
import type { BoundedRunClient } from '../platform/bounded-run';
import { runPhpScript } from '../platform/php-script';
import type { SiteClient } from '../platform/site-client';
import type { Exclusions } from './exclusions';
import type { NodeType } from './file-change';
import { absolutePath, comparePaths, isSameOrInside, parentOf } from './paths';
import type { FileState, TreeManifest } from './tree-manifest';
import treeManifestSource from './tree-manifest.php?raw';

const ManifestAnswerSchema = v.strictObject({
  files: v.array(v.tuple([v.string(), v.number(), v.string()])),
  directories: v.array(v.string()),
  unreadable: v.array(v.string()),
});

export interface BuiltManifest extends TreeManifest {
  /** Paths PHP could not list or hash (left out of the manifest). */
  readonly unreadable: readonly string[];
}

/**
 * The synced tree under `root` with each file's size and sha256, minus exclusions, in a single
 * `run()` (PHP hashes ~15 MB of WordPress in well under a second; one client call per file would
 * be ~1,500 round trips in the browser). Needs the PHP instance free: call it between requests.
 */
export async function buildManifest(client: BoundedRunClient, root: string, exclusions: Exclusions): Promise<BuiltManifest> {
  const answer = await runPhpScript(
    client,
    {
      what: `file manifest of ${root}`,
      code: treeManifestSource,
      env: {
        PG_SYNC_ROOT: root,
        PG_SYNC_EXCLUSIONS: JSON.stringify(exclusions.rules.map(({ kind, path }) => ({ kind, path }))),
      },
    },
    ManifestAnswerSchema,
  );
  const files = new Map<string, FileState>();
  for (const [path, size, sha256] of answer.files) {
    if (!exclusions.isExcluded(path)) files.set(path, { size, sha256 });
  }
  const directories = new Set(answer.directories.filter((path) => !exclusions.isExcluded(path)));
  return { files, directories, unreadable: answer.unreadable };
}

export interface ListedEntry {
  readonly path: string;
  readonly nodeType: NodeType;
}

/**
 * Every node under `path` (relative, excluded), through the FS API only: usable while PHP is
 * busy, one call per node, so for small trees (a directory renamed in from `wp-content/upgrade/`).
 */
export async function listTree(
  client: Pick<SiteClient, 'listFiles' | 'isDir'>,
  root: string,
  path: string,
  exclusions: Exclusions,
): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  const pending = [path];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    for (const name of await client.listFiles(absolutePath(root, directory))) {
      const child = `${directory}/${name}`;
      if (exclusions.isExcluded(child)) continue;
      const nodeType: NodeType = (await client.isDir(absolutePath(root, child))) ? 'directory' : 'file';
      entries.push({ path: child, nodeType });
      if (nodeType === 'directory') pending.push(child);
    }
  }
  return entries;
}

/** A change without its bytes yet: what a full-state copy has to fetch and send. */
export type PlannedChange =
  | { readonly op: 'mkdir'; readonly path: string }
  | { readonly op: 'write'; readonly path: string; readonly size: number; readonly sha256: string }
  | { readonly op: 'delete'; readonly path: string; readonly nodeType: NodeType };

/**
 * The changes that make a tree holding `current` equal to `wanted`: deletions first (outermost
 * only, and anything whose type differs), then directories parents first, then the files whose
 * bytes differ.
 */
export function diffManifests(current: TreeManifest, wanted: TreeManifest): PlannedChange[] {
  const deletes: PlannedChange[] = [];
  const deleted: string[] = [];
  const isUnderDeleted = (path: string) => deleted.some((root) => isSameOrInside(path, root));
  const currentNodes: [string, NodeType][] = [
    ...[...current.directories].map((path): [string, NodeType] => [path, 'directory']),
    ...[...current.files.keys()].map((path): [string, NodeType] => [path, 'file']),
  ].sort(([a], [b]) => comparePaths(a, b));
  for (const [path, nodeType] of currentNodes) {
    if (isUnderDeleted(path)) continue;
    const stays = nodeType === 'directory' ? wanted.directories.has(path) : wanted.files.has(path);
    if (stays) continue;
    deletes.push({ op: 'delete', path, nodeType });
    deleted.push(path);
  }
  const keptDirectory = (path: string) => current.directories.has(path) && !isUnderDeleted(path);
  const mkdirs: PlannedChange[] = [...wanted.directories]
    .filter((path) => !keptDirectory(path))
    .sort((a, b) => depth(a) - depth(b) || comparePaths(a, b))
    .map((path) => ({ op: 'mkdir', path }));
  const writes: PlannedChange[] = [...wanted.files]
    .filter(([path, state]) => {
      const had = current.files.get(path);
      return !had || isUnderDeleted(path) || had.sha256 !== state.sha256 || had.size !== state.size;
    })
    .sort(([a], [b]) => comparePaths(a, b))
    .map(([path, state]) => ({ op: 'write', path, size: state.size, sha256: state.sha256 }));
  return [...deletes, ...mkdirs, ...writes];
}

function depth(path: string): number {
  let count = 0;
  for (let parent = parentOf(path); parent !== null; parent = parentOf(parent)) count++;
  return count;
}
