import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Integration and E2E files known to run longest start first, so on CI's two workers the last
 * minutes are not one long file running alone (a clean checkout has no timings for vitest to sort
 * by). Measured on a 2-core machine (2026-12-06); the rest keep vitest's own order.
 */
const LONGEST_FIRST = [
  'test/integration/fuzz/group-fuzz-regressions.test.ts',
  'test/integration/engine-group.test.ts',
  'test/integration/id-shards.test.ts',
  'test/integration/fuzz/fuzz.test.ts',
  'test/integration/engine-rotation.test.ts',
  'test/integration/engine-copy.test.ts',
  'test/integration/engine-resume.test.ts',
  'test/integration/engine-concurrency.test.ts',
  'test/integration/db-sync.test.ts',
  'test/integration/harness.test.ts',
  'test/integration/engine-import.test.ts',
  'test/integration/fuzz/fuzz-regressions.test.ts',
  'test/integration/engine-unpair.test.ts',
  'test/integration/engine-sync.test.ts',
  'test/integration/engine-delivery.test.ts',
  'test/integration/engine-reclaim.test.ts',
  'test/integration/reclaim-ids.test.ts',
  'test/integration/engine-versions.test.ts',
  'test/integration/group-coordinator.test.ts',
  'test/integration/copy-recovery.test.ts',
  'test/integration/db-replay.test.ts',
  'test/integration/content-summary.test.ts',
  'test/integration/engine-conflicts.test.ts',
  'test/e2e/journeys-sites.test.ts',
  'test/e2e/extension-sync.test.ts',
  'test/e2e/standin-contract.test.ts',
  'test/e2e/journeys-editing.test.ts',
  'test/e2e/journeys-size.test.ts',
  'test/e2e/journeys-group.test.ts',
  'test/e2e/journeys-low-ids.test.ts',
  'test/e2e/extension-older-build.test.ts',
  'test/e2e/extension-unpair.test.ts',
  'test/e2e/popup-status.test.ts',
  'test/e2e/extension-faults.test.ts',
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = LONGEST_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return at < 0 ? LONGEST_FIRST.length : at;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
