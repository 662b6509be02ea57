import * as v from 'valibot';
import { RANGE_FLOOR, type IdRange } from '../ids/ranges';
import type { SiteClient } from '../platform/site-client';
import { RenumberingSchema, type Renumbering } from './batch';
import { runEngineTask } from './engine-task';

/**
 * Reclaiming low IDs on one site (docs/ids.md; the PHP is src/php/renumber-pass.php, renumber.php and renumber-check.php): the numberer's
 * pass, every member's renumbering by the numberer's mappings, and the checker.
 */

export { RenumberingSchema, type Renumbering } from './batch';

const ReclaimAnswerSchema = v.object({
  mappings: v.array(RenumberingSchema),
  /** False when the site holds no ID shard plan: nothing is provisional there, and nothing will be. */
  sharded: v.boolean(),
  /** Posts left with their high ID for now: someone has them open in an editor (on any member). */
  deferred: v.number(),
  /** The seq of the outbox batch that carries the mappings to the members (null when none were made). */
  batch: v.nullable(v.number()),
});
export type ReclaimResult = v.InferOutput<typeof ReclaimAnswerSchema>;

const RenumberAnswerSchema = v.object({
  /** Mappings new on this site (one already held is skipped). */
  renumbered: v.number(),
  /** Cells rewritten: row keys and references. */
  cells: v.number(),
});
export type RenumberResult = v.InferOutput<typeof RenumberAnswerSchema>;

const HighIdReportSchema = v.object({
  /** Every cell that still holds a renumbered high ID. Empty once everything settled. */
  occurrences: v.array(v.object({ table: v.string(), column: v.string(), key: v.string(), high: v.number() })),
  /** Rows whose key is still high, and why. */
  provisional: v.array(
    v.object({ table: v.string(), id: v.number(), reason: v.picklist(['not-reclaimed', 'being-edited', 'local-only', 'natural-zone', 'shared-id']) }),
  ),
});
export type HighIdReport = v.InferOutput<typeof HighIdReportSchema>;

export interface ReclaimOptions {
  /** The group zone (`groupRange(plan)`): keys in it are provisional. Default: the zone of the plan the site holds. */
  readonly zone?: IdRange;
  /** The numberer's member id, stored with each mapping. */
  readonly by: string;
  /** At most this many rows in one pass (the rest in the next). */
  readonly max?: number;
}

/**
 * The numberer's pass: gives every provisional row of the site (not local-only) the next low ID of
 * its table and renumbers the site, in one transaction. Answers the mappings to send to the others.
 */
export function reclaimLowIds(client: SiteClient, options: ReclaimOptions): Promise<ReclaimResult> {
  // Low IDs stay below every plan's zone, this one's and an earlier pairing's (rows made then, or while apart, may lie
  // between the floor and this zone): counting from them would hand out "low" IDs of a billion and more.
  return runEngineTask(client, 'reclaim-ids', { zone: options.zone, by: options.by, max: options.max, lowBelow: RANGE_FLOOR }, ReclaimAnswerSchema);
}

/** Renumbers the site by the numberer's mappings, in one transaction; a mapping held already is skipped. */
export function renumberSite(client: SiteClient, mappings: readonly Renumbering[], by: string): Promise<RenumberResult> {
  const plain = mappings.map(({ table, high, low }) => ({ table, high, low }));
  return runEngineTask(client, 'renumber', { mappings: plain, by }, RenumberAnswerSchema);
}

export interface FindHighIdsOptions {
  readonly zone: IdRange;
  /** Where the natural zones end (rows SQLite numbered itself lie in [zone.hi, naturalHi)). */
  readonly naturalHi?: number;
}

/** The checker: what on the site still refers to a renumbered high ID, and which rows are still high. */
export function findHighIds(client: SiteClient, options: FindHighIdsOptions): Promise<HighIdReport> {
  return runEngineTask(client, 'find-high-ids', { zone: options.zone, naturalHi: options.naturalHi }, HighIdReportSchema);
}
