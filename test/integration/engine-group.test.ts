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
