import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installIdShards, slotRange, type IdShardPlan } from '../../src/ids';
import { shardCopySource } from '../../src/pairing/copy-source';
import { SyncPeer } from '../../src/engine/sync-peer';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { bootNodeSite, type NodeSite } from '../harness';
import { TestLink } from '../harness/test-link';
import { failuresIn, inWordPress, siteDifferences, type Combination } from './engine-support';
import { formatDifferences } from '../harness';

/**
 * A sync group of three sites: every member runs one link to each other member, under one
 * numbering of its own changes. Three real WordPress sites start equal, each takes its slot of
 * the group's ID plan, and their engines are wired through one JSON TestLink that routes by each
 * envelope's `to`. Convergence is judged on table contents and file trees, member by member.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
];
const MEMBERS = ['peer-a', 'peer-b', 'peer-c'] as const;
type Member = (typeof MEMBERS)[number];

interface Group {
  readonly sites: Record<Member, NodeSite>;
  readonly peers: Record<Member, SyncPeer>;
  readonly link: TestLink;
  readonly journal: JournalEntry[];
  readonly plan: IdShardPlan;
}

async function startGroup(combination: Combination, name: string): Promise<Group> {
  const { driver, wp } = combination;
  const sites = {} as Record<Member, NodeSite>;
  for (const member of MEMBERS) {
    sites[member] = await bootNodeSite({ driver, wp, siteUrl: `https://playground.wordpress.net/scope:${name}-${driver}-${wp.replace('.', '')}-${member}/` });
  }
  const plan = await shardCopySource(sites['peer-a'].client, 0);
  await installIdShards(sites['peer-b'].client, plan, 1);
  await installIdShards(sites['peer-c'].client, plan, 2);
  const link = new TestLink();
  const journal: JournalEntry[] = [];
  const peers = {} as Record<Member, SyncPeer>;
  for (const [slot, member] of MEMBERS.entries()) {
    peers[member] = await SyncPeer.start({
      client: sites[member].client,
      pairId: 'group-1',
      peerId: member,
      members: MEMBERS.filter((other) => other !== member),
      idSlot: slot,
      send: link.attach(member, (message) => peers[member].receive(message)),
      onJournal: (entries) => journal.push(...entries),
      fileSettleMs: 10,
    });
  }
  return { sites, peers, link, journal, plan };
}

async function stopGroup(group: Group | undefined): Promise<void> {
  for (const member of MEMBERS) await group?.peers[member].stop();
  for (const member of MEMBERS) await group?.sites[member].dispose();
}

/** Flushes every member and delivers until nothing moves any more. */
async function syncGroup(group: Group): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const before = group.link.log.length;
    for (const member of MEMBERS) await group.peers[member].flush();
    await group.link.settle();
    if (group.link.log.length === before) return;
  }
  throw new Error('the members kept sending after 10 rounds');
}

/** Every member holds what the first one holds, local-only data aside. */
async function expectGroupConverged(group: Group): Promise<void> {
  const [first, ...others] = MEMBERS;
  for (const other of others) {
    expect(await siteDifferences(group.sites[first], group.sites[other]), `${first} against ${other}`).toBe(formatDifferences([]));
  }
}

describe.each(COMBINATIONS)('a sync group of three, WordPress $wp on the $driver driver', (combination) => {
  let group: Group;

  beforeAll(async () => {
    group = await startGroup(combination, 'group');
  });
  afterAll(() => stopGroup(group));

  it('starts converged: three equal sites', async () => {
    await syncGroup(group);
    await expectGroupConverged(group);
  });

  it('takes a post published on each member to every member, each with an ID from its own slot', async () => {
    const ids = {} as Record<Member, number>;
    for (const [slot, member] of MEMBERS.entries()) {
      ids[member] = await inWordPress<number>(group.sites[member], `$result = wp_insert_post(['post_title' => 'From ${member}', 'post_status' => 'publish']);`);
      const range = slotRange(group.plan, slot);
      expect(ids[member]).toBeGreaterThanOrEqual(range.lo);
      expect(ids[member]).toBeLessThan(range.hi);
    }
    await syncGroup(group);
    await expectGroupConverged(group);
    for (const site of MEMBERS) {
      for (const origin of MEMBERS) {
        expect(await inWordPress<string>(group.sites[site], `$result = get_the_title(${ids[origin]});`)).toBe(`From ${origin}`);
      }
    }
    expect(failuresIn(group.journal)).toEqual([]);
  });

  it('takes files, a big one included, from each member to every member', async () => {
    const big = new Uint8Array(3 * 1024 * 1024).map((_, index) => (index * 31) % 251);
    for (const member of MEMBERS) await group.sites[member].client.mkdir('/wordpress/wp-content/uploads/group');
    await group.sites['peer-a'].client.writeFile('/wordpress/wp-content/uploads/group/from-a.txt', 'written on A');
    await group.sites['peer-b'].client.writeFile('/wordpress/wp-content/uploads/group/from-b.bin', big);
    await group.sites['peer-c'].client.mkdir('/wordpress/wp-content/uploads/group/c');
    await group.sites['peer-c'].client.writeFile('/wordpress/wp-content/uploads/group/c/from-c.txt', 'written on C');
    await syncGroup(group);
    await expectGroupConverged(group);
    expect(await group.sites['peer-c'].client.readFileAsBuffer('/wordpress/wp-content/uploads/group/from-b.bin')).toEqual(big);
    expect(await group.sites['peer-b'].client.readFileAsText('/wordpress/wp-content/uploads/group/c/from-c.txt')).toBe('written on C');
    expect(failuresIn(group.journal)).toEqual([]);
  });

  it('ends with one title on every member when all three retitle the same post at once', async () => {
    const id = await inWordPress<number>(group.sites['peer-a'], `$result = wp_insert_post(['post_title' => 'Shared', 'post_status' => 'publish']);`);
    await syncGroup(group);
    for (const member of MEMBERS) {
      await inWordPress(group.sites[member], `wp_update_post(['ID' => ${id}, 'post_title' => 'Title from ${member}']);`);
    }
    await syncGroup(group);
    await expectGroupConverged(group);
    const titles = await Promise.all(MEMBERS.map((member) => inWordPress<string>(group.sites[member], `$result = get_the_title(${id});`)));
    expect(new Set(titles).size).toBe(1);
    expect(MEMBERS.map((member) => `Title from ${member}`)).toContain(titles[0]);
  });

  it('keeps a change pending until every member has it, while the others go on', async () => {
    await inWordPress(group.sites['peer-a'], `wp_insert_post(['post_title' => 'C is away', 'post_status' => 'publish']);`);
    await group.peers['peer-a'].flush();
    // B takes it and answers; C hears nothing yet.
    for (let round = 0; round < 5; round++) {
      await group.link.deliverSome('peer-b', 100);
      await group.link.deliverSome('peer-a', 100);
    }
    expect(await inWordPress<number>(group.sites['peer-b'], `$result = count(get_posts(['title' => 'C is away', 'post_status' => 'publish']));`)).toBe(1);
    expect(group.peers['peer-a'].pendingCount).toBe(1);
    await syncGroup(group);
    expect(group.peers['peer-a'].pendingCount).toBe(0);
    await expectGroupConverged(group);
  });

  it('refuses an envelope from outside the group, and one meant for another member', async () => {
    const mark = group.journal.length;
    const stranger = { v: 1, kind: 'ack', pairId: 'group-1', from: 'peer-z', to: 'peer-a', seq: 0, ackUpTo: 0, hlc: '0191dd9dec7b.0000.peer-z' };
    await group.peers['peer-a'].receive(stranger);
    await group.peers['peer-a'].receive({ ...stranger, from: 'peer-b', to: 'peer-c' });
    const refused = group.journal.slice(mark).filter((entry) => entry.status === 'rejected').map((entry) => entry.summary);
    expect(refused).toEqual([
      expect.stringMatching(/from: peer-z is not a member of this group/),
      expect.stringMatching(/to: meant for peer-c, not this peer/),
    ]);
    await syncGroup(group);
    await expectGroupConverged(group);
  });
});

/**
 * A group made of sites that differ, as the popup makes one: the kept site is copied to every
 * other member; a fourth member joins later (a copy from one member, the rest from each member's
 * outbox), and one leaves.
 */
describe('a sync group made by copying, joined and left, WordPress nightly on the ast driver', () => {
  const combination: Combination = { driver: 'ast', wp: 'nightly' };
  const ALL = ['peer-a', 'peer-b', 'peer-c', 'peer-d'] as const;
  type Anyone = (typeof ALL)[number];
  const sites = {} as Record<Anyone, NodeSite>;
  const peers = {} as Partial<Record<Anyone, SyncPeer>>;
  const link = new TestLink();
  const journal: JournalEntry[] = [];
  const copies: (string | undefined)[] = [];
  let inGroup: Anyone[] = [];

  const boot = (member: Anyone) =>
    bootNodeSite({ ...combination, siteUrl: `https://playground.wordpress.net/scope:made-${member}/` });
  const start = async (member: Anyone, slot: number, copyFrom?: Anyone) => {
    peers[member] = await SyncPeer.start({
      client: sites[member].client,
      pairId: 'group-2',
      peerId: member,
      members: inGroup.filter((other) => other !== member),
      idSlot: slot,
      ...(copyFrom ? { awaitCopyFrom: copyFrom } : {}),
      send: link.attach(member, (message) => peers[member]!.receive(message)),
      onJournal: (entries) => journal.push(...entries),
      onCopyDone: (error) => copies.push(error),
      fileSettleMs: 10,
    });
  };
  const sync = async () => {
    for (let round = 0; round < 10; round++) {
      const before = link.log.length;
      for (const member of inGroup) await peers[member]!.flush();
      await link.settle();
      if (link.log.length === before) return;
    }
    throw new Error('the members kept sending after 10 rounds');
  };
  const expectConvergedMembers = async () => {
    const [first, ...others] = inGroup;
    for (const other of others) expect(await siteDifferences(sites[first!], sites[other]), `${first} against ${other}`).toBe(formatDifferences([]));
  };
  const titled = (member: Anyone, title: string) =>
    inWordPress<number>(sites[member], `$result = count(get_posts(['title' => '${title}', 'post_status' => 'publish']));`);
  const publish = (member: Anyone, title: string) => inWordPress<number>(sites[member], `$result = wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);`);

  beforeAll(async () => {
    for (const member of ALL) sites[member] = await boot(member);
    await publish('peer-a', 'Kept from A');
    await publish('peer-b', 'Replaced on B');
  });
  afterAll(async () => {
    for (const member of ALL) await peers[member]?.stop();
    for (const member of ALL) await sites[member]?.dispose();
  });

  it('copies the kept site to every other member, then syncs among all three', async () => {
    inGroup = ['peer-a', 'peer-b', 'peer-c'];
    await shardCopySource(sites['peer-a'].client, 0);
    await start('peer-a', 0);
    await start('peer-b', 1, 'peer-a');
    await start('peer-c', 2, 'peer-a');
    await sync();
    expect(copies).toEqual([undefined, undefined]);
    await expectConvergedMembers();
    expect(await titled('peer-b', 'Replaced on B')).toBe(0);
    expect(await titled('peer-c', 'Kept from A')).toBe(1);
    await publish('peer-b', 'After the copy, from B');
    await publish('peer-c', 'After the copy, from C');
    await sync();
    await expectConvergedMembers();
    expect(await titled('peer-a', 'After the copy, from C')).toBe(1);
    expect(await titled('peer-b', 'After the copy, from C')).toBe(1);
    expect(failuresIn(journal)).toEqual([]);
  });

  it('gives a member that joins later the group: a copy from one member, and what that one had not applied yet from the others', async () => {
    // B's latest change reaches C and not A, whose copy D takes.
    await publish('peer-b', 'Not on A yet');
    await peers['peer-b']!.flush();
    await link.deliverSome('peer-c', 100);
    expect(await titled('peer-c', 'Not on A yet')).toBe(1);
    expect(await titled('peer-a', 'Not on A yet')).toBe(0);
    for (const member of inGroup) await peers[member]!.addMember('peer-d');
    inGroup = [...inGroup, 'peer-d'];
    // D copies A; the messages to A wait until D's copy is captured.
    const toA = link.queuedFor('peer-a').length;
    await start('peer-d', 3, 'peer-a');
    expect(await link.deliverFirst('peer-a', (message) => message.kind === 'copy-request')).toBe(true);
    for (let round = 0; round < 20 && copies.length < 3; round++) {
      await link.deliverSome('peer-a', 1_000);
      await link.deliverSome('peer-d', 1_000);
      await link.deliverSome('peer-b', 1_000);
      await link.deliverSome('peer-c', 1_000);
    }
    expect(toA).toBeGreaterThan(0);
    expect(copies).toEqual([undefined, undefined, undefined]);
    await sync();
    await expectConvergedMembers();
    expect(await titled('peer-d', 'Not on A yet')).toBe(1);
    expect(await titled('peer-d', 'After the copy, from C')).toBe(1);
    await publish('peer-d', 'From the newcomer');
    await sync();
    await expectConvergedMembers();
    expect(await titled('peer-b', 'From the newcomer')).toBe(1);
    expect(failuresIn(journal)).toEqual([]);
  });

  it('restores a member whose page reloaded from another member, and sends it again what only its old life had', async () => {
    // B's change reaches C and not A, then C's page reloads: a fresh site restored from A's copy.
    await publish('peer-b', 'Only C had it');
    await peers['peer-b']!.flush();
    await link.deliverSome('peer-c', 100);
    await link.deliverSome('peer-b', 100);
    expect(await titled('peer-c', 'Only C had it')).toBe(1);
    await peers['peer-c']!.stop();
    link.discard('peer-c');
    await sites['peer-c'].dispose();
    for (const member of inGroup) if (member !== 'peer-c') await peers[member]!.resetMember('peer-c');
    sites['peer-c'] = await bootNodeSite({ ...combination, siteUrl: 'https://playground.wordpress.net/scope:made-peer-c-reloaded/' });
    await start('peer-c', 2, 'peer-a');
    expect(await link.deliverFirst('peer-a', (message) => message.kind === 'copy-request')).toBe(true);
    await sync();
    expect(copies.at(-1)).toBeUndefined();
    await expectConvergedMembers();
    expect(await titled('peer-c', 'Only C had it')).toBe(1);
    expect(failuresIn(journal)).toEqual([]);
  });

  it('lets the others go on when a member leaves, and releases what only it had not acknowledged', async () => {
    await publish('peer-a', 'C never sees this');
    await peers['peer-a']!.flush();
    link.discard('peer-c');
    inGroup = ['peer-a', 'peer-b', 'peer-d'];
    for (const member of inGroup) await peers[member]!.removeMember('peer-c');
    await peers['peer-c']!.stop();
    await sync();
    await expectConvergedMembers();
    expect(await titled('peer-d', 'C never sees this')).toBe(1);
    expect(await titled('peer-c', 'C never sees this')).toBe(0);
    for (const member of inGroup) expect(peers[member]!.pendingCount, member).toBe(0);
  });
});

