import * as v from 'valibot';
import { sha256Hex } from '../../files';
import { COPY_CHUNK_BYTES, WIRE_VERSION, type EnvelopeOf } from '../../sync/wire';
import { base64ToBytes, bytesToBase64 } from '../../platform/base64';
import { decodeCopyHeader, encodeCopyHeader } from './header';
import { CopyMetaSchema, CopyRefusal, type SiteCopy, type CopyMeta } from './site-copy';

export type CopyBegin = EnvelopeOf<'copy-begin'>;
export type CopyChunk = EnvelopeOf<'copy-chunk'>;
export type CopyEnd = EnvelopeOf<'copy-end'>;
export type CopyEnvelope = CopyBegin | CopyChunk | CopyEnd;

/** The header fields every envelope carries, as the sending peer fills them in. */
export type EnvelopeHeader = Pick<CopyBegin, 'pairId' | 'from' | 'to' | 'seq' | 'ackUpTo' | 'hlc'>;

export interface CopyTransferOptions {
  readonly copyId: string;
  /** The sender's latest delta seq the copy includes: the receiver fast-forwards its inbox to it. */
  readonly baseSeq: number;
  /** The other members' deltas the copy includes, by member (see wire.ts). */
  readonly applied?: Readonly<Record<string, number>>;
  readonly header: EnvelopeHeader;
  /** Bytes per chunk before base64, at most (and by default) COPY_CHUNK_BYTES. */
  readonly chunkBytes?: number;
}

/** Refused at `copy-begin`: no copy header is anywhere near this (20,000 files take ~2 MB). */
export const MAX_COPY_HEADER_BYTES = 64 * 1024 * 1024;
const DIGEST_PREFIX = 'sha256:';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The copy's header as JSON-safe envelopes: `copy-begin` (meta, sizes), one
 * `copy-chunk` per at most `chunkBytes` bytes (base64), `copy-end` with the sha256 of the
 * whole header. Its bytes (database, pack) are blobs the target pulls afterwards.
 */
export async function copyToEnvelopes(copy: SiteCopy, options: CopyTransferOptions): Promise<CopyEnvelope[]> {
  const chunkBytes = options.chunkBytes ?? COPY_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > COPY_CHUNK_BYTES) {
    throw new RangeError(`chunkBytes must be 1 to ${COPY_CHUNK_BYTES}`);
  }
  const bytes = encodeCopyHeader(copy);
  const chunkCount = Math.ceil(bytes.length / chunkBytes);
  const common = { v: WIRE_VERSION, ...options.header, copyId: options.copyId } as const;
  const envelopes: CopyEnvelope[] = [
    {
      ...common,
      kind: 'copy-begin',
      siteUrl: copy.meta.siteUrl,
      baseSeq: options.baseSeq,
      ...(options.applied ? { applied: { ...options.applied } } : {}),
      chunkCount,
      byteLength: bytes.length,
      meta: copy.meta,
    },
  ];
  for (let index = 0; index < chunkCount; index++) {
    const data = bytesToBase64(bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes));
    envelopes.push({ ...common, kind: 'copy-chunk', index, data });
  }
  envelopes.push({ ...common, kind: 'copy-end', chunkCount, digest: DIGEST_PREFIX + (await sha256Hex(bytes)) });
  return envelopes;
}

/**
 * Collects one copy header's chunks on the receiving side, in any order, duplicates ignored. Every
 * problem is a `CopyRefusal('transfer' | 'corrupt')` with a readable message, raised before
 * anything is installed: a chunk of another copy, out of range, not base64, too large, a
 * second copy of a chunk with other bytes, a size or digest that does not match at the end.
 */
export class CopyReassembler {
  readonly copyId: string;
  readonly baseSeq: number;
  /** The other members' deltas the copy includes, by member. */
  readonly applied: Readonly<Record<string, number>>;
  readonly meta: CopyMeta;
  private readonly chunkCount: number;
  /** Bytes announced by `copy-begin`. */
  readonly byteLength: number;
  private readonly chunks = new Map<number, Uint8Array>();
  private received = 0;
  private digest: string | null = null;

  constructor(begin: CopyBegin) {
    const meta = v.safeParse(CopyMetaSchema, begin.meta);
    if (!meta.success) throw transferError(`the copy description is malformed (${meta.issues[0].message})`);
    if (begin.byteLength > MAX_COPY_HEADER_BYTES) throw transferError(`${begin.byteLength} bytes is more than a copy may have`);
    const fewest = Math.ceil(begin.byteLength / COPY_CHUNK_BYTES);
    if (begin.chunkCount < fewest || begin.chunkCount > Math.max(begin.byteLength, 0)) {
      throw transferError(`${begin.chunkCount} chunks cannot carry ${begin.byteLength} bytes`);
    }
    this.copyId = begin.copyId;
    this.baseSeq = begin.baseSeq;
    this.applied = begin.applied ?? {};
    this.meta = meta.output;
    this.chunkCount = begin.chunkCount;
    this.byteLength = begin.byteLength;
  }

  /** Takes a chunk or the end marker of this copy. */
  receive(envelope: CopyChunk | CopyEnd): void {
    if (envelope.copyId !== this.copyId) {
      throw transferError(`${envelope.kind} belongs to copy ${envelope.copyId}, not ${this.copyId}`);
    }
    if (envelope.kind === 'copy-end') {
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
    if (bytes.length > COPY_CHUNK_BYTES) throw transferError(`chunk ${index} holds ${bytes.length} bytes, more than ${COPY_CHUNK_BYTES}`);
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

  /** The copy (its header; the bytes are blobs), after checking its size, digest and structure. */
  async assemble(): Promise<SiteCopy> {
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
      throw new CopyRefusal('corrupt', `Copy ${this.copyId}: the bytes do not match the digest (a chunk was damaged or forged)`);
    }
    const copy = decodeCopyHeader(bytes);
    if (JSON.stringify(copy.meta) !== JSON.stringify(this.meta)) {
      throw new CopyRefusal('corrupt', `Copy ${this.copyId}: the description in the bytes differs from the announced one`);
    }
    return copy;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function transferError(why: string): CopyRefusal {
  return new CopyRefusal('transfer', `Copy transfer refused: ${why}`);
}
