import * as v from 'valibot';
import { installCapture, type CaptureInstallation } from '../../db';
import { ENGINE_DIR, ENGINE_PHP_FILES } from '../../db/php-sources';
import { applyFileChanges, type BlobStore, type EchoRegistry, type PlannedChange, type UnpackEntry } from '../../files';
import { absolutePath } from '../../files/paths';
import { ID_SHARDS_LIBRARY_PATH, IdShardPlanSchema, installIdShards, writeIdShardLibrary, type IdShardPlan } from '../../ids';
import type { SiteClient } from '../../platform/site-client';
import { PeerIdSchema } from '../../protocol/ids';
import { localOnlyPhpArray } from '../../sync/local-only';
import { carrySession } from './carry-session';
import { refusalFor } from './compatibility';
import { planFileChanges } from './file-plan';
import { readSiteFacts } from './site-facts';
import { copyBlobs, CopyRefusal, type SiteCopy } from './site-copy';
import { runCopyScript } from './copy-php';
import { readSyncedTree } from './synced-tree';

export interface InstallCopyOptions {
  /** This (target) site's peer id: it stays itself, whatever the copy says. */
  readonly peerId: string;
  /** This site's slot in the copied ID plan: its own range, whichever slot the source holds. */
  readonly idSlot: number;
  /** Default `await client.absoluteUrl`. */
  readonly siteUrl?: string;
  /** This site's file recorder, if one runs: the copied files are not local changes. */
  readonly echo?: EchoRegistry;
  /** This site's blob store, holding the copy's blobs (pulled and checked against their sha256). */
  readonly store: Pick<BlobStore, 'has' | 'place' | 'unpack'>;
}

export interface CopyInstallation {
  /**
   * The source's last batch the copy contains (`meta.lastBatchSeq`): this site's database cursor
   * for the source now stands here, so the source's next batch (this + 1) applies and older
   * ones are duplicates.
   */
  readonly baseBatchSeq: number;
  /** This site's own last batch number: its next drained batch is this + 1 (the source's cursor for it). */
  readonly ownBatchSeq: number;
  readonly files: { readonly written: number; readonly deleted: number; readonly directories: number };
  readonly urlCellsRewritten: number;
  /** This site's local-only rows (sessions, salts, cron, transients) kept instead of the copy's. */
  readonly localRowsKept: number;
  /** The ID shard plan this site now holds in its slot; null when unsharded. */
  readonly idPlan: IdShardPlan | null;
  /** A copied plan of an older format (it names peers, not slots), removed: shard again. */
  readonly droppedIdPlan: string | null;
  readonly capture: CaptureInstallation;
  /** The login of the tab's session, kept through the copy (null: nobody was logged in, or it could not be). */
  readonly sessionCarried: string | null;
  /** The copy's database came from an older WordPress: this site's upgraded it, from one database version to another. */
  readonly databaseUpgrade: v.InferOutput<typeof UpgradeAnswerSchema> | null;
  readonly durationMs: number;
}

const PrepareAnswerSchema = v.object({
  ownBatchSeq: v.number(),
  hlc: v.nullable(v.string()),
  idPlan: v.nullable(v.string()),
  droppedIdPlan: v.nullable(v.string()),
  urlCellsRewritten: v.number(),
  localRowsKept: v.number(),
  copiedDbVersion: v.nullable(v.number()),
});

const UpgradeAnswerSchema = v.object({ from: v.number(), to: v.number() });

/** Suffix of the incoming database, staged next to the site's own (same mount: `mv` is a rename). */
const STAGED_SUFFIX = '.pgsync-incoming';
const SIDE_FILES = ['-journal', '-wal', '-shm'];

/**
 * Brings this site to the copy's state, staying itself (peer id, URL, ID range).
 *
 * Order, so that a failure leaves a working site and a retry converges:
 * 1. checks that change nothing: the database driver (`CopyRefusal`), the
 *    copy's blobs in the store, bytes in the pack for every file this site lacks;
 * 2. the copy is placed from the store beside this site's database file and made this site's
 *    there (engine identity, cursors, ID plan, URLs) in one transaction;
 * 3. files: deleted, created, then written from the pack (inside PHP, each checked against its
 *    sha256) until the tree equals the source's (excluded paths and this site's database
 *    directory untouched);
 * 4. the staged file replaces the database (a stale `-journal` removed first): one rename;
 * 5. capture re-installed (PHP under /internal, triggers checked), ID shards re-attached;
 * 6. a database older than this site's WordPress (the source runs an older version) upgraded by
 *    it, as wp-admin would ask to; the upgrade's changes are captured and reach the others;
 * 7. the tab's login carried over to the copied user rows (`carrySession`).
 *
 * A failure in 1–2 changes nothing; in 3 the old database stays and some files are already the
 * source's; after 4 the data is the source's and a failure in 5 leaves capture to re-install, in 6
 * the upgrade to run again (7 does not fail: a tab it could not keep logged in asks for a login).
 * Every step is idempotent: calling again with the same copy completes it.
 * Run it while the site is idle (no page request in flight, the site's SyncPeer stopped).
 */
export async function installCopy(
  client: SiteClient,
  copy: SiteCopy,
  options: InstallCopyOptions,
): Promise<CopyInstallation> {
  const started = performance.now();
  const peerId = v.parse(PeerIdSchema, options.peerId);
  const siteUrl = (options.siteUrl ?? (await client.absoluteUrl)).replace(/\/+$/, '');
  const { meta } = copy;

  const facts = await readSiteFacts(client);
  const refusal = refusalFor(meta, facts);
  if (refusal) throw refusal;
  const { store } = options;
  for (const blob of copyBlobs(meta)) {
    if (!(await store.has(blob.sha256))) throw new CopyRefusal('transfer', `The copy's bytes (blob ${blob.sha256.slice(0, 12)}…) are not in this site's store`);
  }
  const tree = await readSyncedTree(client, facts.databasePath);
  const changes = planFileChanges(tree, copy);

  await writeEngineFiles(client);
  const staged = facts.databasePath + STAGED_SUFFIX;
  await removeWithSideFiles(client, staged);
  let prepared: v.InferOutput<typeof PrepareAnswerSchema>;
  try {
    await store.place(meta.database.sha256, staged);
    prepared = await runCopyScript(client, 'prepare', PrepareAnswerSchema, {
      input: {
        dbPath: staged,
        herePath: facts.databasePath,
        tablePrefix: facts.tablePrefix,
        engineDir: ENGINE_DIR,
        idShardsLibrary: ID_SHARDS_LIBRARY_PATH,
        fromUrl: meta.siteUrl,
        toUrl: siteUrl,
        peerId,
        idSlot: options.idSlot,
        sourcePeerId: meta.sourcePeerId === peerId ? null : meta.sourcePeerId,
        sourceBatchSeq: meta.lastBatchSeq,
        targetHlc: facts.engine?.hlc ?? null,
      },
    });
    const writes = changes.filter((change) => change.op === 'write');
    const applied = await applyFileChanges(
      client,
      changes.filter((change) => change.op !== 'write'),
      { root: tree.root, echo: options.echo },
    );
    const failures = [...applied.failures.map((failure) => failure.reason), ...(await unpackWrites(copy, writes, tree.root, options))];
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${changes.length} file changes failed (the database was left as it was; ` +
          `installing again completes it): ${failures.slice(0, 3).join('; ')}`,
      );
    }
  } catch (error) {
    await removeWithSideFiles(client, staged).catch(() => undefined);
    throw error;
  }

  for (const suffix of SIDE_FILES) {
    if (await client.fileExists(facts.databasePath + suffix)) await client.unlink(facts.databasePath + suffix);
  }
  await client.mv(staged, facts.databasePath);

  const capture = await installCapture(client, { peerId, siteUrl });
  const idPlan = prepared.idPlan === null ? null : v.parse(IdShardPlanSchema, JSON.parse(prepared.idPlan));
  if (idPlan) await installIdShards(client, idPlan, options.idSlot);
  const databaseUpgrade =
    prepared.copiedDbVersion !== null && prepared.copiedDbVersion < facts.wordpressDbVersion
      ? await runCopyScript(client, 'upgrade', UpgradeAnswerSchema, { input: { docroot: await client.documentRoot, fromDbVersion: prepared.copiedDbVersion } })
      : null;
  const sessionCarried = await carrySession(client);

  return {
    baseBatchSeq: meta.lastBatchSeq,
    ownBatchSeq: prepared.ownBatchSeq,
    files: {
      written: changes.filter((change) => change.op === 'write').length,
      deleted: changes.filter((change) => change.op === 'delete').length,
      directories: changes.filter((change) => change.op === 'mkdir').length,
    },
    urlCellsRewritten: prepared.urlCellsRewritten,
    localRowsKept: prepared.localRowsKept,
    idPlan,
    droppedIdPlan: prepared.droppedIdPlan,
    capture,
    databaseUpgrade,
    sessionCarried,
    durationMs: performance.now() - started,
  };
}

type PlannedWrite = Extract<PlannedChange, { op: 'write' }>;

/** Writes the files' bytes from the pack blob to their paths in one PHP run; answers what failed, as reasons. */
async function unpackWrites(
  copy: SiteCopy,
  writes: readonly PlannedWrite[],
  root: string,
  { store, echo }: InstallCopyOptions,
): Promise<string[]> {
  const { pack } = copy.meta;
  if (writes.length === 0 || pack === null) return [];
  const offsets = new Map<string, number>();
  let at = 0;
  for (const file of copy.files.packed) {
    if (!offsets.has(file.sha256)) offsets.set(file.sha256, at);
    at += file.size;
  }
  const entries: UnpackEntry[] = writes.map((write) => {
    echo?.expectApplied(write.path, { size: write.size, sha256: write.sha256 });
    return { offset: offsets.get(write.sha256)!, size: write.size, sha256: write.sha256, target: absolutePath(root, write.path) };
  });
  const results = await store.unpack(pack.sha256, entries);
  return results.flatMap((reason, index) => (reason === null ? [] : [`write ${writes[index]!.path} (${writes[index]!.size} bytes): ${reason}`]));
}

/** The engine's PHP the prepare step needs (installCapture writes the same files again later). */
async function writeEngineFiles(client: SiteClient): Promise<void> {
  if (!(await client.isDir(ENGINE_DIR))) await client.mkdir(ENGINE_DIR);
  for (const [name, source] of Object.entries(ENGINE_PHP_FILES)) await client.writeFile(`${ENGINE_DIR}/${name}`, source);
  await client.writeFile(`${ENGINE_DIR}/local-only-rules.php`, `<?php\nreturn ${localOnlyPhpArray()};\n`);
  await writeIdShardLibrary(client);
}

async function removeWithSideFiles(client: SiteClient, path: string): Promise<void> {
  for (const suffix of ['', ...SIDE_FILES]) {
    if (await client.fileExists(path + suffix)) await client.unlink(path + suffix);
  }
}
