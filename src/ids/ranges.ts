import * as v from 'valibot';

/**
 * The ID range plan of a sync group: which autoincrement IDs each member may hand out.
 *
 * One layout for every table, including tables created after pairing: the group zone
 * [base, base + slots·size) is cut into `slots` ranges of `size` IDs, and slot k owns
 * [base + k·size, base + (k+1)·size). The plan names no member: each member holds the same plan
 * and its own slot, so a member that joins later takes a free slot and changes nothing on the
 * others. `slots` is fixed when the plan is made (`GROUP_SLOTS`). `base` lies above every ID the
 * planning site held, so no member can ever generate an ID another has used or will use. The plan
 * has no table list, so a table a plugin creates later gets its ranges without any negotiation.
 */

/** No slot's range is ever smaller than this. */
export const MIN_RANGE_SIZE = 1_000_000;
/** What each slot gets when there is room: far more inserts per table than a tab will make. */
export const DEFAULT_RANGE_SIZE = 100_000_000;
/** Ranges start here or higher: a recognisable ID (original-sync-lessons.md §6, issue #771). */
export const RANGE_FLOOR = 1_000_000_000;
/** Range starts are multiples of this, so they read as round numbers. */
export const RANGE_ALIGNMENT = 1_000_000;
/** The largest ID a 32-bit PHP can hold as an int; ranges and natural zones end at or below it. */
export const INT32_ID_LIMIT = 2_147_483_647;
/** 64-bit PHP: limited by what JS (the extension, the popup) represents exactly. */
export const INT64_ID_LIMIT = Number.MAX_SAFE_INTEGER;
/**
 * Slots of every plan: the most members a group can ever have had (slots are not reused). On
 * 32-bit PHP this leaves about 17 million IDs per slot and table above the floor.
 */
export const GROUP_SLOTS = 32;

export type PhpIntSize = 4 | 8;

/** What one site reports about its IDs (`surveyIdTables`). */
export interface SiteIdSurvey {
  readonly phpIntSize: PhpIntSize;
  /** Tables with an INTEGER PRIMARY KEY AUTOINCREMENT: name → primary key column and largest ID (0 when empty). */
  readonly tables: Readonly<Record<string, { readonly pk: string; readonly maxId: number }>>;
}

export interface IdShardPlanInput {
  /** The surveys of the sites whose IDs the plan must clear, in any order. */
  readonly sites: readonly SiteIdSurvey[];
}

export const IdShardPlanSchema = v.pipe(
  v.strictObject({
    version: v.literal(2),
    base: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    size: v.pipe(v.number(), v.safeInteger(), v.minValue(MIN_RANGE_SIZE)),
    slots: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    /** A range with this many IDs or fewer left is reported as running low. */
    lowWater: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    /** Every ID of every range and natural zone is below this (ranges are half-open). */
    idLimit: v.pipe(v.number(), v.safeInteger()),
  }),
  v.check(
    (plan) => plan.base + 2 * plan.slots * plan.size <= plan.idLimit,
    'every range and its natural zone must end at or below idLimit',
  ),
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
  if (input.sites.length === 0) throw new IdSpaceError('No site survey to plan from');
  const idLimit = input.sites.some((site) => site.phpIntSize === 4) ? INT32_ID_LIMIT : INT64_ID_LIMIT;
  const highest = Math.max(0, ...input.sites.flatMap((site) => Object.values(site.tables).map((table) => table.maxId)));
  if (!Number.isSafeInteger(highest) || highest >= idLimit) {
    throw new IdSpaceError(`An existing ID (${highest}) leaves no room below ${idLimit}`);
  }
  const base = Math.max(RANGE_FLOOR, alignUp(highest + 1, RANGE_ALIGNMENT));
  // Every slot's range, then every slot's natural zone above them all.
  const room = alignDown(Math.floor((idLimit - base) / (2 * GROUP_SLOTS)), RANGE_ALIGNMENT);
  const size = Math.min(DEFAULT_RANGE_SIZE, room);
  if (size < MIN_RANGE_SIZE) {
    throw new IdSpaceError(
      `No room for ${GROUP_SLOTS} ranges of ${MIN_RANGE_SIZE} IDs and their natural zones above ${highest} and below ${idLimit}: re-key the high IDs first`,
    );
  }
  return v.parse(IdShardPlanSchema, { version: 2, base, size, slots: GROUP_SLOTS, lowWater: lowWaterFor(size), idLimit });
}

/** A tenth of the range: time enough to re-pair before a busy table runs dry. */
export function lowWaterFor(size: number): number {
  return Math.floor(size / 10);
}

/** The range the member in `slot` hands out IDs from, in every table. */
export function slotRange(plan: IdShardPlan, slot: number): IdRange {
  if (!Number.isInteger(slot) || slot < 0 || slot >= plan.slots) {
    throw new RangeError(`Slot ${slot} is not in this plan (slots 0 to ${plan.slots - 1})`);
  }
  const lo = plan.base + slot * plan.size;
  return { lo, hi: lo + plan.size };
}

/** Every slot's range together: [base, base + slots·size). */
export function groupRange(plan: IdShardPlan): IdRange {
  return { lo: plan.base, hi: plan.base + plan.slots * plan.size };
}

/**
 * Where SQLite numbers the rows of the member in `slot` itself: statements the ID-shard filter
 * leaves alone, and every insert while the filter is missing (an older Playground build's runtime
 * rotation takes it until the engine is reinstalled). The slot's range moved up by the group
 * zone's size: above every range, apart from every other slot's zone, and below `idLimit` (the
 * plan's check). `src/php/id-shards.php` lifts each table's `sqlite_sequence` to just below it.
 */
export function slotNaturalZone(plan: IdShardPlan, slot: number): IdRange {
  const { lo, hi } = slotRange(plan, slot);
  const shift = plan.slots * plan.size;
  return { lo: lo + shift, hi: hi + shift };
}

/**
 * How a range stands when its next free ID is `next`. Exhausted means the next insert is refused
 * (never moved into another slot's range); low means at most `lowWater` IDs are left.
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
    base: checked.base,
    size: checked.size,
    slots: checked.slots,
    lowWater: checked.lowWater,
    idLimit: checked.idLimit,
  });
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function alignDown(value: number, alignment: number): number {
  return Math.floor(value / alignment) * alignment;
}
