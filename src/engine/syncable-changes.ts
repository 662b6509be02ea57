import * as v from 'valibot';
import { RelativePathSchema, type FileChange } from '../files/file-change';

/** A change left out because the paired site could never take its path. */
export interface Unsyncable {
  readonly path: string;
  readonly reason: string;
}

export interface SyncableSplit {
  readonly syncable: FileChange[];
  readonly skipped: Unsyncable[];
  /** Paths that arrived under a syncable name from an unsyncable one: to send as they are now. */
  readonly arrived: string[];
}

/**
 * Splits recorded file changes into those the paired site can take and those its path rules
 * refuse (a backslash in a name, say): one of those would get the whole delta refused there and
 * hold everything after it. A rename out to such a name becomes a delete (the file left the names
 * that sync); a rename in from one brings the file under its new name.
 */
export function splitSyncable(changes: readonly FileChange[]): SyncableSplit {
  const syncable: FileChange[] = [];
  const skipped: Unsyncable[] = [];
  const arrived: string[] = [];
  for (const change of changes) {
    const fromProblem = pathProblem(change.path);
    if (change.op !== 'rename') {
      if (fromProblem === null) syncable.push(change);
      else skipped.push({ path: change.path, reason: fromProblem });
      continue;
    }
    const toProblem = pathProblem(change.toPath);
    if (fromProblem === null && toProblem === null) syncable.push(change);
    else if (fromProblem === null) {
      syncable.push({ op: 'delete', path: change.path, nodeType: change.nodeType });
      skipped.push({ path: change.toPath, reason: toProblem! });
    } else if (toProblem === null) arrived.push(change.toPath);
    else skipped.push({ path: change.toPath, reason: toProblem });
  }
  return { syncable, skipped, arrived };
}

function pathProblem(path: string): string | null {
  const result = v.safeParse(RelativePathSchema, path);
  return result.success ? null : result.issues[0].message;
}
