import * as v from 'valibot';
import { PeerIdSchema } from '../protocol/ids';

/**
 * The ID range plan of a pairing: which autoincrement IDs each peer may hand out.
 *
 * One layout for every table, including tables created after pairing: the first peer owns
 * [base, base + size), the second [base + size, base + 2·size). `base` lies above every ID
 * either site held when the pair was planned, so neither peer can ever generate an ID the other
 * has used or will use. Both sides compute the same plan from the same survey (the plan depends
 * on nothing else), and the plan has no table list, so a table a plugin creates later gets its
 * ranges without any negotiation.
 */

/** No peer range is ever smaller than this. */
export const MIN_RANGE_SIZE = 1_000_000;
/** What each peer gets when there is room: far more inserts per table than a tab will make. */
export const DEFAULT_RANGE_SIZE = 100_000_000;
/** Ranges start here or higher: a recognisable ID (original-sync-lessons.md §6, issue #771). */
export const RANGE_FLOOR = 1_000_000_000;
/** Range starts are multiples of this, so they read as round numbers. */
export const RANGE_ALIGNMENT = 1_000_000;
/** The largest ID a 32-bit PHP can hold as an int; ranges end at or below it. */
export const INT32_ID_LIMIT = 2_147_483_647;
/** 64-bit PHP: limited by what JS (the extension, the popup) represents exactly. */
export const INT64_ID_LIMIT = Number.MAX_SAFE_INTEGER;

export type PhpIntSize = 4 | 8;

/** What one site reports about its IDs (`surveyIdTables`). */
export interface SiteIdSurvey {
  readonly phpIntSize: PhpIntSize;
  /** Tables with an INTEGER PRIMARY KEY AUTOINCREMENT: name → primary key column and largest ID (0 when empty). */
  readonly tables: Readonly<Record<string, { readonly pk: string; readonly maxId: number }>>;
}

export interface IdShardPlanInput {
  /** The peer that takes the lower range (the pairing decides which one is first). */
  readonly first: string;
  readonly second: string;
  /** Both sites' surveys, in any order. */
  readonly sites: readonly SiteIdSurvey[];
}

export const IdShardPlanSchema = v.pipe(
  v.strictObject({
    version: v.literal(1),
    first: PeerIdSchema,
    second: PeerIdSchema,
    base: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    size: v.pipe(v.number(), v.safeInteger(), v.minValue(MIN_RANGE_SIZE)),
    /** A range with this many IDs or fewer left is reported as running low. */
    lowWater: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    /** Every ID of both ranges is below this (ranges are half-open). */
    idLimit: v.pipe(v.number(), v.safeInteger()),
  }),
  v.check((plan) => plan.first !== plan.second, 'the two peers must differ'),
  v.check((plan) => plan.base + 2 * plan.size <= plan.idLimit, 'both ranges must end at or below idLimit'),
);

export type IdShardPlan = v.InferOutput<typeof IdShardPlanSchema>;

/** Half-open: `lo` is the first ID, `hi` the first ID past the range. */
export interface IdRange {
  readonly lo: number;
  readonly hi: number;
}

export type RangeState = 'ok' | 'low' | 'exhausted';

export class IdSpaceError extends Error {
  override readonly name = 'IdSpaceError';
}

export function planIdShards(input: IdShardPlanInput): IdShardPlan {
  if (input.first === input.second) throw new IdSpaceError(`Both peers are ${input.first}`);
  if (input.sites.length === 0) throw new IdSpaceError('No site survey to plan from');
  const idLimit = input.sites.some((site) => site.phpIntSize === 4) ? INT32_ID_LIMIT : INT64_ID_LIMIT;
  const highest = Math.max(0, ...input.sites.flatMap((site) => Object.values(site.tables).map((table) => table.maxId)));
  if (!Number.isSafeInteger(highest) || highest >= idLimit) {
    throw new IdSpaceError(`An existing ID (${highest}) leaves no room below ${idLimit}`);
  }
  const base = Math.max(RANGE_FLOOR, alignUp(highest + 1, RANGE_ALIGNMENT));
  const room = Math.floor((idLimit - base) / 2 / RANGE_ALIGNMENT) * RANGE_ALIGNMENT;
  const size = Math.min(DEFAULT_RANGE_SIZE, room);
  if (size < MIN_RANGE_SIZE) {
    throw new IdSpaceError(
      `No room for two ranges of ${MIN_RANGE_SIZE} IDs above ${highest} and below ${idLimit}: re-key the high IDs first`,
    );
  }
  return v.parse(IdShardPlanSchema, {
    version: 1,
    first: input.first,
    second: input.second,
    base,
    size,
    lowWater: lowWaterFor(size),
    idLimit,
  });
}

/** A tenth of the range: time enough to re-pair before a busy table runs dry. */
export function lowWaterFor(size: number): number {
  return Math.floor(size / 10);
}

/** The range `peer` hands out IDs from, in every table. */
export function peerRange(plan: IdShardPlan, peer: string): IdRange {
  if (peer === plan.first) return { lo: plan.base, hi: plan.base + plan.size };
  if (peer === plan.second) return { lo: plan.base + plan.size, hi: plan.base + 2 * plan.size };
  throw new RangeError(`${peer} is not a peer of this plan (${plan.first}, ${plan.second})`);
}

/**
 * Where SQLite numbers a peer's new rows itself: statements the ID-shard filter leaves alone, and
 * every insert while the filter is missing (an older Playground build's runtime rotation takes it
 * until the engine is reinstalled). The peer's range moved up by two range sizes: above both
 * ranges, apart from the other peer's zone. `src/php/id-shards.php` lifts each table's
 * `sqlite_sequence` to just below it. Null when it would pass the plan's `idLimit`: SQLite then
 * numbers as it would.
 */
export function peerNaturalZone(plan: IdShardPlan, peer: string): IdRange | null {
  const { lo, hi } = peerRange(plan, peer);
  const shift = 2 * plan.size;
  return hi + shift <= plan.idLimit ? { lo: lo + shift, hi: hi + shift } : null;
}

/**
 * How a range stands when its next free ID is `next`. Exhausted means the next insert is refused
 * (never moved into the peer's range); low means at most `lowWater` IDs are left.
 */
export function rangeState(plan: IdShardPlan, range: IdRange, next: number): RangeState {
  const left = range.hi - next;
  if (left <= 0) return 'exhausted';
  return left <= plan.lowWater ? 'low' : 'ok';
}

/** The plan as one fixed-order JSON text: the site stores it and compares a new plan byte for byte. */
export function canonicalPlanJson(plan: IdShardPlan): string {
  const checked = v.parse(IdShardPlanSchema, plan);
  return JSON.stringify({
    version: checked.version,
    first: checked.first,
    second: checked.second,
    base: checked.base,
    size: checked.size,
    lowWater: checked.lowWater,
    idLimit: checked.idLimit,
  });
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
