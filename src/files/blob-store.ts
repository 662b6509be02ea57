import * as v from 'valibot';
import blobStoreSource from '../php/blob-store.php?raw';
import { base64ToBytes } from '../platform/base64';
import type { BoundedRunClient } from '../platform/bounded-run';
import { runPhpScript } from '../platform/php-script';
import type { SiteClient } from '../platform/site-client';
import { ENGINE_SCRATCH_AREA } from './exclusions';
import { absolutePath } from './paths';

/**
 * Files up to this size travel inline in their delta; bigger ones as blobs the receiver pulls.
 * An inline file crosses the page bridge whole (read, or written on the peer), so it stays well
 * under the 256 KiB every message keeps to.
 */
export const INLINE_FILE_MAX_BYTES = 192 * 1024;
/**
 * Bytes of one blob chunk: as big as one message allows, since every chunk costs messages and
 * file calls of its own. Its base64 (252 KiB) and the envelope and routing around it (under 1 KiB)
 * stay one message of at most 256 KiB.
 */
export const BLOB_CHUNK_BYTES = 189 * 1024;
/**
 * Chunks one PHP run cuts ahead for the serving side; each is then read with a plain file call
 * (a PHP run per chunk costs far more in the browser than its bytes), and removed by the run that
 * cuts the batch after next (a call per chunk to remove it cost more than its read). The receiving
 * side writes chunks as files and joins them in PHP only when asked where its part ends, or at the finish.
 */
export const BLOB_CHUNKS_PER_RUN = 32;
/** Where a site keeps its blobs, relative to the synced root (inside the never-synced scratch area). */
export const BLOB_STORE_AREA = `${ENGINE_SCRATCH_AREA}/blobs`;

const SHA256 = /^[0-9a-f]{64}$/;
/** Characters of entries in one `unpack` run's request. */
const UNPACK_BATCH_CHARACTERS = 64 * 1024;

/** What a path is, as far as deciding inline or blob goes. */
export type StatResult = number | 'absent' | 'directory';

/** A path to stat, and the size at which to hash it too (to tell an echo without reading it). */
export interface StatRequest {
  readonly path: string;
  readonly hashIfSize?: number;
  /**
   * The sha256 the file likely has: when this store holds that blob (the file was staged from it,
   * or placed from it), the file is compared with it instead of hashed.
   */
  readonly likelySha256?: string;
}

/** A stat whose file had the size asked for: its sha256 as well. */
export interface HashedStat {
  readonly size: number;
  readonly sha256: string;
}

export interface StagedBlob {
  readonly sha256: string;
  readonly size: number;
}

/** A file's bytes inside a blob: `size` bytes from `offset`, to be written to `target`. */
export interface UnpackEntry {
  readonly offset: number;
  readonly size: number;
  readonly sha256: string;
  readonly target: string;
}

export type FinishResult = { readonly ok: true } | { readonly ok: false; readonly actualSha256: string };

const StatAnswer = v.array(
  v.union([
    v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    v.picklist(['absent', 'directory']),
    v.tuple([v.pipe(v.number(), v.safeInteger(), v.minValue(0)), v.pipe(v.string(), v.regex(SHA256))]),
  ]),
);
const StagedAnswer = v.strictObject({ sha256: v.pipe(v.string(), v.regex(SHA256)), size: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) });
const FinishAnswer = v.union([v.strictObject({ ok: v.literal(true) }), v.strictObject({ ok: v.literal(false), sha256: v.string() })]);
const UnpackAnswer = v.array(v.nullable(v.pipe(v.string(), v.maxLength(1000))));
const Size = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export class BlobStoreError extends Error {
  constructor(operation: string, reason: string) {
    super(`Blob store ${operation}: ${reason}`);
    this.name = 'BlobStoreError';
  }
}

/** What the store runs and reads through. */
export type BlobStoreClient = BoundedRunClient & Pick<SiteClient, 'mkdir'>;

/**
 * A site's store of immutable blobs named by their sha256, in the scratch area under the synced
 * root. No call moves more than one chunk between PHP and JavaScript, so a file of any size
 * crosses the page bridge in bounded pieces; chunks themselves go by plain file calls (see
 * BLOB_CHUNKS_PER_RUN), the rest is one PHP run per operation.
 */
export class BlobStore {
  /** Serving side: chunks cut ahead (or being cut), by blob and offset; each serves one read. */
  private readonly cuts = new Map<string, Map<number, Promise<boolean>>>();
  /** Receiving side: parts whose chunk folder was made (by this page). */
  private readonly piecesMade = new Map<string, Promise<void>>();

  /** `directory`: absolute; the store itself is made on first use. */
  constructor(
    private readonly client: BlobStoreClient,
    private readonly directory: string,
  ) {}

  /** The site's own store, in BLOB_STORE_AREA under the synced `root`. */
  static forSite(client: BlobStoreClient, root: string): BlobStore {
    return new BlobStore(client, absolutePath(root, BLOB_STORE_AREA));
  }

  /** For each absolute path: its size, or whether it is missing or a directory. One run for all. */
  async statFiles(paths: readonly string[]): Promise<StatResult[]> {
    const answers = await this.statAndHash(paths.map((path) => ({ path })));
    return answers.map((answer) => (typeof answer === 'object' ? answer.size : answer));
  }

  /** Like {@link statFiles}; a file of the size a request names is hashed too, in the same run. */
  async statAndHash(requests: readonly StatRequest[]): Promise<(StatResult | HashedStat)[]> {
    if (requests.length === 0) return [];
    const body = requests.map(({ path, hashIfSize, likelySha256 }) =>
      hashIfSize === undefined ? path : likelySha256 === undefined ? [path, hashIfSize] : [path, hashIfSize, likelySha256],
    );
    const answers = await this.answer('stat', {}, StatAnswer, JSON.stringify(body));
    if (answers.length !== requests.length) throw new BlobStoreError('stat', `${answers.length} answers for ${requests.length} paths`);
    return answers.map((answer) => (Array.isArray(answer) ? { size: answer[0], sha256: answer[1] } : answer));
  }

  /**
   * Copies the file at `path` (absolute) into the store; its name is the copy's sha256. `move`:
   * the file is a scratch file of the caller's, taken into the store rather than copied, and
   * named `sha256` when given (its writer hashed it: it is not read again).
   */
  stage(path: string, options: { move?: boolean; sha256?: string } = {}): Promise<StagedBlob> {
    if (options.sha256 !== undefined) checkedName(options.sha256);
    const known = options.move && options.sha256 !== undefined ? { sha256: options.sha256 } : {};
    return this.answer('stage', { path, ...(options.move ? { move: true } : {}), ...known }, StagedAnswer);
  }

  async readChunk(sha256: string, offset: number, length: number): Promise<Uint8Array> {
    checkedName(sha256);
    checkedRange(offset, length);
    if (length > BLOB_CHUNK_BYTES) throw new BlobStoreError('read', `a chunk is at most ${BLOB_CHUNK_BYTES} bytes, not ${length}`);
    if (await this.cutAhead(sha256, offset)) {
      const path = `${this.directory}/cut/${sha256}/${offset}`;
      try {
        const bytes = await this.client.readFileAsBuffer(path);
        if (bytes.byteLength === length) return bytes;
      } catch {
        // Gone meanwhile (the blob removed, the runtime rotated): read the slow way.
      }
    }
    return base64ToBytes(await this.answer('read', { sha256, offset, length }, v.string()));
  }

  /**
   * Stores `bytes` as the chunk at `offset` of the incoming part of `sha256`, as a file of its own
   * (no PHP run): chunks may come in any order; `partSize` and `finish` join them to the part.
   */
  async writeChunk(sha256: string, offset: number, bytes: Uint8Array): Promise<void> {
    checkedName(sha256);
    checkedRange(offset, bytes.byteLength);
    const pieces = `${this.directory}/incoming/${sha256}.pieces`;
    let made = this.piecesMade.get(sha256);
    if (!made) {
      made = this.client.mkdir(pieces);
      this.piecesMade.set(sha256, made);
      made.catch(() => this.piecesMade.delete(sha256));
    }
    await made;
    try {
      await this.client.writeFile(`${pieces}/${offset}`, bytes);
    } catch {
      // Its folder may be gone (removed by another page's store, a reload's clean-up): made again.
      this.piecesMade.set(sha256, this.client.mkdir(pieces));
      await this.piecesMade.get(sha256);
      await this.client.writeFile(`${pieces}/${offset}`, bytes);
    }
  }

  /** Moves a complete part into the store if its bytes have the sha256 it is named by; else deletes it. */
  async finish(sha256: string): Promise<FinishResult> {
    checkedName(sha256);
    this.piecesMade.delete(sha256);
    const answer = await this.answer('finish', { sha256 }, FinishAnswer);
    return answer.ok ? { ok: true } : { ok: false, actualSha256: answer.sha256 };
  }

  async has(sha256: string): Promise<boolean> {
    checkedName(sha256);
    return this.answer('has', { sha256 }, v.boolean());
  }

  /** How many bytes of `sha256` arrived from its start without a gap (0 when none): where to resume. */
  async partSize(sha256: string): Promise<number> {
    checkedName(sha256);
    return this.answer('part-size', { sha256 }, Size);
  }

  /** Copies the blob to `target` (absolute), creating its parents; it appears there whole, by a rename. */
  async place(sha256: string, target: string): Promise<void> {
    checkedName(sha256);
    await this.answer('place', { sha256, target }, v.literal(true));
  }

  /**
   * Writes ranges of the blob `sha256` to files (absolute targets, parents created), each checked
   * against its sha256 and renamed into place whole, in one run: for each, null or why it failed.
   */
  async unpack(sha256: string, entries: readonly UnpackEntry[]): Promise<(string | null)[]> {
    checkedName(sha256);
    const results: (string | null)[] = [];
    // Runs of entries whose list stays far below one message across the page bridge.
    let run: string[] = [];
    let characters = 0;
    const flush = async () => {
      if (run.length === 0) return;
      const answers = await this.answer('unpack', { sha256 }, UnpackAnswer, `[${run.join(',')}]`);
      if (answers.length !== run.length) throw new BlobStoreError('unpack', `${answers.length} answers for ${run.length} entries`);
      results.push(...answers);
      run = [];
      characters = 0;
    };
    for (const { offset, size, sha256: hash, target } of entries) {
      const entry = JSON.stringify([offset, size, hash, target]);
      if (characters + entry.length > UNPACK_BATCH_CHARACTERS) await flush();
      run.push(entry);
      characters += entry.length + 1;
    }
    await flush();
    return results;
  }

  /** Forgets the blob and any incoming part of it. */
  async remove(sha256: string): Promise<void> {
    checkedName(sha256);
    this.cuts.delete(sha256);
    this.piecesMade.delete(sha256);
    await this.answer('remove', { sha256 }, v.literal(true));
  }

  async clear(): Promise<void> {
    this.cuts.clear();
    this.piecesMade.clear();
    await this.answer('clear', {}, v.literal(true));
  }

  /**
   * Whether the chunk at `offset` waits as a file of its own: cut by a run for it and the next
   * BLOB_CHUNKS_PER_RUN - 1 chunks (the window's other requests wait for that same run).
   */
  private cutAhead(sha256: string, offset: number): Promise<boolean> {
    const cuts = this.cuts.get(sha256) ?? new Map<number, Promise<boolean>>();
    this.cuts.set(sha256, cuts);
    if (!cuts.has(offset)) {
      // Chunks a whole batch behind were read long ago (the receiver's window is smaller than a batch).
      const keepFrom = offset - BLOB_CHUNKS_PER_RUN * BLOB_CHUNK_BYTES;
      const cut = this.answer('cut', { sha256, offset, count: BLOB_CHUNKS_PER_RUN, length: BLOB_CHUNK_BYTES, keepFrom }, v.array(v.number())).then(
        (offsets) => new Set(offsets),
        () => new Set<number>(),
      );
      for (let index = 0; index < BLOB_CHUNKS_PER_RUN; index++) {
        const at = offset + index * BLOB_CHUNK_BYTES;
        if (!cuts.has(at)) cuts.set(at, cut.then((offsets) => offsets.has(at)));
      }
    }
    const ready = cuts.get(offset)!;
    // One read per cut chunk: asked for again (a lost reply), it is cut again.
    cuts.delete(offset);
    return ready;
  }

  private answer<TSchema extends v.GenericSchema>(
    operation: string,
    args: Record<string, unknown>,
    schema: TSchema,
    body?: string | Uint8Array,
  ): Promise<v.InferOutput<TSchema>> {
    return runPhpScript(
      this.client,
      {
        what: `blob store ${operation}`,
        code: blobStoreSource,
        env: { PGSYNC_BLOB_DIR: this.directory, PGSYNC_BLOB_OP: operation, PGSYNC_BLOB_ARGS: JSON.stringify(args) },
        ...(body === undefined ? {} : { body }),
      },
      schema,
    );
  }
}

function checkedName(sha256: string): void {
  if (!SHA256.test(sha256)) throw new BlobStoreError('name', `not a lowercase hex sha256: ${JSON.stringify(sha256).slice(0, 80)}`);
}

function checkedRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new BlobStoreError('range', `bad offset ${offset} or length ${length}`);
  }
}
