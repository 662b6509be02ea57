import { describe, expect, it } from 'vitest';
import { handsOver, mergedReports, reachOf } from '../../src/engine/peer/numberer-handoff';

describe('reachOf: how far a former numberer’s deltas reach across the members, without a hole', () => {
  it('goes from the furthest applied on through the runs any member holds', () => {
    expect(reachOf([{ origin: 'b', upTo: 6, applied: 6, runs: [] }, { origin: 'b', upTo: 7, applied: 2, runs: [[7, 7]] }])).toBe(7);
    expect(reachOf([{ origin: 'b', upTo: 4, applied: 2, runs: [[3, 4]] }, { origin: 'b', upTo: 9, applied: 2, runs: [[5, 6], [8, 9]] }])).toBe(6);
  });

  it('stops at a hole no member fills: what lies behind it is applied nowhere', () => {
    expect(reachOf([{ origin: 'b', upTo: 7, applied: 2, runs: [[7, 7]] }, { origin: 'b', upTo: 2, applied: 2, runs: [] }])).toBe(2);
  });

  it('counts everything up to upTo as held when a member named no runs (too many to say)', () => {
    expect(reachOf([{ origin: 'b', upTo: 900 }, { origin: 'b', upTo: 3, applied: 3, runs: [] }])).toBe(900);
    expect(reachOf([])).toBe(0);
  });
});

describe('mergedReports: one member’s answers about one former numberer, in any order', () => {
  it('keeps the furthest applied and every run held, so an older answer that comes last lowers nothing', () => {
    const newer = { origin: 'b', upTo: 6, applied: 6, runs: [] as [number, number][] };
    const older = { origin: 'b', upTo: 4, applied: 2, runs: [[3, 4]] as [number, number][] };
    expect(reachOf([mergedReports(newer, older), { origin: 'b', upTo: 7, applied: 2, runs: [[7, 7]] }])).toBe(7);
    expect(mergedReports(older, newer)).toMatchObject({ upTo: 6, applied: 6 });
  });

  it('falls back to how far, when either answer named no runs', () => {
    expect(mergedReports({ origin: 'b', upTo: 900 }, { origin: 'b', upTo: 3, applied: 3, runs: [] })).toEqual({ origin: 'b', upTo: 900 });
  });
});

describe('handsOver: whether a new naming of the numberer is a handoff', () => {
  it('is one when it names a former numberer not known before', () => {
    expect(handsOver({ numbererPeer: 'a', formers: [] }, { numbererPeer: 'b', formers: ['a'] })).toBe(true);
  });

  it('is one when the numberer known is a former one now, even with no new former (it numbered in an earlier life too)', () => {
    expect(handsOver({ numbererPeer: 'c', formers: ['a', 'b', 'c', 'd'] }, { numbererPeer: 'd', formers: ['a', 'b', 'd', 'c'] })).toBe(true);
  });

  it('is none when the same naming comes again, or when a site is named without the numberer it knew having left', () => {
    expect(handsOver({ numbererPeer: 'b', formers: ['a'] }, { numbererPeer: 'b', formers: ['a'] })).toBe(false);
    expect(handsOver({ numbererPeer: 'b', formers: ['a'] }, { numbererPeer: 'a', formers: [] })).toBe(false);
    expect(handsOver({ numbererPeer: undefined, formers: [] }, { numbererPeer: 'a', formers: [] })).toBe(false);
  });
});
