import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { IdShardPlanSchema, rangeState, type IdRange, type IdShardPlan, type RangeState } from './ranges';
import { runIdShardScript } from './site-script';

const StatusAnswerSchema = v.nullable(
  v.object({
    plan: v.string(),
    self_slot: v.number(),
    self_lo: v.number(),
    self_hi: v.number(),
    group_lo: v.number(),
    group_hi: v.number(),
    installed_at: v.string(),
    tables: v.array(
      v.object({
        table_name: v.string(),
        pk_column: v.string(),
        lo: v.number(),
        hi: v.number(),
        next: v.number(),
        refused: v.number(),
        refused_at: v.nullable(v.string()),
        unsharded: v.number(),
      }),
    ),
  }),
);

export interface TableIdStatus {
  readonly table: string;
  readonly pk: string;
  readonly range: IdRange;
  /** The next ID the allocator would try: past every ID it took in any table, and past IDs already used in the range. */
  readonly next: number;
  readonly left: number;
  readonly state: RangeState;
  /** Inserts refused because the range had no room, and when the last one was (UTC). */
  readonly refused: number;
  readonly refusedAt: string | null;
  /**
   * Inserts SQLite numbered itself because the filter does not rewrite their shape (INSERT …
   * SELECT, no column list, …): their IDs may lie outside this site's range.
   */
  readonly unsharded: number;
}

export interface IdShardStatus {
  readonly plan: IdShardPlan;
  /** This site's slot in the plan, and the range it hands out IDs from. */
  readonly slot: number;
  readonly selfRange: IdRange;
  /** Every slot's range together: IDs of the group's other members lie there, outside `selfRange`. */
  readonly groupRange: IdRange;
  readonly installedAt: string;
  /** Tables that have an allocator row (every AUTOINCREMENT table at install, later ones after their first insert). */
  readonly tables: readonly TableIdStatus[];
}

/**
 * What the site recorded about its shard: its slot and range, the group's, and every table's
 * cursor; null when not sharded (or holding a plan of an older format, which it no longer allocates from).
 */
export async function readIdShardStatus(client: SiteClient): Promise<IdShardStatus | null> {
  const answer = await runIdShardScript(client, 'status', StatusAnswerSchema);
  if (answer === null) return null;
  const plan = v.parse(IdShardPlanSchema, JSON.parse(answer.plan));
  // One cursor for every table (src/php/id-shards.php): a table's next ID is past every table's.
  const taken = Math.max(answer.self_lo, ...answer.tables.map((row) => row.next));
  return {
    plan,
    slot: answer.self_slot,
    selfRange: { lo: answer.self_lo, hi: answer.self_hi },
    groupRange: { lo: answer.group_lo, hi: answer.group_hi },
    installedAt: answer.installed_at,
    tables: answer.tables.map((row) => ({
      table: row.table_name,
      pk: row.pk_column,
      range: { lo: row.lo, hi: row.hi },
      next: taken,
      left: Math.max(0, row.hi - taken),
      state: rangeState(plan, { lo: row.lo, hi: row.hi }, taken),
      refused: row.refused,
      refusedAt: row.refused_at,
      unsharded: row.unsharded,
    })),
  };
}
