import { describe, expect, it } from 'vitest';
import { countWorkloadOps, describeFailure, runSeed } from './run-fuzz';
import { fuzzPlan } from './fuzz-plan';

/**
 * Convergence fuzzing: seeded random workloads on both sites at once, synced in random order
 * over a link that duplicates, reorders and delays, must leave both sites with the same rows and
 * files. The CI set is fixed; `npm run fuzz -- --seeds N --from S` runs others.
 */

describe.each(fuzzPlan(process.env))('convergence fuzz (low IDs: $reclaim), WordPress $combination.wp on the $combination.driver driver', ({ combination, seeds, workloadOps, exclude, shrink, minimize, reclaim }) => {
  it.each(seeds)(`seed %i converges after ${workloadOps} workload ops`, async (seed) => {
    const result = await runSeed(seed, workloadOps, combination, { exclude, shrink, minimize, reclaim });
    expect(countWorkloadOps(result.ops)).toBe(workloadOps);
    expect(result.problem === null ? 'converged' : describeFailure(result, combination, reclaim)).toBe('converged');
  }, 1_200_000);
});
