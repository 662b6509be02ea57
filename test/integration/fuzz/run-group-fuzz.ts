import { groupRange } from '../../../src/ids';
import { failuresIn } from '../engine-support';
import { TestGroup } from '../group-support';
import { errorText, failureReport, saveFailure } from './failure-file';
import { executeOps, installWriteEndpoint, runTabTimer } from './execute-op';
import { groupTarget } from './group-target';
import { highIdsLeft } from './high-ids-left';
import { firstMembers, generateGroupOps, type GroupOp } from './group-workload';
import { idHighs, idsBelowRanges } from './id-numbering';
import { buildSiteOptions, FUZZ_FAULTS, NO_FILE_TIMER_MS, type FuzzSettings, type RunSeedOptions } from './run-fuzz';
import { minimizeOps, shortestFailingPrefix } from './shrink';
import type { Combination } from '../engine-support';

/**
 * Runs a group fuzz seed: its ops on a fresh sync group (`TestGroup`, members `m1` … `m<members>`
 * made equal, sites booted alike) over one faulty link, members joining, leaving and being
 * restored as the ops say; then drains and judges. On failure, shrinks as the pair fuzzer does.
 */

export interface GroupFuzzSettings extends FuzzSettings {
  /** Members the group starts with. */
  readonly members: number;
}

/** A further check on the drained group (a regression's own expectation): what is wrong, or null. */
export type GroupCheck = (group: TestGroup) => Promise<string | null>;

export interface GroupSeedResult {
  readonly seed: number;
  readonly members: number;
  readonly ops: readonly GroupOp[];
  readonly problem: string | null;
  readonly shortest?: { readonly ops: readonly GroupOp[]; readonly problem: string };
}

/**
 * Boots a fresh group, runs `ops`, syncs until quiet, and returns what is wrong: live members that
 * differ, failed or rejected journal lines, deltas some member left unacknowledged, a copy a
 * member still here asked for and not installed, rows numbered below the ID ranges on any member,
 * an op that threw, or what `check` finds. Null: all good.
 */
export async function replayGroupOps(ops: readonly GroupOp[], settings: GroupFuzzSettings, check?: GroupCheck): Promise<string | null> {
  const group = new TestGroup(settings.combination, `gfuzz${settings.linkSeed}`, {
    faults: settings.faults ?? FUZZ_FAULTS,
    seed: settings.linkSeed,
    peer: { fileSettleMs: NO_FILE_TIMER_MS },
    sites: buildSiteOptions(settings),
    onBoot: installWriteEndpoint,
    ...(settings.reclaim ? { numberer: firstMembers(settings.members)[0]! } : {}),
  });
  try {
    const members = firstMembers(settings.members);
    for (const member of members) await group.boot(member);
    await group.create(members, members[0]!, false);
    // Every member's rows come from the first site or from changes since: one baseline for all, joiners too.
    const before = await idHighs(group.site(members[0]!));
    try {
      await executeOps(groupTarget(group), ops);
    } catch (error) {
      return errorText(error);
    }
    await drain(group);
    const differences = await group.differences();
    if (differences !== '') return `the sites differ:\n${differences}`;
    const failures = failuresIn(group.journal);
    if (failures.length > 0) return `journaled failures:\n${failures.map((entry) => JSON.stringify(entry)).join('\n')}`;
    const pending = group.members.filter((member) => group.peer(member).pendingCount > 0);
    if (pending.length > 0) return `deltas left unacknowledged on ${pending.map((member) => `${member} (${group.peer(member).pendingCount})`).join(', ')}`;
    // A member that left mid-copy never heard how its copy ended: only the members still here count.
    const stillCopying = group.members.filter((member) => group.copySourceOf(member) !== undefined);
    const notInstalled = group.copies.filter((error) => error !== undefined);
    if (stillCopying.length > 0 || notInstalled.length > 0) {
      return `copies not installed: ${stillCopying.map((member) => `${member} still waits for its copy from ${group.copySourceOf(member)}`).concat(notInstalled.map(String)).join('; ')}`;
    }
    const unsharded: string[] = [];
    for (const member of group.members) unsharded.push(await idsBelowRanges(group.site(member), before, member));
    if (unsharded.some(Boolean)) return `rows numbered outside the ID ranges:\n${unsharded.filter(Boolean).join('\n')}`;
    if (settings.reclaim) {
      const left = await highIdsLeftInGroup(group);
      if (left !== '') return left;
    }
    return (await check?.(group)) ?? null;
  } catch (error) {
    return errorText(error);
  } finally {
    await group.stop();
  }
}

/** With low IDs on: what the checker finds on any member (high-ids-left.ts), and a numberer named that does not number ('' when all is well). */
async function highIdsLeftInGroup(group: TestGroup): Promise<string> {
  const { numberer } = group;
  const named = numberer !== undefined && group.members.includes(numberer);
  const numbering = named && group.peer(numberer).isNumberer;
  const problems = named && !numbering ? [`${numberer} was named numberer and does not number`] : [];
  problems.push(...(await highIdsLeft(new Map(group.members.map((member) => [member, group.site(member)])), groupRange(group.idPlan), numbering)));
  return problems.join('\n');
}

/** What the members' tabs do once the work stops (their timers, see runTabTimer), then everything flushed and delivered. */
async function drain(group: TestGroup): Promise<void> {
  for (const member of group.members) await runTabTimer(group.peer(member));
  await group.sync();
}

export async function runGroupSeed(seed: number, workloadOps: number, members: number, combination: Combination, options: RunSeedOptions = {}): Promise<GroupSeedResult> {
  const settings: GroupFuzzSettings = { combination, linkSeed: seed, members, ...(options.reclaim ? { reclaim: true } : {}) };
  const judge = (ops: readonly GroupOp[]) => replayGroupOps(ops, settings);
  const ops = generateGroupOps(seed, workloadOps, members, options.exclude);
  const problem = await judge(ops);
  if (problem === null || options.shrink === false) return { seed, members, ops, problem };
  const prefix = await shortestFailingPrefix(ops, problem, judge);
  if (!options.minimize) return { seed, members, ops, problem, shortest: prefix };
  const name = failureName(seed, members, combination);
  const minimal = await minimizeOps(prefix, judge, (progress) => saveFailure(`${name}.minimizing.json`, JSON.stringify(progress, null, 1)));
  return { seed, members, ops, problem, shortest: minimal };
}

/** The seed, the member count, the shortest failing op list as JSON for a regression test, and its problem; also saved under .cache/fuzz-failures/. */
export function describeGroupFailure(result: GroupSeedResult, combination: Combination, reclaim = false): string {
  const shortest = result.shortest ?? { ops: result.ops, problem: result.problem ?? '' };
  const settings = JSON.stringify({ combination, linkSeed: result.seed, members: result.members, ...(reclaim ? { reclaim } : {}) });
  const text = failureReport({
    headline: `Group fuzz seed ${result.seed}, ${result.members} members (${combination.driver} driver, WordPress ${combination.wp}) failed after ${result.ops.length} ops.`,
    replay: `replayGroupOps(OPS, ${settings})`,
    opType: 'GroupOp',
    ops: shortest.ops,
    problem: shortest.problem,
    allOpsProblem: result.problem,
  });
  saveFailure(`${failureName(result.seed, result.members, combination)}${reclaim ? '-reclaim' : ''}.txt`, text);
  return text;
}

function failureName(seed: number, members: number, combination: Combination): string {
  return `group-seed-${seed}-${members}-members-${combination.driver}-${combination.wp}`;
}
