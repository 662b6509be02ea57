import type { SiteClient } from '../platform/site-client';
import { applyFileChange, checkedFileChange, describeSafely, type ApplyReport, type EchoRegistry } from './applier';
import { BlobStore, INLINE_FILE_MAX_BYTES, type StagedBlob, type StatResult } from './blob-store';
import type { PeerCheckpoint } from './change-tracker';
import { ENGINE_SCRATCH_AREA } from './exclusions';
import type { FileChange } from './file-change';
import { absolutePath, ancestorsOf, isSameOrInside, movedPath, parentOf, relativeToRoot } from './paths';
import { sha256Hex } from './sha256';

type TransactionClient = Pick<
  SiteClient,
  'mkdir' | 'writeFile' | 'readFileAsBuffer' | 'unlink' | 'rmdir' | 'mv' | 'isDir' | 'fileExists' | 'run'
>;

/** What an overwritten file held: its bytes, or (a big file) a copy in the undo scratch's blob store. */
type OverwrittenFile = { readonly bytes: Uint8Array } | { readonly staged: StagedBlob };

/** The recorder's side of an undo: its echo expectations are taken back with the changes. */
export interface UndoableEcho extends EchoRegistry {
  fence(): Promise<void>;
  checkpointPeer(): PeerCheckpoint;
  restorePeer(checkpoint: PeerCheckpoint, paths: readonly string[]): void;
}

/**
 * A node the apply moved or made, and where it is now (an absolute path: in the synced tree or,
 * moved aside, in the scratch area). Originals existed before the apply, at `origin`.
 */
interface TrackedNode {
  readonly kind: 'original' | 'created';
  /** Relative path it had before the apply (originals only). */
  readonly origin?: string;
  current: string;
}

/** A batch of the peer's file changes applied all or nothing: keep it with `commit`, or `rollback`. */
export interface FileTransaction {
  /** `applied` counts the changes in place; at most one failure, after which nothing more was tried. */
  readonly report: ApplyReport;
  commit(): Promise<void>;
  /** Puts every touched path back as it was; returns what could not be put back (empty when all was). */
  rollback(): Promise<string[]>;
}

/**
 * Applies the peer's file changes in order so that they can be taken back: it keeps the first
 * bytes of each file it overwrites, notes what it creates, and moves what it deletes (or
 * replaces by a rename) aside into the engine's scratch area instead of deleting it — a move,
 * so a deleted plugin folder costs no reads. Stops at the first change that fails.
 *
 * `rollback` undoes it by state, not step by step (a step-by-step undo passes through states
 * the site never had, and the recorder would send them): originals that moved are moved aside,
 * what was created is removed, the originals go back to where they were, overwritten files get
 * their bytes back. Each of its operations is announced to the recorder first, like the apply's
 * own; once their journal events are in, the recorder's idea of the peer goes back to before the
 * apply, so neither the apply nor its undo reaches the peer as a change of this site's.
 */
export async function applyFileChangesAtomically(
  client: TransactionClient,
  changes: readonly FileChange[],
  options: {
    readonly root: string;
    readonly echo?: UndoableEcho;
    readonly blobs?: Pick<BlobStore, 'place'>;
    /** Sizes of files before they are overwritten. Default: one PHP run (see BlobStore.statFiles). */
    readonly statFiles?: (absolutes: readonly string[]) => Promise<StatResult[]>;
  },
): Promise<FileTransaction> {
  const { root, echo } = options;
  const at = (path: string) => absolutePath(root, path);
  const relative = (absolute: string) => relativeToRoot(root, absolute);
  // A copy of the recorder's whole idea of the peer: only worth taking when there are file changes.
  const checkpoint = changes.length > 0 ? echo?.checkpointPeer() : undefined;
  const scratch = at(`${ENGINE_SCRATCH_AREA}/undo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  let scratchMade = false;
  let asideCount = 0;
  const tracked: TrackedNode[] = [];
  const overwritten = new Map<string, OverwrittenFile>();
  // Big files about to be overwritten are copied aside inside PHP, never read whole into JS.
  const undoBlobs = new BlobStore(client, `${scratch}/blobs`);
  const sizesBefore = await sizesOfWriteTargets(options.statFiles ?? ((paths) => undoBlobs.statFiles(paths)), changes, at);
  const keepOverwritten = async (absolute: string): Promise<OverwrittenFile> => {
    const size = sizesBefore.get(absolute);
    if (typeof size !== 'number' || size <= INLINE_FILE_MAX_BYTES) return { bytes: await client.readFileAsBuffer(absolute) };
    scratchMade = true;
    return { staged: await undoBlobs.stage(absolute) };
  };
  const touched = new Set<string>();
  const failures: ApplyReport['failures'][number][] = [];
  let applied = 0;

  /** The innermost tracked node (of `kind`, if given) that holds `absolute`. */
  const innermostHolder = (absolute: string, kind?: TrackedNode['kind']) =>
    tracked
      .filter((node) => (kind === undefined || node.kind === kind) && isSameOrInside(absolute, node.current))
      .sort((a, b) => b.current.length - a.current.length)[0];
  // The innermost tracked node holding the path says what it is.
  const isCreated = (absolute: string) => innermostHolder(absolute)?.kind === 'created';
  const holdsOriginals = (absolute: string) => tracked.some((node) => node.kind === 'original' && isSameOrInside(node.current, absolute));
  /** Where the node now at `absolute` was before the apply (it exists and is not created). */
  const originOf = (absolute: string): string => {
    const holder = innermostHolder(absolute, 'original');
    return holder ? movedPath(absolute, holder.current, absolutePath(root, holder.origin!)) : absolute;
  };
  /** Follows a move of `from` to `to` for every tracked node inside `from`. */
  const followMove = (from: string, to: string) => {
    for (const node of tracked) if (isSameOrInside(node.current, from)) node.current = movedPath(node.current, from, to);
  };
  /** A fresh path in the scratch area (made on first use). */
  const nextAside = async (): Promise<string> => {
    if (!scratchMade) {
      await client.mkdir(scratch);
      scratchMade = true;
    }
    return `${scratch}/${++asideCount}`;
  };
  /** Moves the existing node at `path` (relative) into the scratch area. */
  const moveAside = async (path: string): Promise<void> => {
    const absolute = at(path);
    const aside = await nextAside();
    const created = isCreated(absolute);
    const origin = created ? undefined : relative(originOf(absolute)) ?? undefined;
    echo?.expectApplied(path, 'deleted');
    await client.mv(absolute, aside);
    followMove(absolute, aside);
    if (!created && !tracked.some((node) => node.current === aside)) tracked.push({ kind: 'original', origin, current: aside });
  };
  const rememberCreated = async (path: string): Promise<void> => {
    const missing = await outermostMissing(client, at, path);
    if (missing !== null) tracked.push({ kind: 'created', current: at(missing) });
  };

  for (const [index, change] of changes.entries()) {
    try {
      const checked = checkedFileChange(change);
      touched.add(checked.path);
      if (checked.op === 'rename') touched.add(checked.toPath);
      const absolute = at(checked.path);
      switch (checked.op) {
        case 'mkdir':
          if (!(await client.fileExists(absolute))) await rememberCreated(checked.path);
          break;
        case 'write':
          if (await client.isDir(absolute)) break; // the applier says why it fails
          if (!(await client.fileExists(absolute))) await rememberCreated(checked.path);
          else if (!isCreated(absolute)) {
            const origin = relative(originOf(absolute))!;
            if (!overwritten.has(origin)) overwritten.set(origin, await keepOverwritten(absolute));
          }
          break;
        case 'delete': {
          if (!(await client.fileExists(absolute))) break;
          const isDirectory = await client.isDir(absolute);
          if (isDirectory !== (checked.nodeType === 'directory')) {
            throw new Error(`expected a ${checked.nodeType}, found a ${isDirectory ? 'directory' : 'file'}`);
          }
          if (isCreated(absolute) && !holdsOriginals(absolute)) break; // nothing of before is lost: really delete it
          await moveAside(checked.path);
          applied++;
          continue;
        }
        case 'rename': {
          if (!(await client.fileExists(absolute))) break; // done already, or the applier says why not
          if (await client.fileExists(at(checked.toPath))) await moveAside(checked.toPath);
          const parent = parentOf(checked.toPath);
          if (parent !== null) await rememberCreated(parent);
          const created = isCreated(absolute);
          const origin = created ? undefined : relative(originOf(absolute)) ?? undefined;
          await applyFileChange(client, checked, options);
          followMove(absolute, at(checked.toPath));
          const moved = tracked.some((node) => node.current === at(checked.toPath));
          if (!moved) tracked.push(created ? { kind: 'created', current: at(checked.toPath) } : { kind: 'original', origin, current: at(checked.toPath) });
          applied++;
          continue;
        }
      }
      await applyFileChange(client, checked, options);
      applied++;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push({ index, change, reason: `${describeSafely(change)}: ${reason}` });
      break;
    }
  }

  const dropScratch = async () => {
    if (scratchMade) await client.rmdir(scratch, { recursive: true }).catch(() => undefined);
  };

  return {
    report: { applied, failures },
    commit: dropScratch,
    async rollback() {
      if (touched.size === 0) return [];
      const problems: string[] = [];
      const attempt = async (what: string, work: () => Promise<void>) => {
        try {
          await work();
        } catch (error) {
          problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const announceDelete = (absolute: string) => {
        const path = relative(absolute);
        if (path !== null && !absolute.startsWith(`${scratch}/`)) echo?.expectApplied(path, 'deleted');
      };
      await echo?.fence(); // the apply's journal events are all recorded
      // 1. Originals that moved go aside, innermost first (an outer one would carry them along).
      const moved = tracked
        .filter((node) => node.kind === 'original' && !node.current.startsWith(`${scratch}/`))
        .sort((a, b) => b.current.length - a.current.length);
      for (const node of moved) {
        await attempt(`moving ${node.current} aside`, async () => {
          const aside = await nextAside();
          announceDelete(node.current);
          await client.mv(node.current, aside);
          followMove(node.current, aside);
        });
      }
      // 2. What the apply created goes, wherever it is now (nothing of before is inside it any more).
      for (const node of tracked.filter((one) => one.kind === 'created')) {
        await attempt(`removing ${node.current}`, async () => {
          if (await client.isDir(node.current)) {
            announceDelete(node.current);
            await client.rmdir(node.current, { recursive: true });
          } else if (await client.fileExists(node.current)) {
            announceDelete(node.current);
            await client.unlink(node.current);
          }
        });
      }
      // 3. Originals go back, outermost first, the recorder's idea of the peer with each.
      await echo?.fence();
      const back = tracked
        .filter((node) => node.kind === 'original')
        .sort((a, b) => a.origin!.split('/').length - b.origin!.split('/').length);
      for (const node of back) {
        await attempt(`moving ${node.current} back to ${node.origin}`, async () => {
          if (echo && checkpoint) echo.restorePeer(checkpoint, [node.origin!]);
          await client.mv(node.current, at(node.origin!));
        });
      }
      // 4. Overwritten files get their first bytes back.
      for (const [path, before] of overwritten) {
        await attempt(`writing back ${path}`, async () => {
          if ('staged' in before) {
            echo?.expectApplied(path, before.staged);
            await undoBlobs.place(before.staged.sha256, at(path));
            return;
          }
          echo?.expectApplied(path, { size: before.bytes.byteLength, sha256: await sha256Hex(before.bytes) });
          await client.writeFile(at(path), before.bytes);
        });
      }
      await echo?.fence();
      for (const node of tracked) if (node.origin) touched.add(node.origin);
      if (echo && checkpoint) echo.restorePeer(checkpoint, [...touched]);
      if (problems.length === 0) await dropScratch();
      return problems;
    },
  };
}

/** The size of what is at each write's target before the apply (one PHP run; none without writes). */
async function sizesOfWriteTargets(
  statFiles: (absolutes: readonly string[]) => Promise<StatResult[]>,
  changes: readonly FileChange[],
  at: (path: string) => string,
): Promise<Map<string, StatResult>> {
  const targets = changes.flatMap((change) => (change.op === 'write' && typeof change.path === 'string' ? [at(change.path)] : []));
  const sizes = targets.length > 0 ? await statFiles(targets) : [];
  return new Map(targets.map((target, index) => [target, sizes[index]!]));
}

/** The outermost of `path` and its ancestors that does not exist yet (what creating it makes). */
async function outermostMissing(client: TransactionClient, at: (path: string) => string, path: string): Promise<string | null> {
  let missing: string | null = null;
  for (const candidate of [path, ...ancestorsOf(path).reverse()]) {
    if (await client.fileExists(at(candidate))) break;
    missing = candidate;
  }
  return missing;
}
