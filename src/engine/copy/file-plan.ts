import { diffManifests, type FileState, type PlannedChange, type TreeManifest } from '../../files';
import { isSameOrInside } from '../../files/paths';
import { CopyRefusal, type SiteCopy } from './site-copy';
import type { SyncedTree } from './synced-tree';

/**
 * The changes that make this site's tree the source's (deletions, then folders, then writes
 * whose bytes are in the pack). Paths this site excludes are left out of both sides. Refuses,
 * changing nothing, when the pack lacks the bytes of a file this site does not already hold.
 * What the source could not read is not deleted.
 */
export function planFileChanges(tree: SyncedTree, copy: SiteCopy): PlannedChange[] {
  const { manifest } = copy.files;
  const packed = new Set(copy.files.packed.map((file) => file.sha256));
  const keep = (path: string) => !tree.exclusions.isExcluded(path);
  const synced = (from: TreeManifest): TreeManifest => ({
    files: new Map<string, FileState>([...from.files].filter(([path]) => keep(path))),
    directories: new Set([...from.directories].filter(keep)),
  });
  const unknown = (path: string) => copy.files.unreadable.some((hidden) => isSameOrInside(path, hidden));
  const planned = diffManifests(synced(tree.manifest), synced(manifest)).filter(
    (change) => change.op !== 'delete' || !unknown(change.path),
  );
  const lacking = planned.filter((change) => change.op === 'write' && !packed.has(change.sha256)).map((change) => change.path);
  if (lacking.length > 0) {
    throw new CopyRefusal(
      'missing-bytes',
      `The copy lacks the bytes of ${lacking.length} file(s) this site does not hold (${lacking.slice(0, 3).join(', ')}): ` +
        'take it again with this site’s file list',
    );
  }
  return planned;
}
