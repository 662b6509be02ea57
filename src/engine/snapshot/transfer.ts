import * as v from 'valibot';
import { sha256Hex } from '../../files';
import { SNAPSHOT_CHUNK_BYTES, WIRE_VERSION, type EnvelopeOf } from '../../sync/wire';
import { base64ToBytes, bytesToBase64 } from '../../platform/base64';
import { decodeSnapshotHeader, encodeSnapshotHeader } from './header';
import { SnapshotMetaSchema, SnapshotRefusal, type SiteSnapshot, type SnapshotMeta } from './snapshot';

export type SnapshotBegin = EnvelopeOf<'snapshot-begin'>;
export type SnapshotChunk = EnvelopeOf<'snapshot-chunk'>;
export type SnapshotEnd = EnvelopeOf<'snapshot-end'>;
export type SnapshotEnvelope = SnapshotBegin | SnapshotChunk | SnapshotEnd;

/** The header fields every envelope carries, as the sending peer fills them in. */
export type EnvelopeHeader = Pick<SnapshotBegin, 'pairId' | 'from' | 'seq' | 'ackUpTo' | 'hlc'>;

export interface SnapshotTransferOptions {
  readonly snapshotId: string;
  /** The sender's latest delta seq the snapshot includes: the receiver fast-forwards its inbox to it. */
  readonly baseSeq: number;
  readonly header: EnvelopeHeader;
  /** Bytes per chunk before base64, at most (and by default) SNAPSHOT_CHUNK_BYTES. */
  readonly chunkBytes?: number;
}

/** Refused at `snapshot-begin`: no snapshot header is anywhere near this (20,000 files take ~2 MB). */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
const DIGEST_PREFIX = 'sha256:';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The snapshot's header as JSON-safe envelopes: `snapshot-begin` (meta, sizes), one
 * `snapshot-chunk` per at most `chunkBytes` bytes (base64), `snapshot-end` with the sha256 of the
 * whole header. Its bytes (database, pack) are blobs the target pulls afterwards.
 */
export async function snapshotToEnvelopes(snapshot: SiteSnapshot, options: SnapshotTransferOptions): Promise<SnapshotEnvelope[]> {
  const chunkBytes = options.chunkBytes ?? SNAPSHOT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > SNAPSHOT_CHUNK_BYTES) {
    throw new RangeError(`chunkBytes must be 1 to ${SNAPSHOT_CHUNK_BYTES}`);
  }
  const bytes = encodeSnapshotHeader(snapshot);
  const chunkCount = Math.ceil(bytes.length / chunkBytes);
  const common = { v: WIRE_VERSION, ...options.header, snapshotId: options.snapshotId } as const;
  const envelopes: SnapshotEnvelope[] = [
    {
      ...common,
      kind: 'snapshot-begin',
      siteUrl: snapshot.meta.siteUrl,
      baseSeq: options.baseSeq,
      chunkCount,
      byteLength: bytes.length,
      meta: snapshot.meta,
    },
  ];
  for (let index = 0; index < chunkCount; index++) {
    const data = bytesToBase64(bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes));
    envelopes.push({ ...common, kind: 'snapshot-chunk', index, data });
  }
  envelopes.push({ ...common, kind: 'snapshot-end', chunkCount, digest: DIGEST_PREFIX + (await sha256Hex(bytes)) });
  return envelopes;
}

/**
 * Collects one snapshot header's chunks on the receiving side, in any order, duplicates ignored. Every
 * problem is a `SnapshotRefusal('transfer' | 'corrupt')` with a readable message, raised before
 * anything is installed: a chunk of another snapshot, out of range, not base64, too large, a
 * second copy of a chunk with other bytes, a size or digest that does not match at the end.
 */
export class SnapshotReassembler {
  readonly snapshotId: string;
  readonly baseSeq: number;
  readonly meta: SnapshotMeta;
  private readonly chunkCount: number;
  /** Bytes announced by `snapshot-begin`. */
  readonly byteLength: number;
  private readonly chunks = new Map<number, Uint8Array>();
  private received = 0;
  private digest: string | null = null;

  constructor(begin: SnapshotBegin) {
    const meta = v.safeParse(SnapshotMetaSchema, begin.meta);
    if (!meta.success) throw transferError(`the snapshot description is malformed (${meta.issues[0].message})`);
    if (begin.byteLength > MAX_SNAPSHOT_BYTES) throw transferError(`${begin.byteLength} bytes is more than a snapshot may have`);
    const fewest = Math.ceil(begin.byteLength / SNAPSHOT_CHUNK_BYTES);
    if (begin.chunkCount < fewest || begin.chunkCount > Math.max(begin.byteLength, 0)) {
      throw transferError(`${begin.chunkCount} chunks cannot carry ${begin.byteLength} bytes`);
    }
    this.snapshotId = begin.snapshotId;
    this.baseSeq = begin.baseSeq;
    this.meta = meta.output;
    this.chunkCount = begin.chunkCount;
    this.byteLength = begin.byteLength;
  }

  /** Takes a chunk or the end marker of this snapshot. */
  receive(envelope: SnapshotChunk | SnapshotEnd): void {
    if (envelope.snapshotId !== this.snapshotId) {
      throw transferError(`${envelope.kind} belongs to snapshot ${envelope.snapshotId}, not ${this.snapshotId}`);
    }
    if (envelope.kind === 'snapshot-end') {
      if (envelope.chunkCount !== this.chunkCount) {
        throw transferError(`the end announces ${envelope.chunkCount} chunks, the beginning ${this.chunkCount}`);
      }
      if (!envelope.digest.startsWith(DIGEST_PREFIX)) throw transferError(`unknown digest ${envelope.digest.slice(0, 40)}`);
      this.digest = envelope.digest;
      return;
    }
    const { index, data } = envelope;
    if (index >= this.chunkCount) throw transferError(`chunk ${index} is out of range (${this.chunkCount} chunks)`);
    if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw transferError(`chunk ${index} is not base64`);
    const bytes = base64ToBytes(data);
    const held = this.chunks.get(index);
    if (held) {
      if (!sameBytes(held, bytes)) throw transferError(`chunk ${index} arrived twice with different bytes`);
      return;
    }
    if (bytes.length > SNAPSHOT_CHUNK_BYTES) throw transferError(`chunk ${index} holds ${bytes.length} bytes, more than ${SNAPSHOT_CHUNK_BYTES}`);
    if (this.received + bytes.length > this.byteLength) throw transferError(`the chunks hold more than the ${this.byteLength} bytes announced`);
    this.chunks.set(index, bytes);
    this.received += bytes.length;
  }

  /** Chunk indexes not received yet. */
  get missing(): number[] {
    const missing: number[] = [];
    for (let index = 0; index < this.chunkCount; index++) if (!this.chunks.has(index)) missing.push(index);
    return missing;
  }

  /** Bytes of the distinct chunks received so far (of `byteLength`). */
  get receivedBytes(): number {
    return this.received;
  }

  /** Every chunk and the end marker are in. */
  get isComplete(): boolean {
    return this.digest !== null && this.chunks.size === this.chunkCount;
  }

  /** The snapshot (its header; the bytes are blobs), after checking its size, digest and structure. */
  async assemble(): Promise<SiteSnapshot> {
    if (this.digest === null) throw transferError('the end marker has not arrived');
    const missing = this.missing;
    if (missing.length > 0) throw transferError(`${missing.length} chunk(s) missing, first ${missing[0]}`);
    const total = this.received;
    if (total !== this.byteLength) throw transferError(`received ${total} bytes, announced ${this.byteLength}`);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let index = 0; index < this.chunkCount; index++) {
      const chunk = this.chunks.get(index)!;
      bytes.set(chunk, at);
      at += chunk.length;
    }
    if (DIGEST_PREFIX + (await sha256Hex(bytes)) !== this.digest) {
      throw new SnapshotRefusal('corrupt', `Snapshot ${this.snapshotId}: the bytes do not match the digest (a chunk was damaged or forged)`);
    }
    const snapshot = decodeSnapshotHeader(bytes);
    if (JSON.stringify(snapshot.meta) !== JSON.stringify(this.meta)) {
      throw new SnapshotRefusal('corrupt', `Snapshot ${this.snapshotId}: the description in the bytes differs from the announced one`);
    }
    return snapshot;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function transferError(why: string): SnapshotRefusal {
  return new SnapshotRefusal('transfer', `Snapshot transfer refused: ${why}`);
}
