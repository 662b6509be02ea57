import { MAX_HELD_RUNS } from '../../sync/wire';
import type { GroupLinks, LinkParts } from './group-links';

/** How often a new numberer asks again the members that have not said how far they hold a former numberer's deltas. */
export const HANDOFF_ASK_EVERY_MS = 2_000;

export interface HandoffContext {
  readonly peerId: string;
  readonly links: GroupLinks;
  /** Whether this site still waits for some member's old life (that member starts over, see Membership.reset). */
  readonly reconciling: (member: string) => boolean;
  /** Whether this site may ask now (its deltas flow: not paused, rejoining or waiting for a copy). */
  readonly mayAsk: () => boolean;
  /** Asks `to` how far it holds the deltas of `origins` (wire.ts, `numbering-ask`). */
  readonly ask: (to: LinkParts, origins: readonly string[]) => void;
  /** Caught up with every former numberer: this site may hand out low IDs now. */
  readonly onReady: () => void;
  readonly askEveryMs?: number;
}

/** What a member said it holds of a former numberer's deltas. */
export interface HeldUpTo {
  readonly origin: string;
  /** The furthest of them it has, applied or waiting. */
  readonly upTo: number;
  /** How far it applied them, and the runs of seqs (first, last) it holds past that; without them, every seq up to `upTo` counts as held. */
  readonly applied?: number;
  readonly runs?: [number, number][];
}

/**
 * This site was named the group's numberer in place of members that numbered before it
 * (docs/ids.md, "A new numberer"). It hands out no low ID before it has every renumbering those
 * gave that any member has, so its next low IDs are past all of theirs:
 * - a former numberer that left: every member says how far it holds its deltas, applied or
 *   waiting (`numbering-held`); this site waits until it has applied as far as they reach
 *   together without a hole. A member that holds more applies it and relays it
 *   (Membership.applied), so it comes here. A delta behind seqs no member has (lost with the
 *   numberer's tab) is applied nowhere: it holds nothing up (fuzz seed 15036);
 * - a former numberer that started over: its old life is reconciled here (Membership.reset) once
 *   this site has applied it as far as any member had it; the copy that restored it holds as much.
 * A member that never answers keeps low IDs waiting (rows keep their high IDs meanwhile): taking
 * one without its word could give an ID twice.
 */
export class NumbererHandoff {
  private formers: readonly string[] = [];
  /** By former numberer that left, by member: what the member said it holds of its deltas, every answer merged. */
  private readonly said = new Map<string, Map<string, HeldUpTo>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private caughtUp = true;

  constructor(private readonly context: HandoffContext) {}

  /** Whether this site has every former numberer's deltas any member has (see the class). */
  get ready(): boolean {
    return this.caughtUp;
  }

  /** This site was named numberer after `formers`: it catches up with them before it numbers. */
  catchUpWith(formers: readonly string[]): void {
    this.stop();
    this.formers = [...new Set(formers)].filter((former) => former !== this.context.peerId);
    this.said.clear();
    this.caughtUp = this.formers.length === 0;
    if (this.caughtUp) return;
    this.askAll();
    this.timer = setInterval(() => this.nudge(), this.context.askEveryMs ?? HANDOFF_ASK_EVERY_MS);
    this.check();
  }

  /** `member` answered how far it holds the former numberers' deltas (`numbering-held`). */
  told(member: string, held: readonly HeldUpTo[]): void {
    if (this.caughtUp) return;
    for (const report of held) {
      if (!this.formers.includes(report.origin)) continue;
      const byMember = this.said.get(report.origin) ?? new Map<string, HeldUpTo>();
      // Answers may come out of order: what a member held once it still holds, or has applied since.
      const before = byMember.get(member);
      byMember.set(member, before ? mergedReports(before, report) : report);
      this.said.set(report.origin, byMember);
    }
    this.check();
  }

  /**
   * `member` starts over from a copy: what it said it held went with its old life (a delta only
   * it had applied is applied nowhere now), so only its next answer counts (fuzz seed 15072).
   */
  startedOver(member: string): void {
    for (const byMember of this.said.values()) byMember.delete(member);
    this.check();
  }

  /** Looks again, and asks again those not caught up with (a flush: the page's timer, or a test's). */
  nudge(): void {
    this.check();
    if (!this.caughtUp) this.askAll();
  }

  /** Looks again (deltas were applied, a member left or was reconciled). */
  check(): void {
    if (this.caughtUp || !this.formers.every((former) => this.caughtUpWith(former))) return;
    this.stop();
    this.caughtUp = true;
    this.context.onReady();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private caughtUpWith(former: string): boolean {
    const { links, reconciling } = this.context;
    if (links.get(former)) return !reconciling(former);
    const own = links.departed(former);
    // What of it can be applied here now (it waits for bytes or another member's delta) first.
    if (own && own.link.ready().length > 0) return false;
    const said = this.said.get(former);
    if (!links.all().every((parts) => said?.has(parts.remotePeerId))) return false;
    const applied = own?.link.appliedUpTo ?? 0;
    return applied >= reachOf([...(own ? [heldReport(former, own)] : []), ...said!.values()]);
  }

  private askAll(): void {
    if (!this.context.mayAsk()) return;
    for (const parts of this.context.links.all()) this.context.ask(parts, this.formers);
  }
}

/** Who numbers the group, and who numbered before (oldest first), as a site knows it. */
export interface Numbering {
  readonly numbererPeer: string | undefined;
  readonly formers: readonly string[];
}

/**
 * Whether `next` hands numbering over since `known` (a numberer left or started over): it names a
 * former numberer `known` did not, or the numberer `known` named is a former one now. The formers
 * alone may not change: a member that numbered in an earlier life can number again, and hand over
 * again (fuzz seeds 15045, 13027, 13049).
 */
export function handsOver(known: Numbering, next: Numbering): boolean {
  if (next.formers.some((former) => !known.formers.includes(former))) return true;
  return known.numbererPeer !== undefined && known.numbererPeer !== next.numbererPeer && next.formers.includes(known.numbererPeer);
}

/**
 * What this site answers a new numberer (`numbering-ask`): for each of `origins` no longer a
 * member here, the furthest of its deltas this site has, applied or waiting. One still a member
 * here is left out: this site has not seen it leave yet, and the asker asks again.
 */
export function heldOf(links: GroupLinks, origins: readonly string[]): HeldUpTo[] {
  return origins.flatMap((origin) => {
    if (links.get(origin)) return [];
    const parts = links.departed(origin);
    return [parts ? heldReport(origin, parts) : { origin, upTo: 0, applied: 0, runs: [] }];
  });
}

/** What this site holds of `origin`'s deltas through `parts`; past MAX_HELD_RUNS runs, only how far. */
function heldReport(origin: string, parts: LinkParts): HeldUpTo {
  const applied = parts.link.appliedUpTo;
  const runs = runsOf(parts.link.unapplied().map((batch) => batch.seq).filter((seq) => seq > applied));
  const upTo = Math.max(applied, ...runs.map(([, last]) => last));
  return runs.length > MAX_HELD_RUNS ? { origin, upTo } : { origin, upTo, applied, runs };
}

/** Two answers of one member about one origin as one: what it held once it still holds, or has applied since. */
export function mergedReports(a: HeldUpTo, b: HeldUpTo): HeldUpTo {
  const upTo = Math.max(a.upTo, b.upTo);
  if (!a.runs || !b.runs) return { origin: a.origin, upTo };
  return { origin: a.origin, upTo, applied: Math.max(a.applied ?? 0, b.applied ?? 0), runs: [...a.runs, ...b.runs] };
}

/** Ascending seqs as runs of consecutive ones. */
function runsOf(seqs: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const seq of seqs) {
    const last = runs.at(-1);
    if (last && seq === last[1] + 1) last[1] = seq;
    else if (!last || seq > last[1]) runs.push([seq, seq]);
  }
  return runs;
}

/**
 * How far the deltas the reports name reach without a hole: from the furthest any member applied
 * (a report without runs: its `upTo`), on through the runs any member holds.
 */
export function reachOf(reports: readonly HeldUpTo[]): number {
  let reach = Math.max(0, ...reports.map((report) => (report.runs ? (report.applied ?? 0) : report.upTo)));
  const runs = reports.flatMap((report) => report.runs ?? []);
  for (let moved = true; moved; ) {
    moved = false;
    for (const [first, last] of runs) {
      if (first <= reach + 1 && last > reach) {
        reach = last;
        moved = true;
      }
    }
  }
  return reach;
}
