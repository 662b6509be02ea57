import { groupRange, readIdShardStatus } from '../../../src/ids';
import type { LinkFaults } from '../../harness/test-link';
import { failuresIn, siteDifferences, startPair, stopPair, syncUntilQuiet, type Combination, type EnginePair, type StartPairOptions } from '../engine-support';
import { errorText, failureReport, saveFailure } from './failure-file';
import { executeOps, installWriteEndpoint, pairTarget, runTabTimer } from './execute-op';
import { highIdsLeft } from './high-ids-left';
import { idHighs, idsBelowRanges } from './id-numbering';
import { minimizeOps, shortestFailingPrefix } from './shrink';
import { generateOps, isWorkloadOp, type ExcludableKind, type Op } from './workload';

/**
 * Runs a fuzz seed: its ops on a fresh pair of sites over a faulty link, then drains and judges
 * convergence. On failure, shrinks to the shortest failing prefix (sites and link are
 * deterministic given the ops and the link seed) and reports it as pasteable JSON.
 */

export interface FuzzSettings {
  readonly combination: Combination;
  /** Seeds the link's duplicates, reorders and delays; a replay must use the failing run's. */
  readonly linkSeed: number;
  readonly faults?: LinkFaults;
  /**
   * Which Playground build the sites behave as (default: `older` on the legacy driver, `current`
   * on AST): an older build's runtime rotation loses `/internal/shared` (the engine's files) and
   * only its primary PHP instance relays `post_message_to_js`; a current build keeps everything
   * and hears every instance.
   */
  readonly build?: 'current' | 'older';
  /**
   * Low IDs on (docs/ids.md), as the product pairs: the first site (the group's first member, the
   * pair's `a`) hands them out; judged also on references left to high IDs it renumbered. Without
   * it they are off (a pair switches them off once live).
   */
  readonly reclaim?: boolean;
}

export function buildOf(settings: FuzzSettings): 'current' | 'older' {
  return settings.build ?? (settings.combination.driver === 'legacy' ? 'older' : 'current');
}

export const FUZZ_FAULTS: LinkFaults = { duplicate: 0.2, reorder: 0.3, delay: 0.2 };

/** File-only changes go out with a flush or a request's drain, never on a timer: timers would make runs differ. */
export const NO_FILE_TIMER_MS = 2 ** 30;

/** How every site of a run boots for its build: who relays messages, what a rotation loses. */
export function buildSiteOptions(settings: FuzzSettings): { messagesFrom: 'all' | 'primary'; rotation?: 'older' } {
  return buildOf(settings) === 'older' ? { messagesFrom: 'primary', rotation: 'older' } : { messagesFrom: 'all' };
}

function pairOptions(settings: FuzzSettings): StartPairOptions {
  const { linkSeed, faults = FUZZ_FAULTS } = settings;
  const { messagesFrom, ...rotation } = buildSiteOptions(settings);
  return {
    faults,
    seed: linkSeed,
    fileSettleMs: NO_FILE_TIMER_MS,
    sites: { messagesFrom },
    rotation: { a: rotation, b: rotation },
    // Low IDs are on from the pairing, as in the product (site a numbers); off unless the run judges them.
    ...(settings.reclaim ? {} : { lowIds: false as const }),
  };
}

export interface SeedResult {
  readonly seed: number;
  readonly ops: readonly Op[];
  /** What went wrong with all ops, or null when the sites converged. */
  readonly problem: string | null;
  readonly shortest?: { readonly ops: readonly Op[]; readonly problem: string };
}

/** A further check on the drained pair (a regression's own expectation): what is wrong, or null. */
export type PairCheck = (pair: EnginePair) => Promise<string | null>;

/**
 * Boots a fresh pair, runs `ops`, syncs until quiet, and returns what is wrong: sites that
 * differ, failed journal lines, deltas left unacknowledged, a full-state copy (a reload must
 * resume without one), rows numbered below the ID ranges (see id-numbering.ts), an op that
 * threw, or what `check` finds. Null: all good.
 */
export async function replayOps(ops: readonly Op[], settings: FuzzSettings, check?: PairCheck): Promise<string | null> {
  const pair = await startPair(settings.combination, `fuzz${settings.linkSeed}`, pairOptions(settings));
  try {
    const before = { a: await idHighs(pair.a), b: await idHighs(pair.b) };
    try {
      await installWriteEndpoint(pair.a);
      await installWriteEndpoint(pair.b);
      await executeOps(pairTarget(pair), ops);
    } catch (error) {
      return errorText(error);
    }
    await drain(pair);
    const differences = await siteDifferences(pair.a, pair.b);
    if (differences !== '') return `the sites differ:\n${differences}`;
    const failures = failuresIn(pair.journal);
    if (failures.length > 0) return `journaled failures:\n${failures.map((entry) => JSON.stringify(entry)).join('\n')}`;
    const pending = pair.peerA.pendingCount + pair.peerB.pendingCount;
    if (pending > 0) return `${pending} deltas left unacknowledged`;
    // Nothing in a run asks for one: a reload resumes from what the site kept.
    const copies = pair.link.log.filter(({ json }) => (JSON.parse(json) as { kind: string }).kind.startsWith('copy-'));
    if (copies.length > 0) return `a full-state copy was made (${copies.length} copy envelopes), first:\n${copies[0]!.json.slice(0, 500)}`;
    const unsharded = [await idsBelowRanges(pair.a, before.a, 'A'), await idsBelowRanges(pair.b, before.b, 'B')].filter(Boolean).join('\n');
    if (unsharded !== '') return `rows numbered outside the ID ranges:\n${unsharded}`;
    if (settings.reclaim) {
      const left = await highIdsLeftInPair(pair);
      if (left !== '') return left;
    }
    return (await check?.(pair)) ?? null;
  } catch (error) {
    return errorText(error);
  } finally {
    await stopPair(pair);
  }
}

/** With low IDs on: what the checker finds on either site (high-ids-left.ts), and `a` not numbering ('' when all is well). */
async function highIdsLeftInPair(pair: EnginePair): Promise<string> {
  const status = await readIdShardStatus(pair.a.client);
  if (!status) return 'a holds no ID shard plan';
  const numbering = pair.peerA.isNumberer;
  const problems = numbering ? [] : ['a was named numberer and does not number'];
  problems.push(...(await highIdsLeft(new Map([['a', pair.a], ['b', pair.b]]), groupRange(status.plan), numbering)));
  return problems.join('\n');
}

/**
 * What the tabs do once the work stops: their timers ask again for a rejoin whose answer a reload
 * lost and put back an engine a rotation took, then everything is flushed and delivered.
 */
async function drain(pair: EnginePair): Promise<void> {
  await runTabTimer(pair.peerA);
  await runTabTimer(pair.peerB);
  await syncUntilQuiet(pair);
}

export interface RunSeedOptions {
  /** Workload kinds not to generate (see KNOWN_BUG_KINDS). */
  readonly exclude?: readonly ExcludableKind[];
  /** Bisect to the shortest failing prefix (default true); off for a quick survey. */
  readonly shrink?: boolean;
  /** After the prefix bisection, also drop ops from the middle (delta debugging; many replays). */
  readonly minimize?: boolean;
  /** Low IDs on (see `FuzzSettings.reclaim`). */
  readonly reclaim?: boolean;
}

export async function runSeed(seed: number, workloadOps: number, combination: Combination, options: RunSeedOptions = {}): Promise<SeedResult> {
  const settings: FuzzSettings = { combination, linkSeed: seed, ...(options.reclaim ? { reclaim: true } : {}) };
  const judge = (ops: readonly Op[]) => replayOps(ops, settings);
  const ops = generateOps(seed, workloadOps, options.exclude);
  const problem = await judge(ops);
  if (problem === null || options.shrink === false) return { seed, ops, problem };
  const prefix = await shortestFailingPrefix(ops, problem, judge);
  if (!options.minimize) return { seed, ops, problem, shortest: prefix };
  const minimal = await minimizeOps(prefix, judge, (progress) => saveProgress(seed, combination, progress));
  return { seed, ops, problem, shortest: minimal };
}

/** The seed, the shortest failing prefix as JSON for a regression test, and its problem; also saved under .cache/fuzz-failures/. */
export function describeFailure(result: SeedResult, combination: Combination, reclaim = false): string {
  const shortest = result.shortest ?? { ops: result.ops, problem: result.problem ?? '' };
  const settings = JSON.stringify({ combination, linkSeed: result.seed, ...(reclaim ? { reclaim } : {}) });
  const text = failureReport({
    headline: `Fuzz seed ${result.seed} (${combination.driver} driver, WordPress ${combination.wp}${reclaim ? ', low IDs on' : ''}) failed after ${result.ops.length} ops.`,
    replay: `replayOps(OPS, ${settings})`,
    opType: 'Op',
    ops: shortest.ops,
    problem: shortest.problem,
    allOpsProblem: result.problem,
  });
  saveFailure(`seed-${result.seed}-${combination.driver}-${combination.wp}${reclaim ? '-reclaim' : ''}.txt`, text);
  return text;
}

export function countWorkloadOps(ops: readonly Op<string>[]): number {
  return ops.filter(isWorkloadOp).length;
}

function saveProgress(seed: number, combination: Combination, ops: readonly Op[]): void {
  saveFailure(`seed-${seed}-${combination.driver}-${combination.wp}.minimizing.json`, JSON.stringify(ops, null, 1));
}
