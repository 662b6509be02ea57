import type { SequencedBatch } from '../sync/sequencing';
import type { EnvelopeOf } from '../sync/wire';
import type { WireDelta } from './delta';
import {
  copyBlobs,
  CopyReassembler,
  type SiteCopy,
  type CopyBegin,
  type CopyChunk,
  type CopyEnd,
  type CopyInstallation,
  type CopyMeta,
} from './copy';

/**
 * The bookkeeping of a full-state copy on both ends, free of I/O: which request is in flight,
 * which chunks of its header and deltas arrived for it (in any order, duplicated), how much of
 * its blobs is in, which requests were already answered. SyncPeer does the capturing, pulling,
 * installing and sending.
 */

/** A delta as it arrived, kept until the copy it raced with is settled. */
export interface HeldDelta {
  readonly batch: SequencedBatch<WireDelta>;
  readonly siteUrl: string;
}

export type CopyPart = CopyBegin | CopyChunk | CopyEnd;

export type TargetProgress =
  /** Not this copy's, or nothing to do yet. */
  | { readonly kind: 'ignored' }
  /** `begun`: the description a `copy-begin` just brought (check it before the bytes are in). */
  | { readonly kind: 'progress'; readonly done: number; readonly total: number; readonly begun: CopyMeta | null }
  | { readonly kind: 'complete'; readonly reassembler: CopyReassembler; readonly begun: CopyMeta | null; readonly sourceCursor: number };

/** A copy whose header is in and checked: its blobs (database, pack) are being pulled. */
export interface CopyFetch {
  readonly copy: SiteCopy;
  readonly baseSeq: number;
  /** The other members' deltas the copy includes, by member. */
  readonly applied: Readonly<Record<string, number>>;
  readonly sourceCursor: number;
  readonly headerBytes: number;
  /** Bytes of each blob in the store so far, by sha256. */
  readonly stored: Map<string, number>;
}

/** The bytes a copy moves: its header and its blobs. */
export function copyBytes(meta: CopyMeta, headerBytes: number): number {
  return copyBlobs(meta).reduce((sum, blob) => sum + blob.size, headerBytes);
}

/** The target's side: one request at a time. */
export class CopyTarget {
  private active: {
    readonly id: string;
    readonly startedAt: number;
    /** When the source was last heard of for this copy (the request, or its latest envelope). */
    heardAt: number;
    reassembler: CopyReassembler | null;
    /** The source's cursor for this site's deltas when it answered (`ackUpTo` of `copy-begin`). */
    sourceCursor: number;
    /** Chunks and the end marker that overtook `copy-begin`. */
    early: (CopyChunk | CopyEnd)[];
    deltas: HeldDelta[];
    fetch: CopyFetch | null;
  } | null = null;
  private readonly settled = new Set<string>();

  get id(): string | null {
    return this.active?.id ?? null;
  }

  get startedAt(): number {
    return this.active?.startedAt ?? 0;
  }

  start(id: string, now: number): void {
    this.active = { id, startedAt: now, heardAt: now, reassembler: null, sourceCursor: 0, early: [], deltas: [], fetch: null };
  }

  /** The copy in flight once its header is in: its blobs are being pulled. */
  get fetch(): CopyFetch | null {
    return this.active?.fetch ?? null;
  }

  /** The header of the copy in flight is in and checked: its blobs are pulled next. */
  startFetch(copy: SiteCopy, reassembler: CopyReassembler, sourceCursor: number): CopyFetch {
    const fetch: CopyFetch = { copy, baseSeq: reassembler.baseSeq, applied: reassembler.applied, sourceCursor, headerBytes: reassembler.byteLength, stored: new Map() };
    if (this.active !== null) this.active.fetch = fetch;
    return fetch;
  }

  /**
   * `written` bytes of blob `sha256` are in: the source is alive. Answers the copy's progress, or
   * null when the blob is not the copy's.
   */
  stored(sha256: string, written: number, now: number): { done: number; total: number } | null {
    const fetch = this.active?.fetch;
    if (!fetch || !copyBlobs(fetch.copy.meta).some((blob) => blob.sha256 === sha256)) return null;
    this.active!.heardAt = now;
    fetch.stored.set(sha256, written);
    const done = [...fetch.stored.values()].reduce((sum, bytes) => sum + bytes, fetch.headerBytes);
    return { done, total: copyBytes(fetch.copy.meta, fetch.headerBytes) };
  }

  /** Milliseconds since the source was last heard of for the copy in flight; null without one. */
  quietFor(now: number): number | null {
    return this.active === null ? null : now - this.active.heardAt;
  }

  /** Keeps a delta of the source's for after the install (it may be newer than the copy). */
  holdDelta(delta: HeldDelta): void {
    this.active?.deltas.push(delta);
  }

  /**
   * Takes a copy envelope. Throws `CopyRefusal` when it is malformed or inconsistent;
   * envelopes of another or a settled copy are ignored (late duplicates).
   */
  receive(part: CopyPart, now: number): TargetProgress {
    const active = this.active;
    if (active === null || part.copyId !== active.id || active.fetch !== null) return { kind: 'ignored' };
    active.heardAt = now;
    let begun: CopyMeta | null = null;
    if (part.kind === 'copy-begin') {
      if (active.reassembler !== null) return { kind: 'ignored' };
      active.reassembler = new CopyReassembler(part);
      active.sourceCursor = part.ackUpTo;
      begun = active.reassembler.meta;
      for (const early of active.early.splice(0)) active.reassembler.receive(early);
    } else if (active.reassembler === null) {
      active.early.push(part);
      return { kind: 'ignored' };
    } else {
      active.reassembler.receive(part);
    }
    const reassembler = active.reassembler;
    if (reassembler.isComplete) return { kind: 'complete', reassembler, begun, sourceCursor: active.sourceCursor };
    return { kind: 'progress', done: reassembler.receivedBytes, total: copyBytes(reassembler.meta, reassembler.byteLength), begun };
  }

  /** Ends the copy in flight; returns the deltas held meanwhile. */
  settle(): HeldDelta[] {
    if (this.active === null) return [];
    this.settled.add(this.active.id);
    const { deltas } = this.active;
    this.active = null;
    return deltas;
  }

  isSettled(id: string): boolean {
    return this.settled.has(id);
  }
}

/** The source's side: answers each request once, holds the target's deltas until it installed. */
export class CopySource {
  private readonly answered = new Set<string>();
  private outstanding: { readonly id: string; deltas: HeldDelta[] } | null = null;

  /** True the first time a request id is seen: answer it; duplicates are dropped. */
  accept(request: EnvelopeOf<'copy-request'>): boolean {
    if (this.answered.has(request.copyId)) return false;
    this.answered.add(request.copyId);
    this.outstanding = { id: request.copyId, deltas: [] };
    return true;
  }

  /** The target's deltas wait while a copy is out: older ones are in the copy or were dropped there. */
  get holding(): boolean {
    return this.outstanding !== null;
  }

  holdDelta(delta: HeldDelta): void {
    this.outstanding?.deltas.push(delta);
  }

  /** The copy `id` is installed or given up: returns the deltas held meanwhile, null if it was not the one out. */
  settle(id: string): HeldDelta[] | null {
    if (this.outstanding?.id !== id) return null;
    const { deltas } = this.outstanding;
    this.outstanding = null;
    return deltas;
  }
}

/** "Copied the full state of <url>: 1,234 files (56 sent), 1.2 MB database, in 850 ms". */
export function describeCopy(copy: SiteCopy, elapsedMs: number): string {
  const { meta } = copy;
  return (
    `Copied the full state of ${meta.siteUrl}: ${meta.fileCount.toLocaleString('en-US')} files ` +
    `(${meta.shippedFileCount.toLocaleString('en-US')} sent), ${formatBytes(meta.database.size)} database, ` +
    `in ${Math.round(elapsedMs).toLocaleString('en-US')} ms`
  );
}

/** `byteLength`: header and blobs. */
export function describeCopyDetail(installation: CopyInstallation, byteLength: number): string {
  const { files, databaseUpgrade: upgrade } = installation;
  return (
    `${formatBytes(byteLength)} transferred; ${files.written} file(s) written, ${files.deleted} deleted, ` +
    `${files.directories} folder(s) created; ${installation.urlCellsRewritten} URL cell(s) rewritten; ` +
    (upgrade ? `database upgraded for this WordPress (version ${upgrade.from} → ${upgrade.to}); ` : '') +
    `install ${Math.round(installation.durationMs)} ms`
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
