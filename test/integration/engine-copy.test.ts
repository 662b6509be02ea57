import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installIdShards } from '../../src/ids';
import { shardCopySource } from '../../src/pairing/copy-source';
import { BlobStore } from '../../src/files';
import { SyncPeer, type SyncPeerOptions } from '../../src/engine/sync-peer';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { bootNodeSite, type NodeSite } from '../harness';
import { TestLink, type LinkFaults } from '../harness/test-link';
import {
  expectConverged,
  expectUnchanged,
  failuresIn,
  inWordPress,
  siteDifferences,
  syncUntilQuiet,
  type Combination,
  type EnginePair,
} from './engine-support';

/**
 * The full-state copy through SyncPeer: a site asks its peer for everything (pairing sites that
 * already differ, a reloaded tab), installs it, and both go on with deltas from there in both
 * directions, database batches and envelope numbering lined up.
 */

interface CopyPair extends EnginePair {
  /** Messages to B are held here while `holdB` is on (to act "during" a copy), else delivered. */
  heldForB: unknown[] | null;
  copies: { error?: string }[];
  progress: { done: number; total: number }[];
  pending: number[];
  /** Starts (or restarts, on a fresh site) B's peer. */
  startB(site: NodeSite, options?: Partial<SyncPeerOptions>): Promise<SyncPeer>;
}

const url = (name: string, side: string) => `https://playground.wordpress.net/scope:copy-${name}-${side}/`;

async function bootPair(name: string, a: Combination, b: Combination = a): Promise<{ a: NodeSite; b: NodeSite }> {
  return {
    a: await bootNodeSite({ ...a, siteUrl: url(name, 'a') }),
    b: await bootNodeSite({ ...b, siteUrl: url(name, 'b') }),
  };
}

/** A's peer live; B's started by `startB` (asking A for a copy by default). */
async function startCopyPair(
  sites: { a: NodeSite; b: NodeSite },
  options: { faults?: LinkFaults; seed?: number; b?: Partial<SyncPeerOptions> } = {},
): Promise<CopyPair> {
  const link = new TestLink(options.faults, options.seed);
  const journal: JournalEntry[] = [];
  const common = { pairId: 'pair-1', onJournal: (entries: JournalEntry[]) => journal.push(...entries), fileSettleMs: 10 };
  const pair = { ...sites, link, journal, heldForB: null, copies: [], progress: [], pending: [] } as unknown as CopyPair & {
    peerA: SyncPeer;
    peerB: SyncPeer;
  };
  pair.peerA = await SyncPeer.start({
    ...common,
    client: sites.a.client,
    peerId: 'peer-a',
    members: ['peer-b'],
    idSlot: 0,
    send: link.attach('a', (message) => pair.peerA.receive(message)),
  });
  pair.startB = async (site, overrides = {}) => {
    const sendB = link.attach('b', (message) => {
      if (pair.heldForB) pair.heldForB.push(message);
      else return pair.peerB.receive(message);
      return Promise.resolve();
    });
    (pair as { b: NodeSite }).b = site;
    pair.peerB = await SyncPeer.start({
      ...common,
      client: site.client,
      peerId: 'peer-b',
      members: ['peer-a'],
      idSlot: 1,
      send: sendB,
      awaitCopyFrom: 'peer-a',
      onCopyDone: (error) => pair.copies.push({ error }),
      onCopyProgress: (progress) => pair.progress.push(progress),
      onPending: (count) => pair.pending.push(count),
      ...overrides,
    });
    return pair.peerB;
  };
  await pair.startB(sites.b, options.b);
  return pair;
}

async function stopCopyPair(pair: CopyPair | undefined): Promise<void> {
  await pair?.peerA.stop();
  await pair?.peerB.stop();
  await pair?.a.dispose();
  await pair?.b.dispose();
}

const titles = (site: NodeSite, like: string) =>
  inWordPress<string[]>(
    site,
    `global $wpdb; $result = $wpdb->get_col($wpdb->prepare("SELECT post_title FROM $wpdb->posts WHERE post_title LIKE %s ORDER BY post_title", ${JSON.stringify(like)}));`,
  );

const copyEntries = (journal: readonly JournalEntry[]) =>
  journal.filter((entry) => entry.kind === 'pairing' && entry.direction === 'received' && entry.site.includes('-b'));

/** Edits on both sites, synced: each sees the other's. */
async function expectLiveBothWays(pair: CopyPair, tag: string): Promise<void> {
  await inWordPress(pair.a, `wp_insert_post(['post_title' => 'From A ${tag}', 'post_status' => 'publish']); update_option('copy_a_${tag}', 'a');`);
  await inWordPress(pair.b, `wp_insert_post(['post_title' => 'From B ${tag}', 'post_status' => 'publish']); update_option('copy_b_${tag}', 'b');`);
  await pair.b.client.writeFile(`/wordpress/wp-content/from-b-${tag}.txt`, `B ${tag}`);
  await syncUntilQuiet(pair);
  for (const site of [pair.a, pair.b]) expect(await titles(site, `From % ${tag}`)).toEqual([`From A ${tag}`, `From B ${tag}`]);
  await expectConverged(pair);
}

describe('pairing two sites that already differ (WordPress 6.5, AST driver)', () => {
  let pair: CopyPair;

  beforeAll(async () => {
    const sites = await bootPair('differ', { driver: 'ast', wp: '6.5' });
    await shardCopySource(sites.a.client, 0);
    await inWordPress(sites.a, `foreach (['One', 'Two'] as $t) wp_insert_post(['post_title' => "A only $t", 'post_status' => 'publish']); update_option('blogname', 'Site A');`);
    await sites.a.client.mkdir('/wordpress/wp-content/plugins/a-plugin');
    await sites.a.client.writeFile('/wordpress/wp-content/plugins/a-plugin/a-plugin.php', '<?php /* Plugin Name: A plugin */');
    await inWordPress(sites.b, `wp_insert_post(['post_title' => 'B only', 'post_status' => 'publish']); update_option('blogname', 'Site B');`);
    await sites.b.client.writeFile('/wordpress/wp-content/plugins/hello.php', '<?php // changed on B');
    expect(await siteDifferences(sites.a, sites.b)).not.toBe('');
    pair = await startCopyPair(sites);
  });
  afterAll(() => stopCopyPair(pair));

  it('copies A onto B when B starts with awaitCopy: B equals A, journaled once', async () => {
    await pair.link.settle();
    expect(pair.copies).toEqual([{ error: undefined }]);
    await expectConverged(pair);
    expect(await titles(pair.b, '% only%')).toEqual(['A only One', 'A only Two']);
    const [entry, ...others] = copyEntries(pair.journal);
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      status: 'applied',
      summary: expect.stringMatching(/^Copied the full state of https:\/\/\S+copy-differ-a: [\d,]+ files \([\d,]+ sent\), [\d.]+ [kM]?B database, in [\d,]+ ms$/),
    });
    console.log(`[engine copy 6.5/ast] ${entry!.summary}; ${entry!.detail}`);
    const last = pair.progress.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('goes on live in both directions after the copy', async () => {
    await expectLiveBothWays(pair, 'after-copy');
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });

  it("delivers A's writes made during a copy after it (B asks again while live)", async () => {
    pair.heldForB = [];
    await pair.peerB.requestCopy();
    await pair.link.settle(); // A captured and answered; B has not seen the answer yet
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'During the copy', 'post_status' => 'publish']);`);
    await pair.a.client.writeFile('/wordpress/wp-content/during-copy.txt', 'written on A during the copy');
    await pair.peerA.flush();
    // B's own change meanwhile is not sent, and the copy replaces it.
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'B during the copy', 'post_status' => 'publish']);`);
    await pair.peerB.flush();
    await pair.link.settle();
    const held = pair.heldForB;
    pair.heldForB = null;
    for (const message of held) await pair.peerB.receive(message);
    await syncUntilQuiet(pair);
    expect(pair.copies.at(-1)).toEqual({ error: undefined });
    expect(await titles(pair.b, 'During the copy')).toEqual(['During the copy']);
    for (const site of [pair.a, pair.b]) expect(await titles(site, 'B during the copy')).toEqual([]);
    // Said as the person who made it would: what of theirs the copy replaced.
    expect(pair.journal.map((entry) => entry.summary)).toContainEqual(expect.stringMatching(/^Replaced by the copy, never sent: Post “B during the copy” published/));
    await expectConverged(pair);
    await expectLiveBothWays(pair, 'after-second-copy');
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('queues local changes while paused (onPending counts them) and delivers them on resume', async () => {
    pair.peerB.setPaused(true);
    pair.pending.length = 0;
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Paused B 1', 'post_status' => 'publish']);`);
    await pair.peerB.flush();
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Paused B 2', 'post_status' => 'publish']);`);
    await pair.b.client.writeFile('/wordpress/wp-content/paused-b.txt', 'queued while paused');
    await pair.peerB.flush();
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Paused A', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    expect(await titles(pair.a, 'Paused B%')).toEqual([]);
    expect(await titles(pair.b, 'Paused A')).toEqual([]);
    expect(pair.peerB.pendingCount).toBeGreaterThanOrEqual(2);
    expect(pair.pending).toEqual([...pair.pending.keys()].map((index) => index + 1));

    pair.peerB.setPaused(false);
    await syncUntilQuiet(pair);
    expect(pair.pending.at(-1)).toBe(0);
    expect(pair.peerB.pendingCount).toBe(0);
    await expectConverged(pair);
    expect(await titles(pair.a, 'Paused%')).toEqual(['Paused A', 'Paused B 1', 'Paused B 2']);
    expect(failuresIn(pair.journal)).toEqual([]);
  });
});

describe('a reloaded target: a fresh site and a new SyncPeer, while A keeps its old cursor', () => {
  let pair: CopyPair;

  beforeAll(async () => {
    const sites = await bootPair('reload', { driver: 'ast', wp: 'nightly' });
    // B syncs live before it asks for a copy: it takes its range of A's plan now.
    await installIdShards(sites.b.client, await shardCopySource(sites.a.client, 0), 1);
    pair = await startCopyPair(sites, { b: { awaitCopyFrom: undefined } });
    for (const n of [1, 2, 3]) {
      await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Old life B ${n}', 'post_status' => 'publish']);`);
      await pair.peerB.flush();
    }
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Old life A', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });
  afterAll(() => stopCopyPair(pair));

  it("restores B as itself, then B's new batches reach A once each and A's reach B", async () => {
    await pair.peerB.stop();
    await pair.b.dispose();
    const fresh = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: url('reload', 'b') });
    expect(await titles(fresh, 'Old life%')).toEqual([]);
    await pair.startB(fresh);
    await pair.link.settle();
    expect(pair.copies).toEqual([{ error: undefined }]);
    await expectConverged(pair);
    const copied = copyEntries(pair.journal).find((entry) => entry.status === 'applied');
    console.log(`[engine copy nightly/ast, reloaded target] ${copied?.summary}; ${copied?.detail}`);

    const mark = pair.journal.length;
    for (const n of [1, 2]) {
      await inWordPress(pair.b, `wp_insert_post(['post_title' => 'New life B ${n}', 'post_status' => 'publish']);`);
      await pair.peerB.flush();
    }
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'New life A', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    for (const site of [pair.a, pair.b]) {
      expect(await titles(site, '% life%')).toEqual(['New life A', 'New life B 1', 'New life B 2', 'Old life A', 'Old life B 1', 'Old life B 2', 'Old life B 3']);
    }
    await expectConverged(pair);
    expect(failuresIn(pair.journal.slice(mark))).toEqual([]);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
    await expectLiveBothWays(pair, 'reloaded');
  });
});

describe.each([3, 11])('the copy over a link that duplicates, reorders and delays (seed %i)', (seed) => {
  let pair: CopyPair;

  beforeAll(async () => {
    const sites = await bootPair(`faults${seed}`, { driver: 'legacy', wp: '6.5' });
    await shardCopySource(sites.a.client, 0);
    await inWordPress(sites.a, `for ($i = 1; $i <= 5; $i++) wp_insert_post(['post_title' => "Faulty A $i", 'post_status' => 'publish']);`);
    await inWordPress(sites.b, `wp_insert_post(['post_title' => 'Faulty B only', 'post_status' => 'publish']);`);
    pair = await startCopyPair(sites, { faults: { duplicate: 0.3, reorder: 0.5, delay: 0.3 }, seed });
  });
  afterAll(() => stopCopyPair(pair));

  it('ends with B equal to A, A’s writes in flight included, then syncs both ways', async () => {
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Faulty A in flight', 'post_status' => 'publish']);`);
    await pair.peerA.flush();
    await syncUntilQuiet(pair);
    expect(pair.copies).toEqual([{ error: undefined }]);
    expect(await titles(pair.b, 'Faulty%')).toEqual(['Faulty A 1', 'Faulty A 2', 'Faulty A 3', 'Faulty A 4', 'Faulty A 5', 'Faulty A in flight']);
    await expectConverged(pair);
    await expectLiveBothWays(pair, 'faulty');
    expect(failuresIn(pair.journal)).toEqual([]);
  });
});

describe('a copy whose envelopes were lost (e.g. a service worker stopped in between)', () => {
  let pair: CopyPair;

  beforeAll(async () => {
    const sites = await bootPair('lost', { driver: 'ast', wp: 'nightly' });
    await shardCopySource(sites.a.client, 0);
    await inWordPress(sites.a, `wp_insert_post(['post_title' => 'Lost copy A', 'post_status' => 'publish']);`);
    pair = await startCopyPair(sites);
  });
  afterAll(() => stopCopyPair(pair));

  it('is asked for again once the source was quiet long enough, and completes', async () => {
    pair.heldForB = [];
    await pair.link.settle();
    expect(pair.heldForB.length).toBeGreaterThan(2);
    pair.heldForB = null; // every envelope of the answer is lost
    expect(pair.copies).toEqual([]);
    expect(await pair.peerB.askAgainIfCopyStalled(60_000)).toBe(false);
    expect(await pair.peerB.askAgainIfCopyStalled(0)).toBe(true);
    await syncUntilQuiet(pair);
    expect(pair.copies).toEqual([{ error: undefined }]);
    expect(await titles(pair.b, 'Lost copy%')).toEqual(['Lost copy A']);
    expect(await pair.peerB.askAgainIfCopyStalled(0)).toBe(false);
    await expectConverged(pair);
    await expectLiveBothWays(pair, 'lost');
    expect(failuresIn(pair.journal)).toEqual([]);
  });
});

/** Files in a site's blob store (parts and scratch files included). */
const blobStoreFiles = (site: NodeSite) =>
  inWordPress<string[]>(
    site,
    `$dir = WP_CONTENT_DIR . '/upgrade/playground-sync/blobs'; $result = [];
if (is_dir($dir)) foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS)) as $file) $result[] = $file->getPathname();`,
  );

/** Delivers the messages held for B, then lets the link carry what they cause (B's messages still held). */
async function deliverHeldToB(pair: CopyPair, count = Number.POSITIVE_INFINITY): Promise<void> {
  const held = pair.heldForB!.splice(0, count);
  for (const message of held) await pair.peerB.receive(message);
  await pair.link.settle();
}

describe("a copy's bytes given up or lost while they are pulled", () => {
  let pair: CopyPair;

  beforeAll(async () => {
    const sites = await bootPair('blobs-mid', { driver: 'ast', wp: 'nightly' });
    await shardCopySource(sites.a.client, 0);
    await inWordPress(sites.a, `wp_insert_post(['post_title' => 'Mid-pull A', 'post_status' => 'publish']); file_put_contents(WP_CONTENT_DIR . '/mid-pull.bin', random_bytes(3 * 1024 * 1024));`);
    pair = await startCopyPair(sites);
  });
  afterAll(() => stopCopyPair(pair));

  it('asked for again midway: the first copy’s blobs and parts go on both sides, the second completes', async () => {
    pair.heldForB = [];
    await pair.link.settle(); // A answered with the header
    await deliverHeldToB(pair); // B pulls: A's first chunks wait for B
    expect(pair.heldForB.some((message) => (message as { kind: string }).kind === 'blob-chunk')).toBe(true);
    // The database's few chunks, then some of the pack's: a part of it is on B.
    const partOnB = async () => (await blobStoreFiles(pair.b)).some((path) => path.includes('/incoming/'));
    for (let round = 0; round < 5 && !(await partOnB()); round++) await deliverHeldToB(pair, 12);
    expect(await partOnB()).toBe(true);
    pair.heldForB = null; // the rest is lost
    expect(await pair.peerB.askAgainIfCopyStalled(0)).toBe(true);
    await syncUntilQuiet(pair);
    expect(pair.copies).toEqual([{ error: undefined }]);
    expect(await titles(pair.b, 'Mid-pull%')).toEqual(['Mid-pull A']);
    await expectConverged(pair);
    expect(await blobStoreFiles(pair.a)).toEqual([]);
    expect(await blobStoreFiles(pair.b)).toEqual([]);
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('whose source lost them: the copy fails with the reason, the source is told, nothing is held', async () => {
    pair.heldForB = [];
    await pair.peerB.requestCopy();
    await pair.link.settle();
    await BlobStore.forSite(pair.a.client, '/wordpress').clear();
    const held = pair.heldForB.splice(0);
    pair.heldForB = null;
    for (const message of held) await pair.peerB.receive(message);
    await syncUntilQuiet(pair);
    expect(pair.copies.at(-1)).toEqual({ error: 'The bytes of the copy could not be fetched: the paired site no longer has these bytes' });
    expect(failuresIn(pair.journal).map((entry) => entry.summary)).toEqual([
      'Could not copy the paired site’s full state: The bytes of the copy could not be fetched: the paired site no longer has these bytes',
    ]);
    expect(pair.journal.some((entry) => entry.summary.startsWith('The paired site did not install this site’s full state'))).toBe(true);
    expect(await blobStoreFiles(pair.a)).toEqual([]);
    expect(await blobStoreFiles(pair.b)).toEqual([]);
    await expectLiveBothWays(pair, 'after-lost-blobs');
  });
});

describe('a refused copy: the AST driver’s database → a site on the legacy driver', () => {
  let pair: CopyPair;

  beforeAll(async () => {
    const sites = await bootPair('refused', { driver: 'ast', wp: '6.5' }, { driver: 'legacy', wp: '6.5' });
    await inWordPress(sites.a, `wp_insert_post(['post_title' => 'Never copied', 'post_status' => 'publish']);`);
    pair = await startCopyPair(sites, { b: { awaitCopyFrom: undefined } });
  });
  afterAll(() => stopCopyPair(pair));

  it('journals the refusal, leaves B unchanged, and does not start live sync on B', async () => {
    await pair.peerB.stop();
    await expectUnchanged(pair.b, async () => {
      await pair.startB(pair.b, { awaitCopyFrom: 'peer-a' });
      await pair.link.settle();
    });
    expect(pair.copies).toEqual([{ error: expect.stringMatching(/^The source's database is run by WP_MySQL_On_SQLite and this site's by WP_SQLite_Translator/) }]);
    const failed = copyEntries(pair.journal).filter((entry) => entry.status === 'failed');
    expect(failed).toEqual([
      expect.objectContaining({
        summary: expect.stringMatching(/^Could not copy the paired site’s full state: The source's database is run by WP_MySQL_On_SQLite/),
        detail: expect.stringContaining('Live sync has not started'),
      }),
    ]);
    const sentBefore = pair.link.log.length;
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Not synced', 'post_status' => 'publish']);`);
    await pair.peerB.flush();
    await pair.link.settle();
    expect(pair.link.log.slice(sentBefore).filter(({ from, json }) => from === 'b' && json.includes('"delta"'))).toEqual([]);
    expect(await titles(pair.a, 'Not synced')).toEqual([]);
    expect(await siteDifferences(pair.a, pair.b)).toContain('Never copied');
  });
});
