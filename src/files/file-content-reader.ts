import type { SiteClient } from '../platform/site-client';
import { BlobStore, INLINE_FILE_MAX_BYTES, type HashedStat, type StatResult } from './blob-store';
import type { FileContent } from './change-tracker';
import type { FileState } from './tree-manifest';
import { Limiter } from './limiter';
import { sha256Hex } from './sha256';

/** What is at a path, read for sending: the file's content, or why there is none. */
export type ReadResult = FileContent | 'absent' | 'directory';

/** Reads files for sending; see {@link SizeAwareReader}. */
export interface FileContentReader {
  /**
   * `known`: what the peer has there, if anything. When the file holds exactly that (hashed where
   * it lies), its bytes are not read: the result is `unread`, no change to send. `observing` is
   * told (performance.now()) when the site is first asked about the file: what the result holds
   * is from that moment or later.
   */
  read(absolute: string, known?: FileState, observing?: (at: number) => void): Promise<ReadResult>;
  /** The same for several paths, in order. */
  readAll(absolutes: readonly string[]): Promise<ReadResult[]>;
}

/** Characters of paths in one stat run: its request stays far below one message. */
const STAT_BATCH_CHARACTERS = 64 * 1024;
/**
 * How long a stat waits for others to join it. A peer's changes are written one client call
 * after another, each reported by the journal on its own: without the wait, each would cost a
 * PHP run (~5 ms, and on some php-wasm builds two file descriptors until the runtime rotates).
 */
const STAT_GATHER_MS = 16;

/**
 * Reads a file whole when it is small (up to INLINE_FILE_MAX_BYTES) and stages it in the blob
 * store when it is big, so a big file never crosses into JavaScript; a file that may hold what the
 * peer has already (an echo, a rotation's re-report) is hashed where it lies first. The size (and
 * that hash) come first, from one PHP run per batch: reads asked for within STAT_GATHER_MS of each
 * other, or while a stat run is on its way, go together.
 * Only the reads themselves are limited (`concurrency` at once), not the stats: a limit on both
 * would cut a burst of a thousand reads into stat runs of a few paths each.
 */
export class SizeAwareReader implements FileContentReader {
  private queue: { path: string; known?: FileState; observing?: (at: number) => void; resolve: (result: StatResult | HashedStat) => void; reject: (error: unknown) => void }[] = [];
  private statting = false;
  private readonly limit: Limiter;

  constructor(
    private readonly client: Pick<SiteClient, 'readFileAsBuffer'>,
    private readonly store: Pick<BlobStore, 'statAndHash' | 'stage'>,
    concurrency = 16,
  ) {
    this.limit = new Limiter(concurrency);
  }

  async read(absolute: string, known?: FileState, observing?: (at: number) => void): Promise<ReadResult> {
    const stat = await this.stat(absolute, known, observing);
    if (typeof stat !== 'object') return this.readSized(absolute, stat);
    if (stat.sha256 === known?.sha256) return { size: stat.size, sha256: stat.sha256, unread: true };
    return this.readSized(absolute, stat.size);
  }

  async readAll(absolutes: readonly string[]): Promise<ReadResult[]> {
    const sizes = await Promise.all(absolutes.map((path) => this.stat(path)));
    const results: ReadResult[] = [];
    for (const [index, path] of absolutes.entries()) {
      const stat = sizes[index]!;
      results.push(await this.readSized(path, typeof stat === 'object' ? stat.size : stat));
    }
    return results;
  }

  private async readSized(absolute: string, size: StatResult): Promise<ReadResult> {
    if (size === 'absent' || size === 'directory') return size;
    const release = await this.limit.acquire();
    try {
      return await this.readFile(absolute, size);
    } finally {
      release();
    }
  }

  private async readFile(absolute: string, size: number): Promise<FileContent> {
    if (size <= INLINE_FILE_MAX_BYTES) {
      const bytes = await this.client.readFileAsBuffer(absolute);
      // Grown past the limit since the stat: stage it after all (that read was the one whole read).
      if (bytes.byteLength <= INLINE_FILE_MAX_BYTES) return { bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes) };
    }
    const staged = await this.store.stage(absolute);
    return { size: staged.size, sha256: staged.sha256, blob: true };
  }

  private stat(path: string, known?: FileState, observing?: (at: number) => void): Promise<StatResult | HashedStat> {
    const answer = new Promise<StatResult | HashedStat>((resolve, reject) => this.queue.push({ path, known, observing, resolve, reject }));
    if (!this.statting) void this.statQueued();
    return answer;
  }

  private async statQueued(): Promise<void> {
    this.statting = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, STAT_GATHER_MS));
      while (this.queue.length > 0) {
        let characters = 0;
        const count = this.queue.findIndex((entry) => (characters += entry.path.length + 4) > STAT_BATCH_CHARACTERS);
        const batch = this.queue.splice(0, count === -1 ? this.queue.length : Math.max(1, count));
        const now = performance.now();
        for (const { observing } of batch) observing?.(now);
        try {
          // A big file read before (or placed from a blob) is likely still what its blob holds: compared, not hashed.
          const sizes = await this.store.statAndHash(
            batch.map(({ path, known }) => (known ? { path, hashIfSize: known.size, likelySha256: known.sha256 } : { path })),
          );
          batch.forEach(({ resolve }, index) => resolve(sizes[index]!));
        } catch (error) {
          for (const { reject } of batch) reject(error);
        }
      }
    } finally {
      this.statting = false;
    }
  }
}
