import type { SiteClient } from '../platform/site-client';
import { parseMessage } from '../protocol/validate';
import type { BlobStore } from './blob-store';
import { describeChange, FileChangeSchema, type FileChange } from './file-change';
import { absolutePath, parentOf } from './paths';
import { sha256Hex } from './sha256';
import type { FileState } from './tree-manifest';

type ApplierClient = Pick<SiteClient, 'mkdir' | 'writeFile' | 'unlink' | 'rmdir' | 'mv' | 'isDir' | 'fileExists'>;

/** Told before each change is applied, so this site's recorder takes the change for an echo. */
export interface EchoRegistry {
  expectApplied(path: string, state: FileState | 'deleted' | 'dir'): void;
  expectRenamed(from: string, to: string): void;
}

export interface ApplyOptions {
  /** Absolute synced root on this site, e.g. `/wordpress`. */
  readonly root: string;
  /** This site's recorder, if one runs. */
  readonly echo?: EchoRegistry;
  /** Where the bytes of blob writes wait (received and checked against their sha256 already). */
  readonly blobs?: Pick<BlobStore, 'place'>;
}

export interface ApplyFailure {
  /** Position in the list given to {@link applyFileChanges}. */
  readonly index: number;
  readonly change: FileChange;
  /** e.g. `write wp-content/plugins/demo/demo.php (120 bytes): the parent … is a file`. */
  readonly reason: string;
}

export interface ApplyReport {
  readonly applied: number;
  readonly failures: readonly ApplyFailure[];
}

/**
 * Applies a peer's file changes in order, each on its own: one that fails is reported (path and
 * reason) and the rest still go on. Every change is idempotent (a delete of something already
 * gone, a rename already done, a mkdir of an existing directory succeed), so the glue can retry
 * the failed ones, in order, once the cause is fixed.
 *
 * Limits: a file lands whole or not at all (one `writeFile`, synchronous inside the PHP worker,
 * or a blob's copy renamed into place, so no PHP request sees it half-written), but a batch is
 * not atomic: after failures some of its changes are in place and the others are not, and a
 * later change that depended on a failed one (a write into a directory that could not be
 * created) fails too, until retried. A received delta goes through {@link applyFileChangesAtomically} instead (`file-transaction.ts`).
 */
export async function applyFileChanges(
  client: ApplierClient,
  changes: readonly FileChange[],
  options: ApplyOptions,
): Promise<ApplyReport> {
  const failures: ApplyFailure[] = [];
  let applied = 0;
  for (const [index, change] of changes.entries()) {
    try {
      await applyFileChange(client, checkedFileChange(change), options);
      applied++;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push({ index, change, reason: `${describeSafely(change)}: ${reason}` });
    }
  }
  return { applied, failures };
}

/** The change, validated again: it came from the other site. */
export function checkedFileChange(change: FileChange): FileChange {
  const checked = parseMessage(FileChangeSchema, change, 'file change');
  if (!checked.ok) throw new Error(checked.error);
  return checked.value;
}

/** Applies one change, idempotently (see {@link applyFileChanges}). */
export async function applyFileChange(client: ApplierClient, change: FileChange, { root, echo, blobs }: ApplyOptions): Promise<void> {
  const at = (path: string) => absolutePath(root, path);
  switch (change.op) {
    case 'mkdir': {
      echo?.expectApplied(change.path, 'dir');
      if (await client.isDir(at(change.path))) return;
      if (await client.fileExists(at(change.path))) throw new Error(`a file is in the way at ${change.path}`);
      await ensureParent(client, root, change.path);
      await client.mkdir(at(change.path));
      return;
    }
    case 'write': {
      if (change.blob && !blobs) throw new Error('no blob store to take the bytes from');
      // A blob's bytes were checked against its sha256 when it arrived in the store.
      const sha256 = change.blob ? change.sha256 : await sha256Hex(change.bytes);
      if (sha256 !== change.sha256) throw new Error(`the bytes do not match their sha256 (got ${sha256})`);
      echo?.expectApplied(change.path, { size: change.size, sha256 });
      if (await client.isDir(at(change.path))) throw new Error(`a directory is in the way at ${change.path}`);
      await ensureParent(client, root, change.path);
      if (change.blob) await blobs!.place(change.sha256, at(change.path));
      else await client.writeFile(at(change.path), change.bytes);
      return;
    }
    case 'delete': {
      echo?.expectApplied(change.path, 'deleted');
      if (!(await client.fileExists(at(change.path)))) return;
      const isDirectory = await client.isDir(at(change.path));
      if (isDirectory !== (change.nodeType === 'directory')) {
        throw new Error(`expected a ${change.nodeType}, found a ${isDirectory ? 'directory' : 'file'}`);
      }
      if (isDirectory) await client.rmdir(at(change.path), { recursive: true });
      else await client.unlink(at(change.path));
      return;
    }
    case 'rename': {
      echo?.expectRenamed(change.path, change.toPath);
      if (!(await client.fileExists(at(change.path)))) {
        if (await client.fileExists(at(change.toPath))) return; // done already (a retry)
        throw new Error(`nothing to rename at ${change.path}`);
      }
      await ensureParent(client, root, change.toPath);
      await client.mv(at(change.path), at(change.toPath));
      return;
    }
  }
}

/** Creates the parent directory chain; says which ancestor is a file when one is. */
async function ensureParent(client: ApplierClient, root: string, path: string): Promise<void> {
  const parent = parentOf(path);
  if (parent === null) return;
  if (await client.isDir(absolutePath(root, parent))) return;
  let ancestor: string | null = parent;
  while (ancestor !== null) {
    const absolute = absolutePath(root, ancestor);
    if (await client.fileExists(absolute)) {
      if (!(await client.isDir(absolute))) throw new Error(`${ancestor} is a file, not a directory`);
      break;
    }
    ancestor = parentOf(ancestor);
  }
  await client.mkdir(absolutePath(root, parent));
}

export function describeSafely(change: FileChange): string {
  try {
    return describeChange(change);
  } catch {
    return 'malformed change';
  }
}
