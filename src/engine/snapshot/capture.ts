import * as v from 'valibot';
import { sha256Hex, type FileState } from '../../files';
import { relativeToRoot } from '../../files/paths';
import type { SiteClient } from '../../platform/site-client';
import { copyDatabase } from './site-facts';
import { SNAPSHOT_FORMAT_VERSION, type SiteSnapshot } from './snapshot';
import { runSnapshotScript, scratchPath } from './snapshot-php';
import { readSyncedTree } from './synced-tree';

export interface CaptureSnapshotOptions {
  /**
   * The target's files (path → sha256, see `fileHashes`): files it already holds with the same
   * bytes travel without them. Without it every file's bytes are shipped (~15 MB for a bare
   * WordPress).
   */
  readonly targetFiles?: ReadonlyMap<string, string>;
  /** Default `await client.absoluteUrl`. */
  readonly siteUrl?: string;
  readonly wallClock?: () => number;
}

const PackAnswerSchema = v.object({
  packed: v.array(v.tuple([v.string(), v.number(), v.string()])),
  gone: v.array(v.string()),
});

/**
 * Takes the site's full state: copies the database file and reads the engine's batch
 * sequence in one read transaction, then lists and hashes the synced tree and packs the file
 * bytes the target needs in one PHP run.
 *
 * Consistency: in Node (one PHP instance) nothing runs between these steps. In the browser a
 * page request may write between the database copy and the file listing; such a change is in
 * the changelog after `lastBatchSeq` and reaches the target as an ordinary delta after the
 * install. Files changed meanwhile are packed as they are when read (the manifest follows).
 */
export async function captureSnapshot(client: SiteClient, options: CaptureSnapshotOptions = {}): Promise<SiteSnapshot> {
  const siteUrl = (options.siteUrl ?? (await client.absoluteUrl)).replace(/\/+$/, '');
  const databaseCopy = await scratchPath(client, 'database.sqlite');
  let database: Uint8Array;
  let facts;
  try {
    const copied = await copyDatabase(client, databaseCopy);
    facts = copied.facts;
    database = await client.readFileAsBuffer(databaseCopy);
    if ((await sha256Hex(database)) !== copied.copy.sha256) throw new Error('The database copy changed while it was read');
  } finally {
    await client.unlink(databaseCopy).catch(() => undefined);
  }

  const tree = await readSyncedTree(client, facts.databasePath);
  const files = new Map<string, FileState>(tree.manifest.files);
  const wanted = new Map<string, string>(); // sha256 → the first path holding it
  for (const [path, state] of files) {
    if (options.targetFiles?.get(path) === state.sha256) continue;
    if (!wanted.has(state.sha256)) wanted.set(state.sha256, path);
  }
  const contents = await packFiles(client, tree.root, [...wanted.values()], files);

  return {
    meta: {
      format: SNAPSHOT_FORMAT_VERSION,
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
      database: { size: database.byteLength, sha256: await sha256Hex(database) },
      fileCount: files.size,
      shippedFileCount: [...files.values()].filter((state) => contents.has(state.sha256)).length,
    },
    database,
    files: {
      manifest: { files, directories: tree.manifest.directories },
      contents,
      // The root itself ('' from PHP) unreadable would mean no snapshot at all: buildManifest throws first.
      unreadable: tree.manifest.unreadable.filter((path) => path !== ''),
    },
  };
}

/**
 * Reads `paths` in one PHP run and one buffer read; keyed by sha256. A file that changed since
 * the manifest was built is entered as read; one that is gone leaves the manifest.
 */
async function packFiles(
  client: SiteClient,
  root: string,
  paths: readonly string[],
  files: Map<string, FileState>,
): Promise<Map<string, Uint8Array>> {
  const contents = new Map<string, Uint8Array>();
  if (paths.length === 0) return contents;
  const out = await scratchPath(client, 'files.pack');
  try {
    const answer = await runSnapshotScript(client, 'pack', PackAnswerSchema, { input: { root, paths, out } });
    const packed = await client.readFileAsBuffer(out);
    let at = 0;
    for (const [path, size, sha256] of answer.packed) {
      contents.set(sha256, packed.slice(at, at + size));
      files.set(path, { size, sha256 });
      at += size;
    }
    for (const path of answer.gone) files.delete(path);
    if (at !== packed.length) throw new Error(`Packed ${packed.length} bytes, expected ${at}`);
  } finally {
    await client.unlink(out).catch(() => undefined);
  }
  return contents;
}
