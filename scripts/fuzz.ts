/**
 * `npm run fuzz -- --seeds N --from S [--ops K] [--combination legacy:6.5] [--minimize | --no-shrink] [--all-kinds] [--reclaim]`:
 * runs N convergence-fuzz seeds from S through vitest (the engine's PHP comes in as `?raw` imports,
 * which only vite resolves). `--members M`: group seeds instead, on a sync group that starts with M
 * members (group-fuzz.test.ts). `--reclaim`: low IDs on, handed out by the first member (the
 * pair's site a: its reloads resume a saved numberer), judged also on high IDs left (docs/ids.md).
 * Failures are printed and saved under .cache/fuzz-failures/.
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
    members: { type: 'string' },
    reclaim: { type: 'boolean', default: false },
  },
});

const seeds = values.members
  ? { file: 'group-fuzz.test.ts', env: { FUZZ_GROUP_SEEDS: values.seeds, FUZZ_GROUP_FROM: values.from, FUZZ_GROUP_OPS: values.ops, FUZZ_GROUP_MEMBERS: values.members } }
  : { file: 'fuzz.test.ts', env: { FUZZ_SEEDS: values.seeds, FUZZ_FROM: values.from, FUZZ_OPS: values.ops } };

const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', `test/integration/fuzz/${seeds.file}`], {
  stdio: 'inherit',
  env: {
    ...process.env,
    ...seeds.env,
    FUZZ_COMBINATION: values.combination,
    FUZZ_MINIMIZE: values.minimize ? '1' : '0',
    FUZZ_SHRINK: values['no-shrink'] ? '0' : '1',
    FUZZ_ALL_KINDS: values['all-kinds'] ? '1' : '0',
    FUZZ_RECLAIM: values.reclaim ? '1' : '0',
  },
});
process.exit(run.status ?? 1);
