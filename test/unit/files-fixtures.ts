import { ChangeTracker, type ReadRequest, type TrackedOp } from '../../src/files/change-tracker';
import type { FileChange } from '../../src/files/file-change';
import { isSameOrInside, movedPath } from '../../src/files/paths';
import { sha256Hex } from '../../src/files/sha256';
import type { FileState, TreeManifest } from '../../src/files/tree-manifest';

/** A tree in memory: path → file text, or DIR for a directory. */
export const DIR = Symbol('directory');
export type Tree = Map<string, string | typeof DIR>;

export function tree(entries: Record<string, string | typeof DIR>): Tree {
  return new Map(Object.entries(entries));
}

export async function manifestOf(files: Tree): Promise<TreeManifest> {
  const manifest = { files: new Map<string, FileState>(), directories: new Set<string>() };
  for (const [path, value] of files) {
    if (value === DIR) manifest.directories.add(path);
    else manifest.files.set(path, await stateOf(value));
  }
  return manifest;
}

export async function stateOf(text: string): Promise<FileState> {
  const bytes = new TextEncoder().encode(text);
  return { size: bytes.byteLength, sha256: await sha256Hex(bytes) };
}

/**
 * Runs ops through a tracker the way the recorder does in Node: every read happens after the
 * whole op sequence (reads are deferred until PHP yields), against the final tree; then the
 * fallback for what could not be matched.
 */
export async function recordSequence(start: Tree, ops: readonly TrackedOp[], end: Tree, tracker?: ChangeTracker): Promise<FileChange[]> {
  const used = tracker ?? new ChangeTracker(await manifestOf(start));
  const reads: ReadRequest[] = [];
  for (const op of ops) reads.push(...used.record(op));
  await supplyReads(used, reads, end);
  for (let round = 0; round < 5; round++) {
    const { reads: missing, scans } = used.unresolved();
    if (missing.length === 0 && scans.length === 0) break;
    for (const scan of scans) {
      const entries = [...end]
        .filter(([path]) => isSameOrInside(path, scan.path) && path !== scan.path)
        .map(([path, value]) => ({ path, nodeType: value === DIR ? ('directory' as const) : ('file' as const) }));
      await supplyReads(used, used.supplyScan(scan, entries), end);
    }
    for (const request of used.unresolved().reads) {
      if (typeof end.get(request.path) === 'string') await supplyReads(used, [request], end);
      else if (!end.has(request.path)) used.fileIsGone(request);
    }
  }
  return used.takeChanges();
}

async function supplyReads(tracker: ChangeTracker, reads: readonly ReadRequest[], end: Tree): Promise<void> {
  for (const request of reads) {
    const text = end.get(request.path);
    if (typeof text !== 'string') continue;
    const bytes = new TextEncoder().encode(text);
    tracker.supplyContent(request, { bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes) });
  }
}

/** Applies changes to a copy of `start` like the applier would; throws where the applier would fail. */
export function applyToTree(start: Tree, changes: readonly FileChange[]): Tree {
  const result = new Map(start);
  const removeSubtree = (path: string) => {
    for (const key of [...result.keys()]) if (isSameOrInside(key, path)) result.delete(key);
  };
  for (const change of changes) {
    switch (change.op) {
      case 'mkdir':
        if (typeof result.get(change.path) === 'string') throw new Error(`file in the way: ${change.path}`);
        result.set(change.path, DIR);
        break;
      case 'write':
        if (result.get(change.path) === DIR) throw new Error(`directory in the way: ${change.path}`);
        result.set(change.path, change.blob ? `<blob ${change.sha256}>` : new TextDecoder().decode(change.bytes));
        break;
      case 'delete':
        if (!result.has(change.path)) throw new Error(`nothing to delete: ${change.path}`);
        removeSubtree(change.path);
        break;
      case 'rename': {
        if (!result.has(change.path)) throw new Error(`nothing to rename: ${change.path}`);
        const moving = [...result].filter(([key]) => isSameOrInside(key, change.path));
        removeSubtree(change.path);
        removeSubtree(change.toPath);
        for (const [key, value] of moving) result.set(movedPath(key, change.path, change.toPath), value);
        break;
      }
    }
  }
  return result;
}

export function sortedEntries(files: Tree): [string, string][] {
  return [...files].map(([path, value]): [string, string] => [path, value === DIR ? '<dir>' : value]).sort(([a], [b]) => a.localeCompare(b));
}

/** Changes without bytes, for readable expectations. */
export function summary(changes: readonly FileChange[]): string[] {
  return changes.map((change) => {
    switch (change.op) {
      case 'write':
        return `write ${change.path} = ${change.blob ? `<blob ${change.sha256}>` : new TextDecoder().decode(change.bytes)}`;
      case 'mkdir':
        return `mkdir ${change.path}`;
      case 'delete':
        return `delete ${change.nodeType} ${change.path}`;
      case 'rename':
        return `rename ${change.nodeType} ${change.path} -> ${change.toPath}`;
    }
  });
}
