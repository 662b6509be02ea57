import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncPeer } from '../../src/engine/sync-peer';
import { shardIds } from '../../src/engine/pair-sites';
import type { JournalEntry } from '../../src/journal/entry';
import { ENGINE_TABLE_PREFIX } from '../../src/sync/local-only';
import type { SiteClient } from '../../src/platform/site-client';
import {
  LOCAL_ONLY_RULES,
  bootNodeSite,
  compareSiteStates,
  dumpSiteState,
  formatDifferences,
  type IgnoreRule,
  type NodeSite,
  type SqliteDriverId,
  type WordPressVersionId,
} from '../harness';
import { TestLink } from '../harness/test-link';

/**
 * The whole engine between two real WordPress sites: capture, ID shards, deltas over a JSON
 * link, ordered transactional apply, acks. Convergence is judged on table contents and files.
 */

const COMBINATIONS: { driver: SqliteDriverId; wp: WordPressVersionId }[] = [
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
];

async function php(client: SiteClient, code: string): Promise<string> {
  const response = await client.run({ code: `<?php require '/wordpress/wp-load.php';\n${code}` });
  expect(response.errors).toBe('');
  return response.text;
}

interface Pair {
  a: NodeSite;
  b: NodeSite;
  peerA: SyncPeer;
  peerB: SyncPeer;
  link: TestLink;
  journal: JournalEntry[];
}

async function startPair(driver: SqliteDriverId, wp: WordPressVersionId, name: string): Promise<Pair> {
  const url = (side: string) => `https://playground.wordpress.net/scope:${name}-${driver}-${side}/`;
  const a = await bootNodeSite({ driver, wp, siteUrl: url('a') });
  const b = await bootNodeSite({ driver, wp, siteUrl: url('b') });
  await shardIds({ client: a.client, peerId: 'peer-a' }, { client: b.client, peerId: 'peer-b' });
  const link = new TestLink();
  const journal: JournalEntry[] = [];
  const peers: { a?: SyncPeer; b?: SyncPeer } = {};
  const common = { pairId: 'pair-1', onJournal: (entries: JournalEntry[]) => journal.push(...entries), fileSettleMs: 10 };
  peers.a = await SyncPeer.start({
    ...common,
    client: a.client,
    peerId: 'peer-a',
    remotePeerId: 'peer-b',
    send: link.attach('a', (message) => peers.a!.receive(message)),
  });
  peers.b = await SyncPeer.start({
    ...common,
    client: b.client,
    peerId: 'peer-b',
    remotePeerId: 'peer-a',
    send: link.attach('b', (message) => peers.b!.receive(message)),
  });
  return { a, b, peerA: peers.a, peerB: peers.b, link, journal };
}

/** Flushes both peers and delivers until nothing moves any more. */
async function syncUntilQuiet({ peerA, peerB, link }: Pair): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const before = link.log.length;
    await peerA.flush();
    await peerB.flush();
    await link.settle();
    if (link.log.length === before) return;
  }
  throw new Error('the peers kept sending after 10 rounds');
}

const ENGINE_TABLES: IgnoreRule[] = [
  { kind: 'table', table: new RegExp(`^${ENGINE_TABLE_PREFIX}`), why: "the engine's own bookkeeping, per site" },
];

async function expectConverged({ a, b }: Pair): Promise<void> {
  const differences = compareSiteStates(await dumpSiteState(a), await dumpSiteState(b), {
    aUrl: a.siteUrl,
    bUrl: b.siteUrl,
    ignore: [...LOCAL_ONLY_RULES, ...ENGINE_TABLES],
  });
  expect(formatDifferences(differences)).toBe(formatDifferences([]));
}

describe.each(COMBINATIONS)('sync engine between two WordPress $wp sites on the $driver driver', ({ driver, wp }) => {
  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair(driver, wp, 'engine');
  });
  afterAll(async () => {
    await pair?.peerA.stop();
    await pair?.peerB.stop();
    await pair?.a.dispose();
    await pair?.b.dispose();
  });

  it('replicates a post with meta, a term and a comment, with the same IDs on both sites', async () => {
    const id = Number(
      await php(
        pair.a.client,
        `$id = wp_insert_post(['post_title' => 'From A', 'post_status' => 'publish', 'post_content' => 'See ' . home_url('/about/')]);
         add_post_meta($id, 'color', 'blue');
         wp_set_post_terms($id, ['synced'], 'post_tag');
         wp_insert_comment(['comment_post_ID' => $id, 'comment_content' => 'First!']);
         echo $id;`,
      ),
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await php(pair.b.client, `echo get_post(${id})->post_title . '|' . get_post_meta(${id}, 'color', true);`)).toBe(
      'From A|blue',
    );
    expect(await php(pair.b.client, `echo get_post(${id})->post_content;`)).toBe(`See ${pair.b.siteUrl}about/`);
  });

  it('keeps concurrent inserts on both sites apart and converges', async () => {
    const insert = (client: SiteClient, title: string) =>
      php(client, `echo wp_insert_post(['post_title' => '${title}', 'post_status' => 'draft']);`).then(Number);
    const [fromA, fromB] = await Promise.all([insert(pair.a.client, 'Concurrent A'), insert(pair.b.client, 'Concurrent B')]);
    expect(fromA).not.toBe(fromB);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await php(pair.a.client, `echo get_post(${fromB})->post_title;`)).toBe('Concurrent B');
    expect(await php(pair.b.client, `echo get_post(${fromA})->post_title;`)).toBe('Concurrent A');
  });

  it('replicates a plugin folder written on B, bytes and all', async () => {
    await pair.b.client.mkdir('/wordpress/wp-content/plugins/engine-demo');
    await pair.b.client.writeFile('/wordpress/wp-content/plugins/engine-demo/engine-demo.php', '<?php /* Plugin Name: Engine demo */');
    await pair.b.client.writeFile('/wordpress/wp-content/plugins/engine-demo/blob.bin', new Uint8Array([0, 255, 1, 254]));
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.a.client.readFileAsBuffer('/wordpress/wp-content/plugins/engine-demo/blob.bin')).toEqual(
      new Uint8Array([0, 255, 1, 254]),
    );
  });

  it('journals what was sent and applied, without failures', () => {
    const failures = pair.journal.filter((entry) => entry.status === 'failed' || entry.status === 'rejected');
    expect(failures).toEqual([]);
    expect(pair.journal.some((entry) => entry.direction === 'received' && entry.kind === 'rows' && entry.status === 'applied')).toBe(
      true,
    );
    expect(pair.journal.some((entry) => entry.direction === 'received' && entry.kind === 'files' && entry.status === 'applied')).toBe(
      true,
    );
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });
});
