import type { FileChange } from '../files';
import { compareHlc, decodeHlc } from '../sync/hlc';

interface PathVersion {
  readonly hlc: string;
  /** The change removed the path (a delete, or the source of a rename): it covers everything below. */
  readonly removed: boolean;
}

/**
 * Last writer wins per file path, the rule rows follow: each path remembers the clock of the
 * last delta that changed it here, sent or applied. A received change to a path this site
 * changed later is skipped, and the peer, seeing this site's newer change arrive, applies it:
 * both end with the newer version. A folder this site removed later also beats a received change
 * below it. Rows keep their versions in the database; these live as long as the peer (a
 * restarted peer treats every remote change as newer).
 */
export class FileVersions {
  private readonly versions = new Map<string, PathVersion>();

  /** Records that `changes`, carried by a delta stamped `hlc`, are this site's now. */
  record(changes: readonly FileChange[], hlc: string): void {
    for (const change of changes) {
      if (change.op === 'rename') {
        this.versions.set(change.path, { hlc, removed: true });
        this.versions.set(change.toPath, { hlc, removed: false });
      } else {
        this.versions.set(change.path, { hlc, removed: change.op === 'delete' });
      }
    }
  }

  /** Splits a received delta stamped `hlc` into the changes to apply and those a newer local change beats. */
  partition(changes: readonly FileChange[], hlc: string): { apply: FileChange[]; beaten: FileChange[] } {
    const apply: FileChange[] = [];
    const beaten: FileChange[] = [];
    for (const change of changes) (pathsOf(change).some((path) => this.beats(path, hlc)) ? beaten : apply).push(change);
    return { apply, beaten };
  }

  /** Paths under the folder `dir` this site changed after `hlc` (a folder delete stamped `hlc` must spare them). */
  newerUnder(dir: string, hlc: string): string[] {
    const prefix = `${dir}/`;
    return [...this.versions].filter(([path, version]) => path.startsWith(prefix) && this.isNewer(version.hlc, hlc)).map(([path]) => path);
  }

  /** A local change to `path` itself, or a local removal of a folder above it, newer than `hlc`. */
  private beats(path: string, hlc: string): boolean {
    if (this.isNewer(this.versions.get(path)?.hlc, hlc)) return true;
    for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) {
      const above = this.versions.get(path.slice(0, at));
      if (above?.removed && this.isNewer(above.hlc, hlc)) return true;
    }
    return false;
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
