import type { SqliteDriverId, WordPressVersionId } from '../../harness';
import type { Combination } from '../engine-support';
import type { ExcludableKind } from './workload';

/** Which seeds run on which combination: the fixed CI set, or what `npm run fuzz` asks for through the environment. */
export interface FuzzRun {
  readonly combination: Combination;
  readonly seeds: readonly number[];
  readonly workloadOps: number;
  /** Workload kinds not generated. */
  readonly exclude: readonly ExcludableKind[];
  /** Bisect a failure to its shortest failing prefix. */
  readonly shrink: boolean;
  /** Shrink failures beyond the shortest prefix (delta debugging; slow). */
  readonly minimize: boolean;
  /** Low IDs on: the first site hands them out (docs/ids.md). */
  readonly reclaim: boolean;
}

/**
 * Kinds that hit product bugs already reported (fuzz-regressions.test.ts): left out of the CI set
 * so it stays a guard against new ones. Empty this list as the fixes land.
 */
export const KNOWN_BUG_KINDS: readonly ExcludableKind[] = [];

// One seed per driver keeps CI inside its budget (each takes 45–60 s on a 2-core machine); hundreds
// more run locally with `npm run fuzz`. Low IDs on, as the product pairs.
const CI_PLAN: readonly FuzzRun[] = [
  { combination: { driver: 'ast', wp: 'nightly' }, seeds: [3], workloadOps: 200, exclude: KNOWN_BUG_KINDS, shrink: true, minimize: false, reclaim: true },
  { combination: { driver: 'legacy', wp: '6.5' }, seeds: [1002], workloadOps: 200, exclude: KNOWN_BUG_KINDS, shrink: true, minimize: false, reclaim: true },
];

/**
 * FUZZ_SEEDS=N FUZZ_FROM=S: N seeds from S instead of the CI set; FUZZ_OPS: workload ops per
 * seed (200); FUZZ_COMBINATION: `driver:wp` (ast:nightly); FUZZ_ALL_KINDS=1: known-bug kinds too; FUZZ_SHRINK=0: report
 * failures unshrunk; FUZZ_MINIMIZE=1: shrink them further than the shortest prefix; FUZZ_RECLAIM=1: low IDs on.
 */
export function fuzzPlan(env: NodeJS.ProcessEnv): readonly FuzzRun[] {
  if (!env.FUZZ_SEEDS) return CI_PLAN;
  const [driver = 'ast', wp = 'nightly'] = (env.FUZZ_COMBINATION ?? 'ast:nightly').split(':');
  return [
    {
      combination: { driver: driver as SqliteDriverId, wp: wp as WordPressVersionId },
      seeds: range(Number(env.FUZZ_FROM ?? 1), Number(env.FUZZ_SEEDS)),
      workloadOps: Number(env.FUZZ_OPS ?? 200),
      exclude: env.FUZZ_ALL_KINDS === '1' ? [] : KNOWN_BUG_KINDS,
      shrink: env.FUZZ_SHRINK !== '0',
      minimize: env.FUZZ_MINIMIZE === '1',
      reclaim: env.FUZZ_RECLAIM === '1',
    },
  ];
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Which group seeds run: on a group that starts with `members` members; `reclaim`: its first member hands out low IDs. */
export interface GroupFuzzRun extends FuzzRun {
  readonly members: number;
}

// Two seeds of three members and one of five, 20 workload ops each, keep the file inside CI's
// budget (about 45 s on a 2-core machine); each holds two kinds of membership change: seed 4 a
// leave and a join, 312 a join and the joiner's restore, 386 (five members) a join and a restore
// from the joiner's copy. (Seed 45 with five members found a bug: see
// group-fuzz-regressions.test.ts.)
// Hundreds more run locally with `npm run fuzz -- --members 3`.
// One seed of five members in CI (joins, leaves and restores among them; about 40 s): the budget takes no more.
const GROUP_CI_PLAN: readonly GroupFuzzRun[] = [{ ...CI_PLAN[0]!, members: 5, seeds: [386], workloadOps: 20, reclaim: false }];

/**
 * FUZZ_GROUP_SEEDS=N FUZZ_GROUP_FROM=S: N group seeds from S instead of the CI set;
 * FUZZ_GROUP_MEMBERS: members at the start (3); FUZZ_GROUP_OPS: workload ops per seed (200);
 * FUZZ_RECLAIM=1: the first member hands out low IDs; FUZZ_COMBINATION, FUZZ_ALL_KINDS,
 * FUZZ_SHRINK, FUZZ_MINIMIZE as for pairs.
 */
export function groupFuzzPlan(env: NodeJS.ProcessEnv): readonly GroupFuzzRun[] {
  if (!env.FUZZ_GROUP_SEEDS) return GROUP_CI_PLAN;
  const [pairRun] = fuzzPlan({ ...env, FUZZ_SEEDS: env.FUZZ_GROUP_SEEDS, FUZZ_FROM: env.FUZZ_GROUP_FROM, FUZZ_OPS: env.FUZZ_GROUP_OPS });
  return [{ ...pairRun!, members: Number(env.FUZZ_GROUP_MEMBERS ?? 3) }];
}
