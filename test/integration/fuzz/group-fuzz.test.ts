import { describe, expect, it } from 'vitest';
import { countWorkloadOps } from './run-fuzz';
import { describeGroupFailure, runGroupSeed } from './run-group-fuzz';
import { groupFuzzPlan } from './fuzz-plan';

/**
 * Convergence fuzzing of sync groups: seeded random workloads on every member, members joining,
 * leaving and restored after a reload, synced in random order over a link that duplicates,
 * reorders and delays, must leave every live member with the same rows and files. The CI set is
 * fixed; `npm run fuzz -- --members 3 --seeds N --from S` runs others.
 */

describe.each(groupFuzzPlan(process.env))(
  'group convergence fuzz, $members members (low IDs: $reclaim), WordPress $combination.wp on the $combination.driver driver',
  ({ combination, members, seeds, workloadOps, exclude, shrink, minimize, reclaim }) => {
    it.each(seeds)(`seed %i converges after ${workloadOps} workload ops`, async (seed) => {
      const result = await runGroupSeed(seed, workloadOps, members, combination, { exclude, shrink, minimize, reclaim });
      expect(countWorkloadOps(result.ops)).toBe(workloadOps);
      expect(result.problem === null ? 'converged' : describeGroupFailure(result, combination, reclaim)).toBe('converged');
    }, 1_200_000);
  },
);
