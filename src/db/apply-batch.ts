import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { ClockDriftError, DEFAULT_MAX_DRIFT_MS, HlcStringSchema, decodeHlc } from '../sync/hlc';
import { ChangeBatchSchema, CellSchema, type ChangeBatch, type CheckedChangeBatch } from './batch';
import { runEngineTask } from './engine-task';

export interface ApplyBatchOptions {
  /** The sender's site URL: every string cell has it rewritten to `toSiteUrl`. */
  readonly fromSiteUrl: string;
  /** This (receiving) site's URL. */
  readonly toSiteUrl: string;
  /** The peer the transport says sent it: a batch claiming another origin is refused. */
  readonly fromPeer: string;
}

const KeySchema = v.record(v.string(), CellSchema);

const ConflictSchema = v.object({
  table: v.string(),
  key: KeySchema,
  reason: v.string(),
  localHlc: v.optional(v.nullable(HlcStringSchema)),
  remoteHlc: HlcStringSchema,
  /** Which version both sites end with: the local one here, and the peer applies it in turn. */
  kept: v.literal('local'),
  /**
   * The local row that won, to show beside the batch's row (its `row` in the batch): cells as in
   * a batch, except that text beyond 1,000 characters (code points; bytes for `$b64` text) is
   * cut to its first 1,000 and "…", and BLOBs are null. For 'unique key held by a newer local
   * row', the row holding that key (its primary key differs from `key`). Null when there is no
   * such row (a local delete won, the holder of a unique key was not found) or it is local-only
   * (never synced, and kept out of the journal too). Absent from reports of older builds.
   */
  local: v.optional(v.nullable(v.record(v.string(), CellSchema))),
});
export type ApplyConflict = v.InferOutput<typeof ConflictSchema>;

export const ApplyResultSchema = v.variant('status', [
  v.object({
    status: v.literal('applied'),
    seq: v.number(),
    ddlApplied: v.number(),
    /** CREATE TABLE of a table this site already has (both activated the same plugin). */
    ddlSkipped: v.array(v.object({ table: v.string(), sql: v.string(), reason: v.string() })),
    upserted: v.number(),
    deleted: v.number(),
    /** Local-only rows a peer sent anyway: dropped. */
    localOnly: v.number(),
    /** Remote changes older than the local row: skipped (last writer wins). */
    conflicts: v.array(ConflictSchema),
    /** The numberer's mappings new here (a batch of renumberings, see `ChangeBatch.renumber`). */
    renumbered: v.optional(v.number()),
  }),
  /** Already applied (seq at or below the cursor): nothing done. */
  v.object({ status: v.literal('duplicate'), seq: v.number(), appliedUpTo: v.number() }),
  /** Batches before it are missing (seq above the cursor + 1): nothing done; ask for a resend from `appliedUpTo + 1`. */
  v.object({ status: v.literal('gap'), seq: v.number(), appliedUpTo: v.number() }),
  /** Nothing was changed; the batch can be retried. */
  v.object({
    status: v.literal('failed'),
    seq: v.number(),
    error: v.object({
      message: v.string(),
      cause: v.string(),
      table: v.optional(v.string()),
      key: v.optional(KeySchema),
      sql: v.optional(v.string()),
    }),
  }),
]);
export type ApplyResult = v.InferOutput<typeof ApplyResultSchema>;

/**
 * Applies a peer's batch on this site in one transaction: schema changes through the driver
 * (loading only WordPress's database layer, and only then), rows through raw prepared SQLite
 * statements with URLs rewritten, row versions (last writer wins per row) and the cursor for
 * `fromPeer`. A failure leaves the site exactly as it was and says why. Needs `installCapture`
 * on this site first.
 */
export async function applyBatch(client: SiteClient, batch: ChangeBatch, options: ApplyBatchOptions): Promise<ApplyResult> {
  return applyCheckedBatch(client, v.parse(ChangeBatchSchema, batch), options);
}

/** `applyBatch` for a batch validated where it came in (a peer's envelope): checked once, not twice. */
export async function applyCheckedBatch(client: SiteClient, checked: CheckedChangeBatch, options: ApplyBatchOptions): Promise<ApplyResult> {
  if (checked.peer !== options.fromPeer) {
    throw new Error(`Batch ${checked.seq} claims peer ${checked.peer} but came from ${options.fromPeer}`);
  }
  // The site's clock adopts the batch's: a forged or broken far-future clock must not drag it along.
  const aheadMs = (decodeHlc(checked.hlc)?.ms ?? 0) - Date.now();
  if (aheadMs > DEFAULT_MAX_DRIFT_MS) throw new ClockDriftError(aheadMs, DEFAULT_MAX_DRIFT_MS);
  return runEngineTask(
    client,
    'apply',
    { batch: checked, fromSiteUrl: options.fromSiteUrl, toSiteUrl: options.toSiteUrl },
    ApplyResultSchema,
  );
}
