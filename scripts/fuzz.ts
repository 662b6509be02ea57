/**
 * `npm run fuzz -- --seeds N --from S [--ops K] [--combination legacy:6.5] [--minimize | --no-shrink] [--all-kinds]`: runs N
 * convergence-fuzz seeds from S through vitest (the engine's PHP comes in as `?raw` imports, which
 * only vite resolves). Failures are printed and saved under .cache/fuzz-failures/.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    from: { type: 'string', default: '100' },
    ops: { type: 'string', default: '200' },
    combination: { type: 'string', default: 'ast:nightly' },
    minimize: { type: 'boolean', default: false },
    'no-shrink': { type: 'boolean', default: false },
    'all-kinds': { type: 'boolean', default: false },
  },
});

const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', 'test/integration/fuzz/fuzz.test.ts'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    FUZZ_SEEDS: values.seeds,
    FUZZ_FROM: values.from,
    FUZZ_OPS: values.ops,
    FUZZ_COMBINATION: values.combination,
    FUZZ_MINIMIZE: values.minimize ? '1' : '0',
    FUZZ_SHRINK: values['no-shrink'] ? '0' : '1',
    FUZZ_ALL_KINDS: values['all-kinds'] ? '1' : '0',
  },
});
process.exit(run.status ?? 1);
