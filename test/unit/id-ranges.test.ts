import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RANGE_SIZE,
  INT32_ID_LIMIT,
  INT64_ID_LIMIT,
  IdSpaceError,
  MIN_RANGE_SIZE,
  RANGE_FLOOR,
  canonicalPlanJson,
  peerNaturalZone,
  peerRange,
  planIdShards,
  rangeState,
  type SiteIdSurvey,
} from '../../src/ids/ranges';

function site(maxIds: Record<string, number>, phpIntSize: 4 | 8 = 8): SiteIdSurvey {
  return { phpIntSize, tables: Object.fromEntries(Object.entries(maxIds).map(([name, maxId]) => [name, { pk: 'ID', maxId }])) };
}

const FRESH = [site({ wp_posts: 12, wp_postmeta: 40 }), site({ wp_posts: 12, wp_postmeta: 41 })];

describe('ID range plan', () => {
  it('gives each peer a disjoint range of the default size from the recognisable floor', () => {
    const plan = planIdShards({ first: 'peer-a', second: 'peer-b', sites: FRESH });
    expect(plan).toEqual({
      version: 1,
      first: 'peer-a',
      second: 'peer-b',
      base: RANGE_FLOOR,
      size: DEFAULT_RANGE_SIZE,
      lowWater: DEFAULT_RANGE_SIZE / 10,
      idLimit: INT64_ID_LIMIT,
    });
    expect(peerRange(plan, 'peer-a')).toEqual({ lo: 1_000_000_000, hi: 1_100_000_000 });
    expect(peerRange(plan, 'peer-b')).toEqual({ lo: 1_100_000_000, hi: 1_200_000_000 });
    expect(() => peerRange(plan, 'peer-c')).toThrow(RangeError);
  });

  it('is the same plan whichever site computes it (survey order does not matter)', () => {
    const input = { first: 'peer-a', second: 'peer-b' };
    const sites = [site({ wp_posts: 1_234_567_890 }), site({ wp_terms: 5 }, 8)];
    expect(planIdShards({ ...input, sites })).toEqual(planIdShards({ ...input, sites: [...sites].reverse() }));
  });

  it('starts above every existing ID of either site, on a round number', () => {
    const plan = planIdShards({
      first: 'x',
      second: 'y',
      sites: [site({ wp_posts: 1_150_000_123 }), site({ wp_postmeta: 1_000_000_000 })],
    });
    expect(plan.base).toBe(1_151_000_000);
    expect(peerRange(plan, 'x').lo).toBeGreaterThan(1_150_000_123);
    const exact = planIdShards({ first: 'x', second: 'y', sites: [site({ wp_posts: 1_150_999_999 })] });
    expect(exact.base).toBe(1_151_000_000);
  });

  it('keeps both ranges below 2^31 - 1 when either PHP is 32-bit, shrinking them when room is short', () => {
    const plan = planIdShards({ first: 'a', second: 'b', sites: [site({ wp_posts: 2_000_000_000 }, 4), site({})] });
    expect(plan.idLimit).toBe(INT32_ID_LIMIT);
    expect(plan.base).toBe(2_001_000_000);
    expect(plan.size).toBe(73_000_000);
    expect(peerRange(plan, 'b').hi).toBeLessThanOrEqual(INT32_ID_LIMIT);
    expect(peerRange(plan, 'b').hi - 1).toBeLessThan(2 ** 31 - 1);
    expect(plan.lowWater).toBe(7_300_000);
  });

  it('puts where SQLite numbers rows itself above both ranges, one zone per peer, or nowhere when it would pass idLimit', () => {
    const plan = planIdShards({ first: 'peer-a', second: 'peer-b', sites: FRESH });
    expect(peerNaturalZone(plan, 'peer-a')).toEqual({ lo: 1_200_000_000, hi: 1_300_000_000 });
    expect(peerNaturalZone(plan, 'peer-b')).toEqual({ lo: 1_300_000_000, hi: 1_400_000_000 });
    const fresh32 = planIdShards({ first: 'a', second: 'b', sites: [site({ wp_posts: 12 }, 4)] });
    expect(peerNaturalZone(fresh32, 'b')!.hi).toBeLessThanOrEqual(INT32_ID_LIMIT);
    // Ranges shrunk to fit below 2^31 - 1 leave no room above them.
    const tight = planIdShards({ first: 'a', second: 'b', sites: [site({ wp_posts: 2_000_000_000 }, 4)] });
    expect(peerNaturalZone(tight, 'a')).toBeNull();
    expect(peerNaturalZone(tight, 'b')).toBeNull();
  });

  it('refuses when two ranges of the minimum size no longer fit', () => {
    const nearTop = INT32_ID_LIMIT - 2 * MIN_RANGE_SIZE;
    expect(() => planIdShards({ first: 'a', second: 'b', sites: [site({ wp_posts: nearTop }, 4)] })).toThrow(IdSpaceError);
    expect(() => planIdShards({ first: 'a', second: 'b', sites: [site({ wp_posts: INT32_ID_LIMIT }, 4)] })).toThrow(IdSpaceError);
    // The same IDs fit on 64-bit PHP.
    expect(planIdShards({ first: 'a', second: 'b', sites: [site({ wp_posts: nearTop }, 8)] }).size).toBe(DEFAULT_RANGE_SIZE);
    expect(() => planIdShards({ first: 'a', second: 'a', sites: FRESH })).toThrow(IdSpaceError);
    expect(() => planIdShards({ first: 'a', second: 'b', sites: [] })).toThrow(IdSpaceError);
    expect(() => planIdShards({ first: 'a_b', second: 'b', sites: FRESH })).toThrow();
  });

  it('reports a range as low within a tenth of its size and exhausted with no ID left', () => {
    const plan = planIdShards({ first: 'a', second: 'b', sites: FRESH });
    const range = peerRange(plan, 'a');
    expect(rangeState(plan, range, range.lo)).toBe('ok');
    expect(rangeState(plan, range, range.hi - plan.lowWater - 1)).toBe('ok');
    expect(rangeState(plan, range, range.hi - plan.lowWater)).toBe('low');
    expect(rangeState(plan, range, range.hi - 1)).toBe('low');
    expect(rangeState(plan, range, range.hi)).toBe('exhausted');
  });

  it('serialises a plan in one fixed key order and rejects an invalid one', () => {
    const plan = planIdShards({ first: 'a', second: 'b', sites: FRESH });
    const shuffled = { idLimit: plan.idLimit, lowWater: plan.lowWater, size: plan.size, base: plan.base, second: 'b', first: 'a', version: 1 as const };
    expect(canonicalPlanJson(shuffled)).toBe(canonicalPlanJson(plan));
    expect(canonicalPlanJson(plan)).toBe(
      `{"version":1,"first":"a","second":"b","base":1000000000,"size":100000000,"lowWater":10000000,"idLimit":${INT64_ID_LIMIT}}`,
    );
    expect(() => canonicalPlanJson({ ...plan, size: 10 })).toThrow();
    expect(() => canonicalPlanJson({ ...plan, idLimit: plan.base + plan.size })).toThrow();
  });
});
