import type { FilesystemOperation, SiteClient } from '../platform/site-client';
import { BlobStore } from './blob-store';
import { ChangeTracker, type FileContent, type PeerCheckpoint, type ReadRequest, type ScanRequest, type TrackedOp } from './change-tracker';
import { ENGINE_SCRATCH_AREA, type Exclusions } from './exclusions';
import type { FileChangeBatch } from './file-change';
import { buildManifest, listTree, type ListedEntry } from './manifest';
import { SizeAwareReader, type FileContentReader } from './file-content-reader';
import { absolutePath, relativeToRoot } from './paths';
import type { FileState, TreeManifest } from './tree-manifest';

type RecorderClient = Pick<
  SiteClient,
  'journalFSEvents' | 'readFileAsBuffer' | 'fileExists' | 'listFiles' | 'isDir' | 'run' | 'writeFile' | 'mkdir' | 'unlink' | 'rmdir'
>;

/** How long a fence waits for its own journal event before going on regardless. */
const FENCE_TIMEOUT_MS = 10_000;

export interface FileRecorderOptions {
  /** Absolute synced root, e.g. `/wordpress` (the client's documentRoot). */
  readonly root: string;
  readonly exclusions: Exclusions;
  /**
   * What the peer has at start. Default: this site's tree, listed once at start (the pairing
   * made both sites equal, or a full-state copy will).
   */
  readonly start?: TreeManifest;
  /** Reads of file bytes running at once (with the default reader). */
  readonly readConcurrency?: number;
  /** How files are read. Default: small ones whole, big ones staged in the site's blob store. */
  readonly reader?: FileContentReader;
  /** Blobs staged for reads that no batch sent (echoes, bytes the peer has): the store may drop them. */
  readonly onUnsentBlobs?: (names: string[]) => void;
  /**
   * An event touched a synced path: the owner's cue that a batch may be due. The engine's own
   * writes in excluded places (a 50 MB blob staged, chunks arriving) are no such cue.
   */
  readonly onTracked?: () => void;
}

export interface RecorderStats {
  /** Journal events received, and how many of them were for synced paths. */
  readonly events: number;
  readonly trackedEvents: number;
  /** File reads done (prompt ones and fallbacks at batch time). */
  readonly reads: number;
  readonly fallbackReads: number;
}

/**
 * Records file changes under the root through the FS journal and hands them out in batches.
 *
 *   const recorder = await FileRecorder.start(client, { root: '/wordpress', exclusions });
 *   // after each PHP request:
 *   const batch = await recorder.takeBatch();   // { changes: FileChange[] }, maybe empty
 *   // before applying the peer's changes on this site: see applyFileChanges(…, { echo: recorder })
 *
 * Bytes are read (or a big file staged as a blob) as soon as the journal reports a write (after the write itself has run: the
 * journal calls back just *before* the operation), per path one read at a time; a read that no
 * longer matches the node at that path is discarded and the file read again where it ended up.
 * Batches never contain excluded paths, files whose bytes the peer has already, or echoes of
 * changes applied from the peer.
 */
export class FileRecorder {
  private readonly tracker: ChangeTracker;
  private readonly pendingOps: TrackedOp[] = [];
  private readonly readSlots = new Map<string, ReadSlot>();
  private readonly reader: FileContentReader;
  private readonly stagedSinceBatch = new Set<string>();
  private unbind: (() => unknown) | null = null;
  private batchChain: Promise<unknown> = Promise.resolve();
  private scanning: Promise<void> | null = null;
  private started = false;
  private counters = { events: 0, trackedEvents: 0, reads: 0, fallbackReads: 0 };
  private readonly fences = new Map<string, () => void>();
  private fenceCount = 0;

  private constructor(
    private readonly client: RecorderClient,
    private readonly options: FileRecorderOptions,
    start: TreeManifest,
  ) {
    this.tracker = new ChangeTracker(start);
    this.reader = options.reader ?? new SizeAwareReader(client, BlobStore.forSite(client, options.root), options.readConcurrency);
  }

  static async start(client: RecorderClient, options: FileRecorderOptions): Promise<FileRecorder> {
    // Subscribe first and list second: a change made in between is then seen twice at worst,
    // which the hash comparison turns into no change, instead of not at all.
    const buffered: FilesystemOperation[] = [];
    let recorder: FileRecorder | null = null;
    const unbind = await client.journalFSEvents(`${options.root.replace(/\/+$/, '')}/`, (op) => {
      if (recorder) recorder.onJournalEvent(op);
      else buffered.push(op);
    });
    try {
      const start = options.start ?? (await buildManifest(client, options.root, options.exclusions));
      recorder = new FileRecorder(client, options, start);
      recorder.unbind = unbind;
      recorder.started = true;
      for (const op of buffered) recorder.onJournalEvent(op);
      return recorder;
    } catch (error) {
      await unbind();
      throw error;
    }
  }

  get stats(): RecorderStats {
    return { ...this.counters };
  }

  /**
   * Everything recorded since the last batch. Waits for reads in flight, reads what is still
   * unknown (files that moved before their read, directories renamed in from excluded paths),
   * then empties the recorder. Call it when a PHP request has ended, so its journal events have
   * all arrived; calls are serialized.
   */
  takeBatch(): Promise<FileChangeBatch> {
    const batch = this.batchChain.then(() => this.collect());
    this.batchChain = batch.catch(() => undefined);
    return batch;
  }

  /** The peer has `path` (relative to the root) in this state: a matching local change is an echo. */
  expectApplied(path: string, state: FileState | 'deleted' | 'dir'): void {
    this.tracker.expectApplied(path, state);
  }

  /** The peer has renamed `from` to `to` (relative paths). */
  expectRenamed(from: string, to: string): void {
    this.tracker.expectRenamed(from, to);
  }

  /** See {@link ChangeTracker.checkpointPeer}. */
  checkpointPeer(): PeerCheckpoint {
    return this.tracker.checkpointPeer();
  }

  /** See {@link ChangeTracker.restorePeer}. */
  restorePeer(checkpoint: PeerCheckpoint, paths: readonly string[]): void {
    this.tracker.restorePeer(checkpoint, paths);
  }

  /**
   * Resolves once every journal event of the file operations made before the call has been
   * recorded. The journal reaches this side asynchronously (in the browser, over the page's
   * channels), in order: so a write of a file of our own, in an excluded place, is seen after
   * all of them.
   */
  async fence(): Promise<void> {
    if (!this.unbind) return;
    const absolute = absolutePath(this.options.root, `${ENGINE_SCRATCH_AREA}/fence-${++this.fenceCount}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const seen = new Promise<void>((resolve) => {
      this.fences.set(absolute, resolve);
      timer = setTimeout(resolve, FENCE_TIMEOUT_MS);
    });
    try {
      await this.client.mkdir(absolutePath(this.options.root, ENGINE_SCRATCH_AREA));
      await this.client.writeFile(absolute, '');
      await seen;
      await this.client.unlink(absolute);
    } finally {
      clearTimeout(timer);
      this.fences.delete(absolute);
    }
  }

  /** What this side believes the peer has now. */
  peerState(): TreeManifest {
    return this.tracker.peerState();
  }

  async stop(): Promise<void> {
    const unbind = this.unbind;
    this.unbind = null;
    await unbind?.();
  }

  private onJournalEvent(op: FilesystemOperation): void {
    this.counters.events++;
    this.fences.get(op.path)?.();
    if (!this.started || !this.unbind) return;
    const tracked = this.translate(op);
    if (tracked.length === 0) return;
    this.counters.trackedEvents++;
    this.options.onTracked?.();
    for (const request of tracked.flatMap((one) => this.tracker.record(one))) this.scheduleRead(request);
    if (this.tracker.hasPendingScans && !this.scanning) this.scanning = this.scanPending();
  }

  /** Lists directories renamed in from excluded paths right away, like reads (retried at batch time). */
  private async scanPending(): Promise<void> {
    await Promise.resolve(); // after the rename itself has run
    try {
      for (const scan of this.tracker.unresolved().scans) await this.scan(scan);
    } finally {
      this.scanning = null;
    }
  }

  /**
   * Journal operation → tracked operations on relative, synced paths; none if it is none of ours.
   * A rename is sent as what it did: the old path gone, the new one arriving with its bytes read
   * (listed, for a folder). As a `rename` it could not converge when both sites moved the same
   * node to different places before seeing each other's move: the later move finds nothing to
   * move on the other side (found by the convergence fuzzer).
   */
  private translate(op: FilesystemOperation): TrackedOp[] {
    const path = this.synced(op.path);
    if (op.operation === 'RENAME') {
      const toPath = this.synced(op.toPath);
      const moved: TrackedOp[] = [];
      if (path !== null) moved.push({ op: 'delete', path, nodeType: op.nodeType });
      if (toPath !== null) moved.push({ op: 'arrive', path: toPath, nodeType: op.nodeType });
      return moved;
    }
    if (path === null) return [];
    switch (op.operation) {
      case 'CREATE':
        return [{ op: 'create', path, nodeType: op.nodeType }];
      case 'WRITE':
        return [{ op: 'write', path }];
      case 'DELETE':
        return [{ op: 'delete', path, nodeType: op.nodeType }];
    }
  }

  private synced(absolute: string): string | null {
    const relative = relativeToRoot(this.options.root, absolute);
    return relative === null || this.options.exclusions.isExcluded(relative) ? null : relative;
  }

  /** One read per path at a time; a newer request replaces a queued one (it sees later bytes). */
  private scheduleRead(request: ReadRequest): void {
    const slot = this.readSlots.get(request.path);
    if (slot) {
      slot.next = request;
      slot.nextAt = performance.now();
      return;
    }
    const fresh: ReadSlot = { next: request, nextAt: performance.now(), done: Promise.resolve() };
    this.readSlots.set(request.path, fresh);
    fresh.done = this.drainReads(request.path, fresh);
  }

  private async drainReads(path: string, slot: ReadSlot): Promise<void> {
    // The journal calls back before the operation runs: let it finish first.
    await Promise.resolve();
    try {
      let previous: FileContent | null = null;
      while (slot.next) {
        const request = slot.next;
        slot.next = null;
        let observedAt = -Infinity;
        const content: FileContent | null = await this.read(request, previous, (at) => (observedAt = at));
        // A request whose event came before this read first asked the site about the file (a big
        // upload's many write events) is answered by it: what it read is from after that write.
        if (content && slot.next && slot.nextAt < observedAt) {
          this.tracker.supplyContent(slot.next, content);
          slot.next = null;
        }
        previous = content;
      }
    } finally {
      this.readSlots.delete(path);
    }
  }

  /**
   * Reads and hashes; null if the file could not be read (moved, deleted, never created).
   * `previous`: what the read before this one found at the path, if it read the bytes.
   */
  private async read(request: ReadRequest, previous: FileContent | null = null, observing?: (at: number) => void): Promise<FileContent | null> {
    try {
      this.counters.reads++;
      // The file is only hashed where it lies when it holds what was read just before (the same
      // bytes again: their content stands, nothing is read or staged twice) or else what the peer
      // has (an echo, a rotation re-reporting every file: no change).
      const again = previous && !previous.unread ? previous : null;
      const known = again ? { size: again.size, sha256: again.sha256 } : this.tracker.peerFile(request.path);
      const result = await this.reader.read(absolutePath(this.options.root, request.path), known, observing);
      if (result === 'absent' || result === 'directory') return null;
      const content = again && result.unread ? again : result;
      if (content.blob) this.stagedSinceBatch.add(content.sha256);
      this.tracker.supplyContent(request, content);
      return content;
    } catch {
      return null;
    }
  }

  private async settleReads(): Promise<void> {
    while (this.readSlots.size > 0 || this.scanning) {
      await Promise.all([...this.readSlots.values()].map((slot) => slot.done));
      await this.scanning;
    }
  }

  private async collect(): Promise<FileChangeBatch> {
    await this.settleReads();
    // Each round can reveal more (a listed directory's files); a few rounds settle any real case.
    for (let round = 0; round < 5; round++) {
      const { reads, scans } = this.tracker.unresolved();
      if (reads.length === 0 && scans.length === 0) break;
      for (const scan of scans) await this.scan(scan);
      for (const request of this.tracker.unresolved().reads) {
        this.counters.fallbackReads++;
        if (await this.read(request)) continue;
        if (!(await this.client.fileExists(absolutePath(this.options.root, request.path)))) {
          this.tracker.fileIsGone(request);
        }
      }
      await this.settleReads();
    }
    const changes = this.tracker.takeChanges();
    for (const change of changes) if (change.op === 'write' && change.blob) this.stagedSinceBatch.delete(change.sha256);
    if (this.stagedSinceBatch.size > 0) this.options.onUnsentBlobs?.([...this.stagedSinceBatch]);
    this.stagedSinceBatch.clear();
    return { changes };
  }

  private async scan(request: ScanRequest): Promise<void> {
    let entries: ListedEntry[];
    try {
      entries = await listTree(this.client, this.options.root, request.path, this.options.exclusions);
    } catch {
      entries = [];
    }
    for (const read of this.tracker.supplyScan(request, entries)) this.scheduleRead(read);
  }
}

/** The read of one path: the request waiting for the read in progress, and when it came. */
interface ReadSlot {
  next: ReadRequest | null;
  nextAt: number;
  done: Promise<void>;
}
