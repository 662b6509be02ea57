import { expect } from 'vitest';
import { installIdShards, type IdShardPlan } from '../../src/ids';
import { shardCopySource } from '../../src/pairing/copy-source';
import { nextNumberer, numberersBefore } from '../../src/pairing/pairings';
import { SyncPeer, type SyncPeerOptions } from '../../src/engine/sync-peer';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { bootNodeSite, dumpSiteState, formatDifferences, type BootNodeSiteOptions, type NodeSite } from '../harness';
import { TestLink, type LinkFaults } from '../harness/test-link';
import { CONVERGENCE_RULES } from './db-support';
import { differencesBetween, type Combination } from './engine-support';

export interface TestGroupOptions {
  readonly faults?: LinkFaults;
  /** Seeds the link's faults. */
  readonly seed?: number;
  readonly peer?: Partial<SyncPeerOptions>;
  /** How every member's site boots (PHP instances, rotation, who relays messages). */
  readonly sites?: Partial<BootNodeSiteOptions>;
  /** Runs on every site once booted, before its member starts (a restored member's new site too). */
  readonly onBoot?: (site: NodeSite) => Promise<void>;
  /**
   * The member that gives rows made while synced low IDs (docs/ids.md); none by default. When it
   * leaves or is restored, the member of the lowest slot left takes over, as the coordinator hands it over.
   */
  readonly numberer?: string;
}

/**
 * A sync group of real WordPress sites in this process, for the engine's group tests and the
 * group fuzzer: one `SyncPeer` per member, each with a link to every other member, wired through
 * one JSON `TestLink` whose sides are the members' peer ids (it routes by each envelope's `to`).
 * Members join (a copy from one member, after every member opened a link to them), leave, and are
 * restored after a reload (their links reset first), as the pairing coordinator orders it.
 */
/** Rounds without progress between a copy's two ends before `untilCopied` lets the rest of the group move. */
const PAIR_ALONE_ROUNDS = 20;

export class TestGroup {
  readonly sites = new Map<string, NodeSite>();
  readonly peers = new Map<string, SyncPeer>();
  readonly journal: JournalEntry[] = [];
  /** How each copy a member asked for ended (undefined: installed), in order. */
  readonly copies: (string | undefined)[] = [];
  readonly link: TestLink;
  private readonly slots = new Map<string, number>();
  /** Members whose copy is in flight, and the member each asked. */
  private readonly copying = new Map<string, string>();
  /** How each member's site boots beyond the group's combination (its WordPress version): a restore boots it the same way. */
  private readonly bootOptions = new Map<string, Partial<BootNodeSiteOptions>>();
  /** Sites booted so far (each gets its own scope). */
  private boots = 0;
  private nextSlot = 0;
  private plan: IdShardPlan | null = null;
  private readonly options: TestGroupOptions;
  /** The member that numbers now (see `TestGroupOptions.numberer`), and those before it. */
  private numbering: { numberer: string; formers: string[] } | undefined;

  constructor(
    readonly combination: Combination,
    readonly name: string,
    options: TestGroupOptions = {},
  ) {
    this.link = new TestLink(options.faults, options.seed);
    this.options = options;
    if (options.numberer !== undefined) this.numbering = { numberer: options.numberer, formers: [] };
  }

  /** The member that gives low IDs now (see `TestGroupOptions.numberer`). */
  get numberer(): string | undefined {
    return this.numbering?.numberer;
  }

  /** The members now, in the order they joined. */
  get members(): string[] {
    return [...this.peers.keys()];
  }

  peer(member: string): SyncPeer {
    const peer = this.peers.get(member);
    if (!peer) throw new Error(`${member} is not a member`);
    return peer;
  }

  site(member: string): NodeSite {
    const site = this.sites.get(member);
    if (!site) throw new Error(`No site for ${member}`);
    return site;
  }

  /** Boots a fresh site for `member` (not in the group yet). */
  async boot(member: string, options: Partial<BootNodeSiteOptions> = this.bootOptions.get(member) ?? {}): Promise<NodeSite> {
    this.bootOptions.set(member, options);
    const { driver, wp } = this.combination;
    // A scope of its own at every boot, as a reloaded Playground tab gets: a member's lives have different URLs.
    const siteUrl = `https://playground.wordpress.net/scope:${this.name}-${member}-${this.boots++}/`;
    const site = await bootNodeSite({ ...this.options.sites, driver, wp, siteUrl, ...options });
    this.sites.set(member, site);
    await this.options.onBoot?.(site);
    return site;
  }

  /**
   * Makes the group: `kept`'s site is the one every other member is copied from (`copy: true`), or
   * all sites are equal already and go live as they are (`copy: false`, each takes its slot of
   * the kept site's plan).
   */
  async create(members: readonly string[], kept: string, copy: boolean): Promise<void> {
    this.plan = await shardCopySource(this.site(kept).client, 0);
    this.slots.set(kept, 0);
    this.nextSlot = 1;
    for (const member of members) if (member !== kept) this.slots.set(member, this.nextSlot++);
    if (!copy) for (const member of members) if (member !== kept) await installIdShards(this.site(member).client, this.plan, this.slots.get(member)!);
    for (const member of [kept, ...members.filter((other) => other !== kept)]) {
      await this.start(member, members, copy && member !== kept ? kept : undefined);
    }
  }

  /** A new member joins: every member opens a link to it, then it starts asking `copyFrom` for a copy. */
  async join(member: string, copyFrom: string): Promise<void> {
    for (const peer of this.peers.values()) await peer.addMember(member);
    this.slots.set(member, this.nextSlot++);
    await this.start(member, [...this.members, member], copyFrom);
  }

  /**
   * `member` leaves: the others close their links to it, it stops, what was on its way to or from
   * it is lost (with `itsMessagesArrive`, what it sent still arrives, after the others closed their links).
   */
  async leave(member: string, itsMessagesArrive = false): Promise<void> {
    const peer = this.peer(member);
    this.peers.delete(member);
    this.copying.delete(member);
    for (const other of this.peers.values()) await other.removeMember(member);
    await peer.stop();
    this.link.discard(member, itsMessagesArrive);
    this.handOverNumbering(member);
  }

  /**
   * `member`'s page reloaded and lost its temporary site: the others reset their links to it, and
   * a fresh site under the same id and slot is restored from `copyFrom`.
   */
  async restore(member: string, copyFrom: string): Promise<void> {
    await this.peer(member).stop();
    this.peers.delete(member);
    this.copying.delete(member);
    this.link.discard(member);
    await this.site(member).dispose();
    // The reloaded page reports its new site first: the others' resets name its new life.
    const site = await this.boot(member);
    for (const other of this.peers.values()) await other.resetMember(member, site.siteUrl);
    this.handOverNumbering(member);
    await this.start(member, [...this.members, member], copyFrom);
  }

  /** `gone` left or starts over: if it numbered, the member of the lowest slot left numbers now, and every member hears so. */
  private handOverNumbering(gone: string): void {
    if (this.numbering?.numberer !== gone) return;
    const next = nextNumberer(this.members.map((peerId) => ({ peerId, slot: this.slotOf(peerId) })), gone);
    if (next === undefined) return;
    this.numbering = { numberer: next, formers: numberersBefore(this.numbering.formers, gone) };
    for (const peer of this.peers.values()) peer.setNumbering(next, true, this.numbering.formers);
  }

  /** The member `member`'s copy is asked of, while it is in flight. */
  copySourceOf(member: string): string | undefined {
    return this.copying.get(member);
  }

  /**
   * Delivers only between `member` and the member its copy comes from until the copy ended (what
   * the others send it meanwhile waits on the link); at once when no copy is in flight. A source
   * that holds the copy until it has the old life of a member starting over waits on the whole
   * group: once the two alone stall, the other members get their messages too.
   */
  async untilCopied(member: string): Promise<void> {
    for (let idle = 0; this.copying.has(member); ) {
      const source = this.copying.get(member)!;
      const before = `${this.link.pending} ${this.link.log.length}`;
      await this.link.deliverSome(member, 100);
      await this.link.deliverSome(source, 100);
      if (idle >= PAIR_ALONE_ROUNDS) for (const other of this.members) if (other !== member && other !== source) await this.link.deliverSome(other, 100);
      if (`${this.link.pending} ${this.link.log.length}` !== before) idle = 0;
      else if (++idle > 200) throw new Error(`${member}'s copy from ${source} stalled`);
      // The copy's install and blob bytes go on between two messages.
      else await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Flushes every member and delivers until nothing moves any more. */
  async sync(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const before = this.link.log.length;
      for (const peer of this.peers.values()) await peer.flush();
      await this.link.settle();
      if (this.link.log.length === before) return;
    }
    throw new Error('the members kept sending after 10 rounds');
  }

  /** Every member holds what the first one holds, local-only data aside (and what `ignore` leaves out); answers the differences found. */
  async differences(ignore = CONVERGENCE_RULES): Promise<string> {
    const [first, ...others] = this.members;
    const found: string[] = [];
    const firstSite = this.site(first!);
    const firstState = await dumpSiteState(firstSite);
    for (const other of others) {
      const otherSite = this.site(other);
      const differences = differencesBetween(firstState, await dumpSiteState(otherSite), firstSite.siteUrl, otherSite.siteUrl, ignore);
      if (differences !== formatDifferences([])) found.push(`${first} against ${other}:\n${differences}`);
    }
    return found.join('\n');
  }

  async expectConverged(ignore = CONVERGENCE_RULES): Promise<void> {
    expect(await this.differences(ignore)).toBe('');
  }

  async stop(): Promise<void> {
    for (const peer of this.peers.values()) await peer.stop();
    for (const site of this.sites.values()) await site.dispose();
  }

  private async start(member: string, members: readonly string[], copyFrom: string | undefined): Promise<void> {
    if (copyFrom) this.copying.set(member, copyFrom);
    const peer = await SyncPeer.start({
      fileSettleMs: 10,
      ...this.options.peer,
      client: this.site(member).client,
      pairId: `group-${this.name}`,
      peerId: member,
      members: members.filter((other) => other !== member),
      idSlot: this.slots.get(member)!,
      numberer: member === this.numbering?.numberer,
      ...(this.numbering ? { numbererPeer: this.numbering.numberer, formerNumberers: this.numbering.formers } : {}),
      ...(copyFrom ? { awaitCopyFrom: copyFrom } : {}),
      // A member that left takes nothing more.
      send: this.link.attach(member, (message) => this.peers.get(member)?.receive(message) ?? Promise.resolve()),
      onJournal: (entries) => this.journal.push(...entries),
      onCopyDone: (error) => {
        this.copying.delete(member);
        this.copies.push(error);
      },
    });
    this.peers.set(member, peer);
  }

  /** The group's ID plan (after `create`). */
  get idPlan(): IdShardPlan {
    if (!this.plan) throw new Error('The group was not created');
    return this.plan;
  }

  slotOf(member: string): number {
    return this.slots.get(member)!;
  }
}
