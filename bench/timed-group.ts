import { expect } from 'vitest';
import type { JournalEntry } from '../src/protocol/journal-entry';
import { PromptDelivery } from '../test/harness/prompt-delivery';
import { TestGroup } from '../test/integration/group-support';
import { failuresIn, inWordPress } from '../test/integration/engine-support';
import { COMBINATION } from './pair';

export interface ChangeTiming {
  /** Commit on the origin → its delta made and handed to the links: the request's drain, the pull, the delta. */
  readonly sentMs: number;
  /** Commit on the origin → applied, for each other member. */
  readonly appliedMs: ReadonlyMap<string, number>;
}

/** A delivery is finished when nothing moved on the link for this long (file changes settle for 10 ms). */
const QUIET_MS = 60;
const GIVE_UP_MS = 30_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * A sync group of real WordPress sites (TestGroup, every member equal: no copy), its messages
 * delivered as they are sent (PromptDelivery), timed for latency benches. A change is applied on a
 * member when that member's peer journals it applied: the line is written right after the
 * member's transaction committed and its files were written, by the member's own peer, so it
 * costs the member no extra request (polling the site for the row would add PHP work on the
 * one thread every site shares here, more of it the more members there are).
 */
export class TimedGroup {
  readonly group: TestGroup;
  /** How long each member's `receive()` took with each delta (validate, apply, acknowledge). */
  readonly applyMs = new Map<string, number[]>();
  private delivery: PromptDelivery | null = null;

  constructor(
    name: string,
    readonly members: readonly string[],
  ) {
    this.group = new TestGroup(COMBINATION, `bench-${name}`);
  }

  /** Boots the members' sites, makes the group, and from then on delivers as messages are sent. */
  async start(): Promise<void> {
    for (const member of this.members) await this.group.boot(member);
    await this.group.create(this.members, this.members[0]!, false);
    await this.group.sync();
    for (const member of this.members) this.timeDeltaReceives(member);
    this.delivery = new PromptDelivery(this.group.link);
  }

  async stop(): Promise<void> {
    await this.delivery?.stop();
    await this.group.stop();
  }

  /** Runs `php` (see SingleChange) on `origin`, waits until every member applied what it sent, and answers the times and what the PHP answered. */
  async timeChange<T extends { committedAt: number }>(origin: string, php: string): Promise<ChangeTiming & { answer: T }> {
    const mark = this.group.journal.length;
    const answer = await inWordPress<T>(this.group.site(origin), php);
    const { committedAt } = answer;
    const lines = await this.appliedEverywhere(origin, mark);
    const others = this.members.filter((member) => member !== origin);
    const sentAt = Math.max(...lines.sent.map((line) => line.time));
    return {
      answer,
      sentMs: sentAt - committedAt,
      appliedMs: new Map(others.map((member) => [member, Math.max(...lines.applied.get(member)!.map((line) => line.time)) - committedAt])),
    };
  }

  /** The group converged and nothing failed: the times measured real replication. */
  async expectReplicated(): Promise<void> {
    await this.delivery!.idle();
    expect(failuresIn(this.group.journal)).toEqual([]);
    await this.group.expectConverged();
  }

  /**
   * Waits until the deltas `origin` sent since the journal's `mark` are applied on every other
   * member, acknowledged, and the link has been quiet for a while (a change's files may follow
   * its rows in a delta of their own); answers the sent lines and each member's applied lines.
   */
  private async appliedEverywhere(origin: string, mark: number): Promise<{ sent: JournalEntry[]; applied: Map<string, JournalEntry[]> }> {
    const { group } = this;
    const others = this.members.filter((member) => member !== origin);
    const started = performance.now();
    let logLength = -1;
    let quietSince = performance.now();
    for (;;) {
      await sleep(2);
      if (performance.now() - started > GIVE_UP_MS) throw new Error(`The change on ${origin} did not reach every member in ${GIVE_UP_MS} ms`);
      if (group.link.log.length !== logLength || !this.delivery!.quiet) {
        logLength = group.link.log.length;
        quietSince = performance.now();
        continue;
      }
      if (performance.now() - quietSince < QUIET_MS || group.peer(origin).pendingCount > 0) continue;
      const since = group.journal.slice(mark);
      const sent = since.filter((line) => line.site === this.siteOf(origin) && line.direction === 'sent' && line.change);
      const changes = new Set(sent.map((line) => line.change));
      const applied = new Map(
        others.map((member) => [
          member,
          since.filter((line) => line.site === this.siteOf(member) && line.direction === 'received' && changes.has(line.change) && line.status === 'applied'),
        ]),
      );
      const complete = [...applied.values()].every((lines) => changes.size > 0 && new Set(lines.map((line) => line.change)).size === changes.size);
      if (complete) return { sent, applied };
    }
  }

  private siteOf(member: string): string {
    return this.group.site(member).siteUrl.replace(/\/+$/, '');
  }

  /** The link calls `receive` on the member's peer afresh for each message, so an own property sees them all. */
  private timeDeltaReceives(member: string): void {
    const peer = this.group.peer(member);
    const times: number[] = [];
    this.applyMs.set(member, times);
    const receive = peer.receive.bind(peer);
    peer.receive = async (message) => {
      const started = performance.now();
      await receive(message);
      if ((message as { kind?: unknown }).kind === 'delta') times.push(performance.now() - started);
    };
  }
}
