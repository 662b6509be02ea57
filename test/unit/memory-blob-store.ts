import { sha256Hex } from '../../src/files/sha256';

/** The blob store's contract, in memory: blobs by name, incoming chunks in any order, joined up to the first gap. */
export class MemoryStore {
  readonly blobs = new Map<string, Uint8Array>();
  readonly parts = new Map<string, Uint8Array>();
  readonly chunks = new Map<string, Map<number, Uint8Array>>();
  removed: string[] = [];

  has = async (sha256: string) => this.blobs.has(sha256);
  partSize = async (sha256: string) => this.join(sha256).byteLength;
  readChunk = async (sha256: string, offset: number, length: number) => {
    const blob = this.blobs.get(sha256);
    if (!blob) throw new Error('missing');
    return blob.slice(offset, offset + length);
  };
  writeChunk = async (sha256: string, offset: number, bytes: Uint8Array) => {
    const chunks = this.chunks.get(sha256) ?? new Map<number, Uint8Array>();
    chunks.set(offset, bytes.slice());
    this.chunks.set(sha256, chunks);
  };
  private join(sha256: string): Uint8Array {
    let part = this.parts.get(sha256) ?? new Uint8Array();
    const chunks = this.chunks.get(sha256) ?? new Map<number, Uint8Array>();
    for (const offset of [...chunks.keys()].sort((x, y) => x - y)) {
      if (offset > part.byteLength) break;
      const bytes = chunks.get(offset)!;
      chunks.delete(offset);
      if (offset + bytes.byteLength <= part.byteLength) continue;
      const grown = new Uint8Array(offset + bytes.byteLength);
      grown.set(part);
      grown.set(bytes.subarray(part.byteLength - offset), part.byteLength);
      part = grown;
    }
    // Like the site's store, which has no part file until a byte arrives.
    if (part.byteLength > 0) this.parts.set(sha256, part);
    return part;
  }
  /** Whether any byte of `sha256` arrived (joined or not). */
  holdsPart(sha256: string): boolean {
    return this.parts.has(sha256) || (this.chunks.get(sha256)?.size ?? 0) > 0;
  }
  finish = async (sha256: string) => {
    const part = this.join(sha256);
    if (!this.parts.has(sha256)) throw new Error('no part to finish');
    this.parts.delete(sha256);
    this.chunks.delete(sha256);
    const actual = await sha256Hex(part);
    if (actual !== sha256) return { ok: false as const, actualSha256: actual };
    this.blobs.set(sha256, part);
    return { ok: true as const };
  };
  remove = async (sha256: string) => {
    this.removed.push(sha256);
    this.blobs.delete(sha256);
    this.parts.delete(sha256);
    this.chunks.delete(sha256);
  };
}
