import type { Op } from './workload';

/** Replays ops on fresh sites: what went wrong, or null. */
export type Judge<O extends Op<string> = Op> = (ops: readonly O[]) => Promise<string | null>;

export interface Shrunk<O extends Op<string> = Op> {
  readonly ops: O[];
  readonly problem: string;
}

/** Bisects on prefix length: the returned prefix fails, one op shorter passed (sites are deterministic given the ops). */
export async function shortestFailingPrefix<O extends Op<string>>(ops: readonly O[], problem: string, judge: Judge<O>): Promise<Shrunk<O>> {
  let passing = 0;
  let failing = ops.length;
  let failingProblem = problem;
  while (failing - passing > 1) {
    const length = Math.floor((passing + failing) / 2);
    const found = await judge(ops.slice(0, length));
    if (found === null) passing = length;
    else [failing, failingProblem] = [length, found];
  }
  return { ops: ops.slice(0, failing), problem: failingProblem };
}

/**
 * Delta debugging on a failing op list: drops every op of one kind, then chunks (halves, then quarters, … single ops)
 * while the rest still fails the same way. Slow (many replays); `npm run fuzz -- --minimize`.
 * Dropping ops shifts what later `pick`s select, which is fine: any list that fails is a repro.
 */
export async function minimizeOps<O extends Op<string>>(start: Shrunk<O>, judge: Judge<O>, onProgress?: (ops: readonly O[]) => void): Promise<Shrunk<O>> {
  let current = start;
  const wanted = problemSignature(start.problem)[0];
  const stillFails = async (candidate: O[]) => {
    const problem = await judge(candidate);
    if (problem === null || wanted === undefined || !problemSignature(problem).includes(wanted)) return false;
    current = { ops: candidate, problem };
    onProgress?.(candidate);
    return true;
  };
  // Whole kinds first (all uploads, all term ops, …): few replays, usually most of the list.
  for (const kind of new Set(current.ops.map((op) => op.kind))) {
    if (current.ops.some((op) => op.kind !== kind)) await stillFails(current.ops.filter((op) => op.kind !== kind));
  }
  let chunk = Math.ceil(current.ops.length / 2);
  for (;;) {
    // From the end down, so a removal leaves the positions still to try where they were.
    for (let at = current.ops.length - chunk; at >= 0; at -= chunk) {
      await stillFails([...current.ops.slice(0, at), ...current.ops.slice(at + chunk)]);
    }
    if (chunk === 1) break;
    chunk = Math.ceil(chunk / 2);
  }
  return current;
}

/**
 * What kind of failure a problem text is, coarse enough to survive shrinking: `threw`,
 * `journal`, `pending`, `ids`, or per differing place `file` / a table name.
 */
export function problemSignature(problem: string): string[] {
  if (problem.startsWith('the sites differ:')) {
    const places = problem
      .split('\n')
      .slice(1)
      .map((line) => (line.startsWith('file ') ? 'file' : /^[^[:\s]+/.exec(line)?.[0] ?? line));
    return [...new Set(places)];
  }
  if (problem.startsWith('journaled failures:')) return ['journal'];
  if (/deltas left unacknowledged/.test(problem)) return ['pending'];
  if (problem.startsWith('rows numbered outside the ID ranges:')) return ['ids'];
  return ['threw'];
}
