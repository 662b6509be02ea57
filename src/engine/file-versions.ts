import type { FileChange } from '../files';
import { ancestorsOf, isSameOrInside } from '../files/paths';
import { compareHlc, decodeHlc } from '../sync/hlc';

/** One path's version as a full-state copy carries it: its path, `changed`, `removed` and `cleared` (see PathVersion). */
export type FileVersionEntry = readonly [path: string, changed: string, removed: boolean, cleared: string | null];

interface PathVersion {
  /** Clock of the last change to the path itself. */
  readonly changed: string;
  /** The last change removed the path (a delete, or the source of a rename). */
  readonly removed: boolean;
  /**
   * Clock of the last removal of the path, kept when the path is made again: a removal covers
   * everything that was below it, and a folder re-created later (moved away and back) must not
   * let an older change below it back in.
   */
  readonly cleared: string | null;
}

/**
 * Last writer wins per file path, the rule rows follow: each path remembers the clock of the
 * last delta that changed it here, sent or applied. A received change to a path this site
 * changed later is skipped, and the peer, seeing this site's newer change arrive, applies it:
 * both end with the newer version. A folder this site removed later (even if made again since)
 * also beats a received change below it. Rows keep their versions in the database; these live
 * as long as the peer and go with a full-state copy of its site (a resumed peer treats every
 * remote change as newer).
 */
export class FileVersions {
  private readonly versions = new Map<string, PathVersion>();

  /** Every path's version, for a full-state copy of this site. */
  entries(): FileVersionEntry[] {
    return [...this.versions].map(([path, { changed, removed, cleared }]) => [path, changed, removed, cleared]);
  }

  /**
   * A full-state copy replaced the site: its files are the source's, and so are their versions.
   * A change the source had not applied yet when it was copied may be older than the copy's
   * file, and must lose here as it loses there.
   */
  replaceWith(entries: readonly FileVersionEntry[]): void {
    this.versions.clear();
    for (const [path, changed, removed, cleared] of entries) this.versions.set(path, { changed, removed, cleared });
  }

  /** Records that `changes`, carried by a delta stamped `hlc`, are this site's now. */
  record(changes: readonly FileChange[], hlc: string): void {
    for (const change of changes) {
      if (change.op === 'rename') {
        this.set(change.path, hlc, true);
        this.set(change.toPath, hlc, false);
      } else {
        this.set(change.path, hlc, change.op === 'delete');
      }
    }
  }

  /** Splits a received delta stamped `hlc` into the changes to apply and those a newer local change beats. */
  partition(changes: readonly FileChange[], hlc: string): { apply: FileChange[]; beaten: FileChange[] } {
    const apply: FileChange[] = [];
    const beaten: FileChange[] = [];
    for (const change of changes) (this.beats(change, hlc) ? beaten : apply).push(change);
    return { apply, beaten };
  }

  /** Whether a change this site sent, stamped `hlc`, was overtaken here by a newer one to its path (see `beats`). */
  overtaken(change: FileChange, hlc: string): boolean {
    return this.beats(change, hlc);
  }

  /**
   * The folder `dir` itself and paths under it this site made or wrote after `hlc`: a folder
   * delete stamped `hlc` must spare them. Later removals below it need no sparing (the delete
   * agrees with them).
   */
  newerUnder(dir: string, hlc: string): string[] {
    return [...this.versions]
      .filter(([path, version]) => isSameOrInside(path, dir) && !version.removed && this.isNewer(version.changed, hlc))
      .map(([path]) => path);
  }

  /**
   * A local change to the change's path newer than `hlc`, or a local removal of a folder above
   * it. A folder delete is only beaten by a later removal: a folder this site made again later
   * still loses its older content (the delete spares the newer, see {@link newerUnder}).
   */
  private beats(change: FileChange, hlc: string): boolean {
    if (change.op === 'delete' && change.nodeType === 'directory') return this.clearedAfter(change.path, hlc, true);
    return pathsOf(change).some((path) => this.isNewer(this.versions.get(path)?.changed, hlc) || this.clearedAfter(path, hlc, false));
  }

  /** Whether this site removed a folder above `path` (or `path` itself) after `hlc`. */
  private clearedAfter(path: string, hlc: string, includingSelf: boolean): boolean {
    const folders = includingSelf ? [...ancestorsOf(path), path] : ancestorsOf(path);
    return folders.some((folder) => {
      const cleared = this.versions.get(folder)?.cleared;
      return cleared !== null && cleared !== undefined && this.isNewer(cleared, hlc);
    });
  }

  private set(path: string, hlc: string, removed: boolean): void {
    const before = this.versions.get(path);
    if (before && this.isNewer(before.changed, hlc)) {
      // An older change recorded late: only its removal can still matter.
      if (removed && !(before.cleared !== null && this.isNewer(before.cleared, hlc))) this.versions.set(path, { ...before, cleared: hlc });
      return;
    }
    this.versions.set(path, { changed: hlc, removed, cleared: removed ? hlc : (before?.cleared ?? null) });
  }

  private isNewer(local: string | undefined, remote: string): boolean {
    if (local === undefined) return false;
    const [a, b] = [decodeHlc(local), decodeHlc(remote)];
    return a !== null && b !== null && compareHlc(a, b) > 0;
  }
}

function pathsOf(change: FileChange): string[] {
  return change.op === 'rename' ? [change.path, change.toPath] : [change.path];
}
