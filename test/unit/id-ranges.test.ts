import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RANGE_SIZE,
  GROUP_SLOTS,
  INT32_ID_LIMIT,
  INT64_ID_LIMIT,
  IdShardPlanSchema,
  IdSpaceError,
  MIN_RANGE_SIZE,
  RANGE_ALIGNMENT,
  RANGE_FLOOR,
  canonicalPlanJson,
  groupRange,
  planIdShards,
  rangeState,
  slotNaturalZone,
  slotRange,
  type IdRange,
  type SiteIdSurvey,
} from '../../src/ids/ranges';

function site(maxIds: Record<string, number>, phpIntSize: 4 | 8 = 8): SiteIdSurvey {
  return { phpIntSize, tables: Object.fromEntries(Object.entries(maxIds).map(([name, maxId]) => [name, { pk: 'ID', maxId }])) };
}

const FRESH = [site({ wp_posts: 12, wp_postmeta: 40 }), site({ wp_posts: 12, wp_postmeta: 41 })];
const EVERY_SLOT = Array.from({ length: GROUP_SLOTS }, (_, slot) => slot);

function overlap(a: IdRange, b: IdRange): boolean {
  return a.lo < b.hi && b.lo < a.hi;
}

describe('ID range plan', () => {
  it('gives each of the 32 slots a range of the default size from the recognisable floor, naming no member', () => {
    const plan = planIdShards({ sites: FRESH });
    expect(plan).toEqual({
      version: 2,
      base: RANGE_FLOOR,
      size: DEFAULT_RANGE_SIZE,
      slots: GROUP_SLOTS,
      lowWater: DEFAULT_RANGE_SIZE / 10,
      idLimit: INT64_ID_LIMIT,
    });
    expect(slotRange(plan, 0)).toEqual({ lo: 1_000_000_000, hi: 1_100_000_000 });
    expect(slotRange(plan, 1)).toEqual({ lo: 1_100_000_000, hi: 1_200_000_000 });
    expect(slotRange(plan, 31)).toEqual({ lo: 4_100_000_000, hi: 4_200_000_000 });
    expect(groupRange(plan)).toEqual({ lo: 1_000_000_000, hi: 4_200_000_000 });
    for (const slot of [-1, 32, 1.5, Number.NaN]) expect(() => slotRange(plan, slot)).toThrow(RangeError);
  });

  it('keeps the 32 ranges disjoint and adjacent, together the group range', () => {
    const plan = planIdShards({ sites: FRESH });
    const ranges = EVERY_SLOT.map((slot) => slotRange(plan, slot));
    for (const [i, range] of ranges.entries()) {
      expect(range.hi - range.lo).toBe(plan.size);
      for (const other of ranges.slice(i + 1)) expect(overlap(range, other), `slots ${i} and ${ranges.indexOf(other)}`).toBe(false);
    }
    expect(ranges[0]!.lo).toBe(groupRange(plan).lo);
    expect(ranges.at(-1)!.hi).toBe(groupRange(plan).hi);
  });

  it('is the same plan whichever site computes it (survey order does not matter)', () => {
    const sites = [site({ wp_posts: 1_234_567_890 }), site({ wp_terms: 5 }, 8)];
    expect(planIdShards({ sites })).toEqual(planIdShards({ sites: [...sites].reverse() }));
  });

  it('starts above every existing ID of every site, on a round number', () => {
    const plan = planIdShards({ sites: [site({ wp_posts: 1_150_000_123 }), site({ wp_postmeta: 1_000_000_000 })] });
    expect(plan.base).toBe(1_151_000_000);
    expect(slotRange(plan, 0).lo).toBeGreaterThan(1_150_000_123);
    const exact = planIdShards({ sites: [site({ wp_posts: 1_150_999_999 })] });
    expect(exact.base).toBe(1_151_000_000);
  });

  it('fits every range and natural zone below 2^31 - 1 on 32-bit PHP: about 17 million IDs per slot', () => {
    const plan = planIdShards({ sites: [site({ wp_posts: 12 }, 4), site({})] });
    expect(plan.idLimit).toBe(INT32_ID_LIMIT);
    expect(plan.base).toBe(RANGE_FLOOR);
    // (2,147,483,647 − 1,000,000,000) / 64 = 17,929,432, aligned down to a million.
    expect(plan.size).toBe(17_000_000);
    expect(plan.size % RANGE_ALIGNMENT).toBe(0);
    expect(plan.lowWater).toBe(1_700_000);
    expect(groupRange(plan)).toEqual({ lo: 1_000_000_000, hi: 1_544_000_000 });
    expect(slotNaturalZone(plan, GROUP_SLOTS - 1)).toEqual({ lo: 2_071_000_000, hi: 2_088_000_000 });
    for (const slot of EVERY_SLOT) expect(slotNaturalZone(plan, slot).hi - 1).toBeLessThan(2 ** 31 - 1);
  });

  it('shrinks the ranges when high IDs leave less room on 32-bit PHP', () => {
    const plan = planIdShards({ sites: [site({ wp_posts: 2_000_000_000 }, 4), site({})] });
    expect(plan.base).toBe(2_001_000_000);
    // (2,147,483,647 − 2,001,000,000) / 64 = 2,288,807 → 2,000,000.
    expect(plan.size).toBe(2_000_000);
    expect(slotNaturalZone(plan, GROUP_SLOTS - 1).hi).toBe(2_129_000_000);
    expect(slotNaturalZone(plan, GROUP_SLOTS - 1).hi).toBeLessThanOrEqual(INT32_ID_LIMIT);
  });

  it('puts where SQLite numbers rows itself above every range, one zone per slot, apart from every range and zone', () => {
    const plan = planIdShards({ sites: FRESH });
    expect(slotNaturalZone(plan, 0)).toEqual({ lo: 4_200_000_000, hi: 4_300_000_000 });
    expect(slotNaturalZone(plan, 1)).toEqual({ lo: 4_300_000_000, hi: 4_400_000_000 });
    const zones = EVERY_SLOT.map((slot) => slotNaturalZone(plan, slot));
    const ranges = EVERY_SLOT.map((slot) => slotRange(plan, slot));
    for (const [i, zone] of zones.entries()) {
      for (const range of ranges) expect(overlap(zone, range)).toBe(false);
      for (const [j, other] of zones.entries()) if (j !== i) expect(overlap(zone, other)).toBe(false);
      expect(zone.hi).toBeLessThanOrEqual(plan.idLimit);
    }
  });

  it('refuses when 32 ranges of the minimum size and their zones no longer fit', () => {
    const nearTop = INT32_ID_LIMIT - 2 * GROUP_SLOTS * MIN_RANGE_SIZE;
    expect(() => planIdShards({ sites: [site({ wp_posts: nearTop }, 4)] })).toThrow(IdSpaceError);
    expect(() => planIdShards({ sites: [site({ wp_posts: INT32_ID_LIMIT }, 4)] })).toThrow(IdSpaceError);
    // The same IDs fit on 64-bit PHP.
    expect(planIdShards({ sites: [site({ wp_posts: nearTop }, 8)] }).size).toBe(DEFAULT_RANGE_SIZE);
    expect(() => planIdShards({ sites: [] })).toThrow(IdSpaceError);
  });

  it('reports a range as low within a tenth of its size and exhausted with no ID left', () => {
    const plan = planIdShards({ sites: FRESH });
    const range = slotRange(plan, 0);
    expect(rangeState(plan, range, range.lo)).toBe('ok');
    expect(rangeState(plan, range, range.hi - plan.lowWater - 1)).toBe('ok');
    expect(rangeState(plan, range, range.hi - plan.lowWater)).toBe('low');
    expect(rangeState(plan, range, range.hi - 1)).toBe('low');
    expect(rangeState(plan, range, range.hi)).toBe('exhausted');
  });

  it('serialises a plan in one fixed key order and rejects an invalid one', () => {
    const plan = planIdShards({ sites: FRESH });
    const shuffled = { idLimit: plan.idLimit, lowWater: plan.lowWater, slots: plan.slots, size: plan.size, base: plan.base, version: 2 as const };
    expect(canonicalPlanJson(shuffled)).toBe(canonicalPlanJson(plan));
    expect(canonicalPlanJson(plan)).toBe(
      `{"version":2,"base":1000000000,"size":100000000,"slots":32,"lowWater":10000000,"idLimit":${INT64_ID_LIMIT}}`,
    );
    expect(() => canonicalPlanJson({ ...plan, size: 10 })).toThrow();
    expect(() => canonicalPlanJson({ ...plan, slots: 0 })).toThrow();
    // Every range fits, but not every natural zone above them.
    expect(() => canonicalPlanJson({ ...plan, idLimit: plan.base + plan.slots * plan.size })).toThrow();
    expect(canonicalPlanJson({ ...plan, idLimit: plan.base + 2 * plan.slots * plan.size })).toContain('"idLimit":7400000000');
  });

  it('rejects a plan of version 1 (two named peers)', () => {
    const versionOne = { version: 1, first: 'peer-a', second: 'peer-b', base: RANGE_FLOOR, size: DEFAULT_RANGE_SIZE, lowWater: DEFAULT_RANGE_SIZE / 10, idLimit: INT64_ID_LIMIT };
    expect(v.safeParse(IdShardPlanSchema, versionOne).success).toBe(false);
    expect(v.safeParse(IdShardPlanSchema, { ...versionOne, version: 2 }).success).toBe(false);
    expect(v.safeParse(IdShardPlanSchema, planIdShards({ sites: FRESH })).success).toBe(true);
  });
});
