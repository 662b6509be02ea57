import { writeOf, type Exclusions, type FileChange, type FileContentReader } from '../files';
import { absolutePath, comparePaths, isSameOrInside, movedPath } from '../files/paths';
import type { SequencedBatch } from '../sync/sequencing';
import type { WireDelta } from './delta';

/**
 * Resuming after a saved site reloaded. The reload kept the site's files and database (and the
 * database's outbox of captured rows) but lost the peer: the file changes it had sent and not
 * seen acknowledged, and those it had not sent yet. The other side compares both trees and asks
 * for the files that differ, except where a change of its own is on the way (that one arrives
 * on the reloaded site after the rejoin and wins there too).
 */

/** Where a site's database stands in the batches of a pair: its own last one, and how far it applied the paired site's. */
export interface BatchPositions {
  readonly lastBatchSeq: number;
  readonly appliedOfPeer: number;
}

/** Batches a reload lost (see `lostWithReload`). */
export interface ReloadLoss {
  readonly own: number;
  readonly applied: number;
}

/** The journal's line for a reload that lost writes: a copy repairs it (`restoring`), or the user is told how. */
export function describeReloadLoss({ own, applied }: ReloadLoss, restoring: boolean): string {
  const what = [...(own > 0 ? [`${own} change(s) it had sent`] : []), ...(applied > 0 ? [`${applied} change(s) it had received`] : [])].join(' and ');
  const lacks = `This site reloaded before Playground had saved its last writes: its saved state lacks ${what}.`;
  if (restoring) return `${lacks} The paired site has them: its full state is copied here`;
  return `${lacks} The other members have them: take this tab out of the group and add it again (its site is then replaced by the group's)`;
}

/**
 * What the reloaded site's database lacks of what its page did, by the answer of the site that
 * did not reload: batches of its own the paired site applied but its database never got to
 * keep (`own`), and batches of the paired site's it applied and acknowledged whose writes it
 * lost (`applied`). Playground writes a saved site back to its storage after each request, on
 * its own time: a reload before that takes the last writes with it. Null when nothing was lost.
 */
export function lostWithReload(kept: BatchPositions, answer: { readonly appliedOfYours: number; readonly releasedOfMine: number }): ReloadLoss | null {
  const own = Math.max(0, answer.appliedOfYours - kept.lastBatchSeq);
  const applied = Math.max(0, answer.releasedOfMine - kept.appliedOfPeer);
  return own > 0 || applied > 0 ? { own, applied } : null;
}

/**
 * Every path a delta still waiting for its acknowledgement decides (both ends of a rename, a
 * deleted folder with everything below it). A folder it makes decides nothing below it.
 */
export function pathsOnTheWay(pending: readonly SequencedBatch<WireDelta>[]): string[] {
  const paths: string[] = [];
  for (const change of pendingFileChanges(pending)) {
    if (change.op === 'mkdir') continue;
    paths.push(change.path);
    if (change.op === 'rename') paths.push(change.toPath);
  }
  return paths;
}

/** The file changes of deltas this site made, as sent: paths and kinds, no bytes decoded. */
function pendingFileChanges(pending: readonly SequencedBatch<WireDelta>[]): WireDelta['files'] {
  return pending.flatMap((batch) => batch.payload.files);
}

/**
 * A folder delete or rename still waiting for its acknowledgement reaches the reloaded site again,
 * which forgot which files below that folder are newer than it (file versions live with the page):
 * it would remove or move them too. Every file below such a folder, on either site (and where a
 * moved folder's files land), is sent again as this site has it now, after the pending deltas.
 */
export function pathsBelowFoldersOnTheWay(
  pending: readonly SequencedBatch<WireDelta>[],
  here: Iterable<string>,
  there: Iterable<string>,
): string[] {
  const folders: string[] = [];
  const moves: [string, string][] = [];
  for (const change of pendingFileChanges(pending)) {
    if (change.op === 'delete' && change.nodeType === 'directory') folders.push(change.path);
    if (change.op === 'rename' && change.nodeType === 'directory') {
      folders.push(change.path, change.toPath);
      moves.push([change.path, change.toPath]);
    }
  }
  if (folders.length === 0) return [];
  const paths = new Set<string>();
  const thereList = [...there];
  for (const path of [...here, ...thereList]) if (folders.some((folder) => isSameOrInside(path, folder))) paths.add(path);
  for (const path of thereList) {
    for (const [from, to] of moves) if (path !== from && isSameOrInside(path, from)) paths.add(movedPath(path, from, to));
  }
  return [...paths].sort(comparePaths);
}

/**
 * When both sites reloaded before either rejoin was answered, neither knows what the other had
 * on the way: a file only one of them has is kept (sent to the other, never deleted: it may be
 * new), and for content that differs the site whose peer id sorts first wins on both.
 */
export interface BothReloaded {
  readonly reloadedWinsDifferences: boolean;
}

/**
 * The files the reloaded site must send as they are on it: those whose content differs between
 * the two sites or that only one of them has (its removal, then), none below a path this site has
 * a change of its own on the way for. Sorted, so both logs read the same.
 */
export function filesWanted(
  reloaded: readonly (readonly [string, string])[],
  here: ReadonlyMap<string, string>,
  onTheWay: readonly string[],
  bothReloaded: BothReloaded | null = null,
): string[] {
  const there = new Map(reloaded);
  const wanted = new Set<string>();
  for (const [path, hash] of there) {
    const mine = here.get(path);
    if (mine === undefined || (mine !== hash && (bothReloaded === null || bothReloaded.reloadedWinsDifferences))) wanted.add(path);
  }
  if (bothReloaded === null) for (const path of here.keys()) if (!there.has(path)) wanted.add(path);
  return [...wanted].filter((path) => !onTheWay.some((changed) => isSameOrInside(path, changed))).sort(comparePaths);
}

/**
 * What each wanted path holds on this site now: its content (a big file as a blob), or its
 * removal. Excluded paths are never sent.
 */
export async function currentFiles(
  reader: FileContentReader,
  root: string,
  exclusions: Exclusions,
  paths: readonly string[],
): Promise<FileChange[]> {
  const synced = paths.filter((path) => !exclusions.isExcluded(path));
  const contents = await reader.readAll(synced.map((path) => absolutePath(root, path)));
  const changes: FileChange[] = [];
  for (const [index, path] of synced.entries()) {
    const content = contents[index]!;
    if (content === 'absent') changes.push({ op: 'delete', path, nodeType: 'file' });
    // A folder where the other site has a file: its files come one by one (they differ too).
    else if (content === 'directory') continue;
    else changes.push(writeOf(path, content));
  }
  return orderedChanges(changes);
}

/** Changes as one batch applies them: structural ones (mkdir, rename, delete) in their order, then the writes. */
export function orderedChanges(changes: readonly FileChange[]): FileChange[] {
  return [...changes.filter((change) => change.op !== 'write'), ...changes.filter((change) => change.op === 'write')];
}
