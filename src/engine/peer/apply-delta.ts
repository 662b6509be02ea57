import { applyCheckedBatch } from '../../db';
import { applyFileChangesAtomically } from '../../files';
import type { SequencedBatch } from '../../sync/sequencing';
import type { BlobTransfer } from '../blob-transfer';
import { blobWritesOf, decodeDelta, type WireDelta } from '../delta';
import type { FileVersions } from '../file-versions';
import { fileChangesToApply } from '../spare-newer';
import { describeApply } from '../summaries';
import type { EngineGuard } from './engine-guard';
import type { PeerJournal } from './peer-journal';
import type { PeerSite } from './peer-site';

export interface ApplyDeltaContext {
  readonly site: PeerSite;
  /** The delta's origin. */
  readonly remotePeerId: string;
  /** Whether this site lacks some of the other members' deltas the delta's origin had applied (`WireDelta.deps`): a failure then waits for them. */
  readonly lacksDeps: (deps: Readonly<Record<string, number>>) => boolean;
  /**
   * Whether this site has not applied the numberer's deltas the delta's origin had (docs/ids.md):
   * the delta may hold low IDs of renumberings this site has not made yet, so it waits for them.
   */
  readonly lacksRenumberings: (deps: Readonly<Record<string, number>>) => boolean;
  /** Who its big files' bytes are pulled from: the origin, or the member that relayed it (wire.ts, `relay`). */
  readonly blobSource: () => string;
  /** The delta is committed: kept for relaying (its received blobs are let go right after). */
  readonly applied: (batch: SequencedBatch<WireDelta>) => void;
  readonly fileVersions: FileVersions;
  readonly blobs: BlobTransfer;
  readonly guard: EngineGuard;
  readonly journal: PeerJournal;
  /** Sends this site's file changes still settling (they go out stamped after the delta, and win on both sites). */
  readonly sendLocalFirst: () => Promise<void>;
}

/** A delta applied; or waiting (for its big files' bytes, or, having failed, for deltas of other members it may build on); or not applied at all, with the reason told to the sender. */
export type ApplyOutcome = { readonly kind: 'applied' } | { readonly kind: 'waiting' } | { readonly kind: 'failed'; readonly reason: string };

/**
 * Applies one of the paired site's deltas all or nothing: its files first (the rows may name
 * them: an active plugin), then its rows in one transaction; if either part fails, the files go
 * back too. Journals what it did (or why not).
 */
export async function applyDelta(context: ApplyDeltaContext, batch: SequencedBatch<WireDelta>, fromSiteUrl: string): Promise<ApplyOutcome> {
  const { site, journal, blobs } = context;
  const decoded = decodeDelta(batch.payload);
  if (!decoded.ok) {
    journal.refused(`batch ${batch.seq}`, decoded.error);
    return { kind: 'failed', reason: decoded.error };
  }
  if (batch.payload.deps && context.lacksRenumberings(batch.payload.deps)) return { kind: 'waiting' };
  const blobWrites = blobWritesOf(batch.payload);
  const fetched = await blobs.prepare(blobWrites, context.blobSource());
  if (fetched.kind === 'waiting') return { kind: 'waiting' };
  if (fetched.kind === 'failed') {
    const reason = `The bytes of a big file could not be fetched: ${fetched.reason}`;
    journal.write([{ direction: 'received', kind: 'files', target: `batch ${batch.seq}`, summary: reason, status: 'failed' }]);
    return { kind: 'failed', reason };
  }
  const { delta } = decoded;
  await context.sendLocalFirst();
  const { apply, beaten, record } = await fileChangesToApply(delta.files, delta.hlc, context.fileVersions, site);
  const transaction = await applyFileChangesAtomically(site.client, apply, { root: site.root, echo: site.recorder, blobs: site.store });
  const files = transaction.report;
  let db: Awaited<ReturnType<typeof applyCheckedBatch>> | null = null;
  let refusal: string | null = null;
  if (files.failures.length === 0 && delta.db) {
    const rows = delta.db;
    try {
      db = await context.guard.run(() => applyCheckedBatch(site.client, rows, { fromSiteUrl, toSiteUrl: site.siteUrl, fromPeer: context.remotePeerId }));
    } catch (error) {
      // Refused before anything was written (a batch claiming another peer, a clock far ahead).
      refusal = error instanceof Error ? error.message : String(error);
    }
  }
  const describe = () => describeApply({ ...delta, files: apply }, files, db, beaten, { from: fromSiteUrl, to: site.siteUrl });
  if (refusal === null && files.failures.length === 0 && db?.status !== 'failed' && db?.status !== 'gap') {
    await transaction.commit();
    context.fileVersions.record(record, delta.hlc);
    journal.write(describe());
    context.applied(batch);
    await blobs.releaseReceived(blobWrites);
    return { kind: 'applied' };
  }
  const undoProblems = await transaction.rollback();
  // It may build on a delta of another member this site has not applied yet (see `WireDelta.deps`): tried again once it has.
  if (undoProblems.length === 0 && refusal === null && batch.payload.deps && context.lacksDeps(batch.payload.deps)) return { kind: 'waiting' };
  if (undoProblems.length > 0) {
    journal.write([
      { direction: 'received', kind: 'files', target: `batch ${batch.seq}`, summary: 'Some files of a failed batch could not be put back', status: 'failed', detail: undoProblems.join('\n') },
    ]);
  }
  if (refusal !== null) {
    journal.refused(`batch ${batch.seq}`, `Rejected batch: ${refusal}`);
    return { kind: 'failed', reason: refusal.slice(0, 1000) };
  }
  journal.write(describe());
  const reason = files.failures[0]?.reason ?? (db?.status === 'failed' ? db.error.message : `database batch ${db?.seq} out of order`);
  return { kind: 'failed', reason: reason.slice(0, 1000) };
}
