import * as v from 'valibot';
import type { BlobStore, FileState, StagedBlob } from '../../files';
import { relativeToRoot } from '../../files/paths';
import type { SiteClient } from '../../platform/site-client';
import type { FileVersionEntry } from '../file-versions';
import { copyDatabase, type SiteFacts } from './site-facts';
import { COPY_FORMAT_VERSION, type PackedFile, type SiteCopy } from './site-copy';
import { runCopyScript, scratchPath } from './copy-php';
import { readSyncedTree } from './synced-tree';

export interface CaptureCopyOptions {
  /** This site's blob store: the database copy and the pack go into it, to be served from there. */
  readonly store: Pick<BlobStore, 'stage'>;
  /** Blobs staged for a capture that failed midway: default, left where they are. */
  readonly discard?: (names: string[]) => Promise<void>;
  /**
   * The target's files (path → sha256, see `fileHashes`): files it already holds with the same
   * bytes travel without them. Without it every file's bytes are shipped (~15 MB for a bare
   * WordPress).
   */
  readonly targetFiles?: ReadonlyMap<string, string>;
  /** The site's file versions (`FileVersions.entries()`), taken with its files: default, none known. */
  readonly versions?: readonly FileVersionEntry[];
  /** Default `await client.absoluteUrl`. */
  readonly siteUrl?: string;
  readonly wallClock?: () => number;
}

const PackAnswerSchema = v.object({
  packed: v.array(v.tuple([v.string(), v.number(), v.string()])),
  gone: v.array(v.string()),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
});

/**
 * Takes the site's full state: copies the database file and reads the engine's batch
 * sequence in one read transaction, then lists and hashes the synced tree and packs the file
 * bytes the target needs in one PHP run. The copy and the pack go into the blob store (hashed
 * there, never read into JavaScript); the copy names them in its meta.
 *
 * Consistency: in Node (one PHP instance) nothing runs between these steps. In the browser a
 * page request may write between the database copy and the file listing; such a change is in
 * the changelog after `lastBatchSeq` and reaches the target as an ordinary delta after the
 * install. Files changed meanwhile are packed as they are when read (the manifest follows).
 */
export async function captureCopy(client: SiteClient, options: CaptureCopyOptions): Promise<SiteCopy> {
  const siteUrl = (options.siteUrl ?? (await client.absoluteUrl)).replace(/\/+$/, '');
  const { store } = options;
  const databaseCopy = await scratchPath(client, 'database.sqlite');
  let database: StagedBlob;
  let facts: SiteFacts;
  try {
    const copied = await copyDatabase(client, databaseCopy);
    facts = copied.facts;
    // Hashed by the PHP that copied it, in the same read transaction: taken into the store as it is.
    database = await store.stage(databaseCopy, { move: true, sha256: copied.copy.sha256 });
  } finally {
    await client.unlink(databaseCopy).catch(() => undefined);
  }
  try {
    return await captureFiles(client, { ...options, siteUrl, database, facts });
  } catch (error) {
    await options.discard?.([database.sha256]);
    throw error;
  }
}

async function captureFiles(
  client: SiteClient,
  options: CaptureCopyOptions & { siteUrl: string; database: StagedBlob; facts: SiteFacts },
): Promise<SiteCopy> {
  const { siteUrl, database, facts } = options;
  const tree = await readSyncedTree(client, facts.databasePath);
  const files = new Map<string, FileState>(tree.manifest.files);
  const wanted = new Map<string, string>(); // sha256 → the first path holding it
  for (const [path, state] of files) {
    if (options.targetFiles?.get(path) === state.sha256) continue;
    if (!wanted.has(state.sha256)) wanted.set(state.sha256, path);
  }
  const { pack, packed } = await packFiles(client, options, tree.root, [...wanted.values()], files);
  const shipped = new Set(packed.map((file) => file.sha256));

  return {
    meta: {
      format: COPY_FORMAT_VERSION,
      wordpressVersion: facts.wordpressVersion,
      phpVersion: facts.phpVersion,
      databaseDriver: facts.databaseDriver,
      sqliteDriverVersion: facts.sqliteDriverVersion,
      siteUrl,
      sourcePeerId: facts.engine?.peerId ?? null,
      dbPathRelative: relativeToRoot(tree.root, facts.databasePath),
      lastBatchSeq: facts.engine?.lastBatchSeq ?? 0,
      hlc: facts.engine?.hlc ?? null,
      capturedAt: (options.wallClock ?? Date.now)(),
      database: { size: database.size, sha256: database.sha256 },
      pack: pack === null ? null : { size: pack.size, sha256: pack.sha256 },
      fileCount: files.size,
      shippedFileCount: [...files.values()].filter((state) => shipped.has(state.sha256)).length,
    },
    files: {
      manifest: { files, directories: tree.manifest.directories },
      packed,
      // The root itself ('' from PHP) unreadable would mean no copy at all: buildManifest throws first.
      unreadable: tree.manifest.unreadable.filter((path) => path !== ''),
      versions: options.versions ?? [],
    },
  };
}

/**
 * Packs `paths` one after another into a blob in one PHP run; answers the blob and its index.
 * A file that changed since the manifest was built is entered as read; one that is gone leaves
 * the manifest.
 */
async function packFiles(
  client: SiteClient,
  { store, discard }: Pick<CaptureCopyOptions, 'store' | 'discard'>,
  root: string,
  paths: readonly string[],
  files: Map<string, FileState>,
): Promise<{ pack: StagedBlob | null; packed: PackedFile[] }> {
  if (paths.length === 0) return { pack: null, packed: [] };
  const out = await scratchPath(client, 'files.pack');
  try {
    const answer = await runCopyScript(client, 'pack', PackAnswerSchema, { input: { root, paths, out } });
    const packed: PackedFile[] = [];
    let at = 0;
    for (const [path, size, sha256] of answer.packed) {
      packed.push({ sha256, size });
      files.set(path, { size, sha256 });
      at += size;
    }
    for (const path of answer.gone) files.delete(path);
    if (packed.length === 0) return { pack: null, packed };
    const pack = await store.stage(out, { move: true, sha256: answer.sha256 });
    if (pack.size !== at) {
      await discard?.([pack.sha256]);
      throw new Error(`Packed ${pack.size} bytes, expected ${at}`);
    }
    return { pack, packed };
  } finally {
    await client.unlink(out).catch(() => undefined);
  }
}
