import type { FileChange, NodeType, WriteChange } from './file-change';
import type { FileState, TreeManifest } from './tree-manifest';
import { ancestorsOf, comparePaths, isSameOrInside, movedPath } from './paths';

/**
 * A journal operation on synced paths (relative to the root), after exclusions:
 * - `arrive`: a node renamed in from outside the synced set (an excluded directory such as
 *   `wp-content/upgrade/`, or outside the root): its content is unknown and must be read.
 * A rename out of the synced set reaches the tracker as `delete`.
 */
export type TrackedOp =
  | { readonly op: 'create'; readonly path: string; readonly nodeType: NodeType }
  | { readonly op: 'write'; readonly path: string }
  | { readonly op: 'delete'; readonly path: string; readonly nodeType: NodeType }
  | { readonly op: 'rename'; readonly path: string; readonly toPath: string; readonly nodeType: NodeType }
  | { readonly op: 'arrive'; readonly path: string; readonly nodeType: NodeType };

/**
 * A file's content as read: its bytes, or (a big file) a blob staged in the site's blob store,
 * or `unread`: hashed where it lies and found to be what the peer has there, so it stands for no
 * change only (a file the peer turns out to lack is read again).
 */
export type FileContent = FileState &
  (
    | { readonly bytes: Uint8Array; readonly blob?: undefined; readonly unread?: undefined }
    | { readonly blob: true; readonly unread?: undefined }
    | { readonly unread: true; readonly blob?: undefined }
  );

/** The write that gives the peer `content` at `path`. */
export function writeOf(path: string, content: FileContent): WriteChange {
  const { size, sha256 } = content;
  if (content.unread) throw new Error(`${path}: its bytes were not read`);
  return content.blob ? { op: 'write', path, size, sha256, blob: true } : { op: 'write', path, size, sha256, bytes: content.bytes };
}

interface FileNode {
  readonly type: 'file';
  path: string;
  /** Sequence number of the last create/write event seen for this node. */
  writeSeq: number;
  /** Bytes read after `content.seq`, i.e. reflecting every write up to it. */
  content: (FileContent & { readonly seq: number }) | null;
}

interface DirectoryNode {
  readonly type: 'directory';
  path: string;
  /** Arrived by rename from outside the synced set: its children are unknown until listed. */
  needsScan: boolean;
}

type LocalNode = FileNode | DirectoryNode;
type PeerEntry = { readonly type: 'directory' } | ({ readonly type: 'file' } & FileState);

/** Read this file's bytes now; hand them back with {@link ChangeTracker.supplyContent}. */
export interface ReadRequest {
  readonly path: string;
  readonly node: object;
  readonly seq: number;
}

/** List this directory's tree; hand the result back with {@link ChangeTracker.supplyScan}. */
export interface ScanRequest {
  readonly path: string;
  readonly node: object;
  /** Structural operations seen when the listing started: any later one voids the listing. */
  readonly structuralSeq: number;
}

export interface ScannedEntry {
  /** Relative to the synced root, inside the scanned directory, already filtered by exclusions. */
  readonly path: string;
  readonly nodeType: NodeType;
}

export type StructuralChange = Exclude<FileChange, { op: 'write' }>;

/** What the tracker believed the peer had at one moment: see {@link ChangeTracker.restorePeer}. */
export type PeerCheckpoint = ReadonlyMap<string, PeerEntry>;

/**
 * The pure core of the recorder: turns journal operations into the changes that bring the peer
 * from what it has to what this site has.
 *
 * It keeps two trees: `local` (this site, as the journal tells it, with node identities that move
 * on rename) and `peer` (what the peer has, as far as this side knows: the start manifest, plus
 * every change emitted, plus every change applied from the peer). Directories, deletions and
 * renames of nodes the peer has are emitted as they happen, in order; files written in the batch
 * are emitted at the end with their final bytes, unless the peer already has those exact bytes
 * at that path (runtime rotation re-reporting every file, echoes of applied changes).
 *
 * Unlike the original's normalisation it never assumes a node is new: a write-then-delete of a
 * file the peer has still deletes it, a rename of a written file or of a directory with writes
 * inside is still a rename.
 */
export class ChangeTracker {
  private readonly local = new Map<string, LocalNode>();
  private readonly peer = new Map<string, PeerEntry>();
  private readonly dirty = new Set<FileNode>();
  private readonly scanNeeded = new Set<DirectoryNode>();
  private structural: StructuralChange[] = [];
  private seq = 0;
  private structuralSeq = 0;

  constructor(start: TreeManifest) {
    for (const path of start.directories) {
      this.local.set(path, { type: 'directory', path, needsScan: false });
      this.peer.set(path, { type: 'directory' });
    }
    for (const [path, state] of start.files) {
      this.local.set(path, { type: 'file', path, writeSeq: 0, content: null });
      this.peer.set(path, { type: 'file', size: state.size, sha256: state.sha256 });
    }
  }

  /** Applies one journal operation; returns the reads to start now (bytes as promptly as possible). */
  record(op: TrackedOp): ReadRequest[] {
    if (op.op !== 'write') this.structuralSeq++;
    switch (op.op) {
      case 'create':
        return op.nodeType === 'directory' ? (this.addDirectory(op.path, false), []) : [this.touchFile(op.path)];
      case 'write':
        return [this.touchFile(op.path)];
      case 'arrive':
        return op.nodeType === 'directory' ? (this.addDirectory(op.path, true), []) : [this.touchFile(op.path)];
      case 'delete':
        this.remove(op.path, op.nodeType);
        return [];
      case 'rename':
        return this.rename(op.path, op.toPath, op.nodeType);
    }
  }

  /** Bytes read for `request`; ignored if the node moved or was written again since. */
  supplyContent(request: ReadRequest, content: FileContent): void {
    const node = this.local.get(request.path);
    if (node !== request.node || node.type !== 'file' || request.seq < node.writeSeq) return;
    if (node.content && node.content.seq > request.seq) return;
    node.content = { ...content, seq: request.seq };
  }

  /**
   * The file of `request` could not be read although nothing in the journal removed it (a create
   * that failed after the journal saw it, or a change the journal does not report): this site has
   * no file there, so neither should the peer.
   */
  fileIsGone(request: ReadRequest): void {
    const node = this.local.get(request.path);
    if (node !== request.node || node.type !== 'file') return;
    this.remove(request.path, 'file');
  }

  /**
   * The listing of a directory that arrived by rename. A listing takes several calls, so it is
   * only trusted if no node was created, deleted or renamed meanwhile (else the directory stays
   * in {@link unresolved} and is listed again).
   */
  supplyScan(request: ScanRequest, entries: readonly ScannedEntry[]): ReadRequest[] {
    const node = this.local.get(request.path);
    if (node !== request.node || node.type !== 'directory' || request.structuralSeq !== this.structuralSeq) return [];
    node.needsScan = false;
    this.scanNeeded.delete(node);
    const reads: ReadRequest[] = [];
    for (const entry of [...entries].sort((a, b) => comparePaths(a.path, b.path))) {
      if (!isSameOrInside(entry.path, request.path) || entry.path === request.path) continue;
      if (entry.nodeType === 'directory') this.addDirectory(entry.path, false);
      else reads.push(this.touchFile(entry.path));
    }
    return reads;
  }

  /** Files written whose bytes are not known yet, and arrived directories not listed yet. */
  unresolved(): { reads: ReadRequest[]; scans: ScanRequest[] } {
    const reads = [...this.dirty]
      .filter((node) => !this.hasSendableContent(node))
      .map((node) => ({ path: node.path, node, seq: node.writeSeq }));
    const scans = [...this.scanNeeded].map((node) => ({ path: node.path, node, structuralSeq: this.structuralSeq }));
    return { reads, scans };
  }

  /**
   * Everything to send since the last call: the structural changes in order, then a write per
   * file whose final bytes the peer lacks. Files whose bytes are still unknown stay pending for
   * the next call.
   */
  takeChanges(): FileChange[] {
    const changes: FileChange[] = this.structural;
    this.structural = [];
    const ready = [...this.dirty].filter((node) => this.hasSendableContent(node)).sort((a, b) => comparePaths(a.path, b.path));
    for (const node of ready) {
      const content = node.content!;
      this.dirty.delete(node);
      node.content = null;
      const known = this.peer.get(node.path);
      if (known?.type === 'file' && known.sha256 === content.sha256) continue;
      this.ensurePeerParents(node.path, changes);
      changes.push(writeOf(node.path, content));
      this.peer.set(node.path, { type: 'file', size: content.size, sha256: content.sha256 });
    }
    return changes;
  }

  /** Read after its last write, and either bytes to send or an echo of what the peer has. */
  private hasSendableContent(node: FileNode): boolean {
    const content = node.content;
    if (!content || content.seq < node.writeSeq) return false;
    if (!content.unread) return true;
    const known = this.peer.get(node.path);
    return known?.type === 'file' && known.sha256 === content.sha256;
  }

  /** The peer has `path` in this state already (it sent it): a matching local change is no change. */
  expectApplied(path: string, state: FileState | 'deleted' | 'dir'): void {
    if (state === 'deleted') {
      this.deleteSubtree(this.peer, path);
      return;
    }
    for (const ancestor of ancestorsOf(path)) this.peer.set(ancestor, { type: 'directory' });
    if (state === 'dir') {
      if (this.peer.get(path)?.type !== 'directory') this.deleteSubtree(this.peer, path);
      this.peer.set(path, { type: 'directory' });
    } else {
      this.deleteSubtree(this.peer, path);
      this.peer.set(path, { type: 'file', size: state.size, sha256: state.sha256 });
    }
  }

  /** The peer has renamed `from` to `to` already. */
  expectRenamed(from: string, to: string): void {
    for (const ancestor of ancestorsOf(to)) this.peer.set(ancestor, { type: 'directory' });
    this.moveSubtree(this.peer, from, to);
  }

  /** A copy of what this side believes the peer has, to go back to if an apply is undone. */
  checkpointPeer(): PeerCheckpoint {
    return new Map(this.peer);
  }

  /**
   * Takes back the `expect…` calls of an apply that was undone: the peer entries at `paths`
   * (with what is below them) and their ancestors go back to the checkpoint. Call it only once
   * the journal events of that apply are all recorded, or they would read as local changes.
   */
  restorePeer(checkpoint: PeerCheckpoint, paths: readonly string[]): void {
    for (const path of paths) {
      for (const ancestor of ancestorsOf(path)) {
        if (checkpoint.has(ancestor)) this.peer.set(ancestor, checkpoint.get(ancestor)!);
        else this.deleteSubtree(this.peer, ancestor);
      }
      this.deleteSubtree(this.peer, path);
      for (const [key, entry] of checkpoint) if (isSameOrInside(key, path)) this.peer.set(key, entry);
    }
  }

  /** The file the peer has at `path`, as far as this side knows. */
  peerFile(path: string): FileState | undefined {
    const known = this.peer.get(path);
    return known?.type === 'file' ? { size: known.size, sha256: known.sha256 } : undefined;
  }

  /** Whether some directory that arrived by rename still has to be listed. */
  get hasPendingScans(): boolean {
    return this.scanNeeded.size > 0;
  }

  /** What this side believes the peer has (for diagnostics and tests). */
  peerState(): TreeManifest {
    const files = new Map<string, FileState>();
    const directories = new Set<string>();
    for (const [path, entry] of this.peer) {
      if (entry.type === 'directory') directories.add(path);
      else files.set(path, { size: entry.size, sha256: entry.sha256 });
    }
    return { files, directories };
  }

  private touchFile(path: string): ReadRequest {
    let node = this.local.get(path);
    if (node?.type !== 'file') {
      if (node) this.remove(path, 'directory');
      this.addLocalParents(path);
      node = { type: 'file', path, writeSeq: 0, content: null };
      this.local.set(path, node);
    }
    node.writeSeq = ++this.seq;
    this.dirty.add(node);
    return { path, node, seq: node.writeSeq };
  }

  private addDirectory(path: string, needsScan: boolean): void {
    const existing = this.local.get(path);
    if (existing?.type === 'directory') {
      if (needsScan) this.markForScan(existing);
      return;
    }
    if (existing) this.remove(path, 'file');
    this.addLocalParents(path);
    const node: DirectoryNode = { type: 'directory', path, needsScan: false };
    this.local.set(path, node);
    if (needsScan) this.markForScan(node);
    this.ensurePeerDirectory(path, this.structural);
  }

  private markForScan(node: DirectoryNode): void {
    node.needsScan = true;
    this.scanNeeded.add(node);
  }

  /** Directories the journal never showed (missed events, inside an arrived one): list them too. */
  private addLocalParents(path: string): void {
    for (const ancestor of ancestorsOf(path)) {
      if (this.local.get(ancestor)?.type !== 'directory') this.addDirectory(ancestor, true);
    }
  }

  private remove(path: string, nodeType: NodeType): void {
    const node = this.local.get(path);
    if (!node || node.type !== nodeType) return;
    for (const removed of this.deleteSubtree(this.local, path)) this.forget(removed);
    if (this.peer.get(path)?.type === nodeType) {
      this.deleteSubtree(this.peer, path);
      this.structural.push({ op: 'delete', path, nodeType });
    }
  }

  private rename(from: string, to: string, nodeType: NodeType): ReadRequest[] {
    const node = this.local.get(from);
    if (!node || node.type !== nodeType) {
      // A node the journal never showed us (missed events): treat it as arriving.
      return this.record({ op: 'arrive', path: to, nodeType });
    }
    if (from === to) return [];
    const target = this.local.get(to);
    if (target) for (const replaced of this.deleteSubtree(this.local, to)) this.forget(replaced);
    this.addLocalParents(to);
    const moved = this.moveSubtree(this.local, from, to);
    for (const entry of moved) entry.path = movedPath(entry.path, from, to);
    const known = this.peer.get(from);
    if (known?.type === nodeType) {
      this.ensurePeerParents(to, this.structural);
      this.moveSubtree(this.peer, from, to);
      this.structural.push({ op: 'rename', path: from, toPath: to, nodeType });
    } else if (nodeType === 'directory') {
      // The peer lacks it (it was created as excluded or unknown): recreate what we know of it.
      for (const entry of moved) {
        if (entry.type === 'directory') this.ensurePeerDirectory(entry.path, this.structural);
      }
    }
    // Reads in flight for the old paths will not match any more: read again where they are now.
    return moved
      .filter((entry): entry is FileNode => entry.type === 'file' && this.dirty.has(entry))
      .filter((entry) => !entry.content || entry.content.seq < entry.writeSeq)
      .map((entry) => ({ path: entry.path, node: entry, seq: entry.writeSeq }));
  }

  private forget(node: LocalNode): void {
    if (node.type === 'file') this.dirty.delete(node);
    else this.scanNeeded.delete(node);
  }

  private ensurePeerParents(path: string, out: FileChange[]): void {
    for (const ancestor of ancestorsOf(path)) this.ensurePeerDirectory(ancestor, out);
  }

  private ensurePeerDirectory(path: string, out: FileChange[]): void {
    const known = this.peer.get(path);
    if (known?.type === 'directory') return;
    this.ensurePeerParents(path, out);
    if (known) {
      this.peer.delete(path);
      out.push({ op: 'delete', path, nodeType: 'file' });
    }
    this.peer.set(path, { type: 'directory' });
    out.push({ op: 'mkdir', path });
  }

  /** Removes `path` and everything under it; returns what was removed. */
  private deleteSubtree<T>(tree: Map<string, T>, path: string): T[] {
    const removed: T[] = [];
    for (const [key, value] of tree) {
      if (isSameOrInside(key, path)) {
        tree.delete(key);
        removed.push(value);
      }
    }
    return removed;
  }

  /** Moves `from` and everything under it to `to`; returns the moved values. */
  private moveSubtree<T>(tree: Map<string, T>, from: string, to: string): T[] {
    const moving = [...tree].filter(([key]) => isSameOrInside(key, from));
    for (const [key] of moving) tree.delete(key);
    this.deleteSubtree(tree, to);
    for (const [key, value] of moving) tree.set(movedPath(key, from, to), value);
    return moving.map(([, value]) => value);
  }
}
