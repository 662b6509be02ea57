import type { SiteClient } from '../platform/site-client';
import { BlobStore, INLINE_FILE_MAX_BYTES, type StatResult } from './blob-store';
import type { FileContent } from './change-tracker';
import { sha256Hex } from './sha256';

/** What is at a path, read for sending: the file's content, or why there is none. */
export type ReadResult = FileContent | 'absent' | 'directory';

/** Reads files for sending; see {@link SizeAwareReader}. */
export interface FileContentReader {
  read(absolute: string): Promise<ReadResult>;
  /** The same for several paths, in order. */
  readAll(absolutes: readonly string[]): Promise<ReadResult[]>;
}

/** Characters of paths in one stat run: its request stays far below one message. */
const STAT_BATCH_CHARACTERS = 64 * 1024;

/**
 * Reads a file whole when it is small (up to INLINE_FILE_MAX_BYTES) and stages it in the blob
 * store when it is big, so a big file never crosses into JavaScript. The size comes first, from
 * one PHP run per batch: reads asked for while a stat run is on its way go together in the next.
 */
export class SizeAwareReader implements FileContentReader {
  private queue: { path: string; resolve: (result: StatResult) => void; reject: (error: unknown) => void }[] = [];
  private statting = false;

  constructor(
    private readonly client: Pick<SiteClient, 'readFileAsBuffer'>,
    private readonly store: Pick<BlobStore, 'statFiles' | 'stage'>,
  ) {}

  async read(absolute: string): Promise<ReadResult> {
    return this.readSized(absolute, await this.stat(absolute));
  }

  async readAll(absolutes: readonly string[]): Promise<ReadResult[]> {
    const sizes = await Promise.all(absolutes.map((path) => this.stat(path)));
    const results: ReadResult[] = [];
    for (const [index, path] of absolutes.entries()) results.push(await this.readSized(path, sizes[index]!));
    return results;
  }

  private async readSized(absolute: string, size: StatResult): Promise<ReadResult> {
    if (size === 'absent' || size === 'directory') return size;
    if (size <= INLINE_FILE_MAX_BYTES) {
      const bytes = await this.client.readFileAsBuffer(absolute);
      // Grown past the limit since the stat: stage it after all (that read was the one whole read).
      if (bytes.byteLength <= INLINE_FILE_MAX_BYTES) return { bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes) };
    }
    const staged = await this.store.stage(absolute);
    return { size: staged.size, sha256: staged.sha256, blob: true };
  }

  private stat(path: string): Promise<StatResult> {
    const answer = new Promise<StatResult>((resolve, reject) => this.queue.push({ path, resolve, reject }));
    if (!this.statting) void this.statQueued();
    return answer;
  }

  private async statQueued(): Promise<void> {
    this.statting = true;
    try {
      // Reads asked for in the same turn go together.
      await Promise.resolve();
      while (this.queue.length > 0) {
        let characters = 0;
        const count = this.queue.findIndex((entry) => (characters += entry.path.length + 4) > STAT_BATCH_CHARACTERS);
        const batch = this.queue.splice(0, count === -1 ? this.queue.length : Math.max(1, count));
        try {
          const sizes = await this.store.statFiles(batch.map(({ path }) => path));
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
