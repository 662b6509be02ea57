import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/longest-first-sequencer';

// Three layers, run one after another by `npm test`. Integration and E2E boot real WordPress
// (PHP WASM in Node, or Chromium with the offline stand-in). An integration file keeps one core
// busy (PHP WASM runs on the JS thread), so two run at once; E2E files too (each has its own
// stand-in on its own port and its own profile, and much of a journey is waiting: polls, autosave,
// the service worker's idle stop): 8.5 minutes instead of 15 on two cores.
export default defineConfig({
  test: {
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        // Seeded runs of the file recorder wait on timers, not the CPU: many at once (it.concurrent). They run
        // beside the typecheck and lint (scripts/run-tests.ts): a busy machine is no reason for a unit test to fail.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'], environment: 'node', maxConcurrency: 20, testTimeout: 30_000 },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
          pool: 'forks',
        },
      },
      {
        // Benchmarks, not tests: `npm run bench` runs them and writes bench/RESULTS.md.
        test: {
          name: 'bench',
          include: ['bench/**/*.bench.ts'],
          testTimeout: 900_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
          pool: 'forks',
        },
      },
    ],
  },
});
