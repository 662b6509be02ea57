import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, installCapture } from '../../src/db';
import { shardCopySource } from '../../src/pairing/copy-source';
import {
  captureCopy,
  installCopy,
  readSiteFacts,
  siteFileHashes,
  CopyReassembler,
  CopyRefusal,
  copyToEnvelopes,
  type SiteCopy,
  type CopyChunk,
  type CopyEnd,
  type CopyEnvelope,
  type CopyInstallation,
} from '../../src/engine/copy';
import { installIdShards, readIdShardStatus, slotNaturalZone, slotRange } from '../../src/ids';
import type { SiteClient } from '../../src/platform/site-client';
import { ENGINE_TABLE_PREFIX } from '../../src/sync/local-only';
import { parseEnvelope, COPY_CHUNK_BYTES } from '../../src/sync/wire';
import {
  LOCAL_ONLY_RULES,
  bootNodeSite,
  compareSiteStates,
  dumpSiteState,
  formatDifferences,
  mentionsSiteUrl,
  siteUrlBase,
  type IgnoreRule,
  type NodeSite,
  type SiteState,
  type SqliteDriverId,
  type WordPressVersionId,
} from '../harness';
import { makePng } from './files-png';
import { outboxReader } from './db-support';
import { RAW_PDO_PHP } from './engine-support';
import { pullCopyBlobs, storeOf } from './copy-support';

/**
 * The full-state copy between two real WordPress sites: A's copy header reaches B through
 * the envelope path (JSON round trip, chunks shuffled and duplicated), its blobs (database,
 * pack) from A's store into B's, and B ends equal to A while staying itself (URL, peer id, ID
 * range, capture).
 */

const COMBINATIONS: { driver: SqliteDriverId; wp: WordPressVersionId }[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'legacy', wp: '6.5' },
  { driver: 'ast', wp: 'nightly' },
];

const ENGINE_TABLES: IgnoreRule[] = [
  { kind: 'table', table: new RegExp(`^${ENGINE_TABLE_PREFIX}`), why: "the engine's own bookkeeping, per site" },
];

async function php(client: SiteClient, code: string): Promise<string> {
  const response = await client.run({ code: `<?php require '/wordpress/wp-load.php';\n${code}` });
  expect(response.errors).toBe('');
  return response.text;
}

function differences(a: NodeSite, stateA: SiteState, b: NodeSite, stateB: SiteState): string {
  return formatDifferences(
    compareSiteStates(stateA, stateB, { aUrl: a.siteUrl, bUrl: b.siteUrl, ignore: [...LOCAL_ONLY_RULES, ...ENGINE_TABLES] }),
  );
}

/** Sends the copy as JSON text, shuffled, with duplicates, and reassembles it on the other side. */
async function throughTheWire(copy: SiteCopy, mangle?: (envelopes: CopyEnvelope[]) => void): Promise<SiteCopy> {
  const header = { pairId: 'pair-1', from: 'peer-a', to: 'peer-b', seq: 3, ackUpTo: 0, hlc: '000000000001.0000.peer-a' };
  const envelopes = await copyToEnvelopes(copy, { copyId: 'snap-1', baseSeq: 3, header });
  mangle?.(envelopes);
  const wire = envelopes.map((envelope) => JSON.stringify(envelope));
  const [first, ...rest] = wire;
  const received = [...rest.reverse(), rest[0]!, rest[1]!].map((text) => {
    const parsed = parseEnvelope(text, { pairId: 'pair-1', self: 'peer-b', peer: 'peer-a' });
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  });
  const begin = parseEnvelope(first, { pairId: 'pair-1' });
  if (!begin.ok || begin.value.kind !== 'copy-begin') throw new Error('no begin');
  const reassembler = new CopyReassembler(begin.value);
  for (const envelope of received) reassembler.receive(envelope as CopyChunk | CopyEnd);
  expect(reassembler.isComplete).toBe(true);
  return reassembler.assemble();
}

function stringCells(state: SiteState): string[] {
  return Object.values(state.tables).flatMap((rows) => rows.flatMap((row) => Object.values(row).filter((cell) => typeof cell === 'string')));
}

describe.each(COMBINATIONS)('full-state copy between two WordPress $wp sites on the $driver driver', ({ driver, wp }) => {
  let a: NodeSite;
  let b: NodeSite;
  let installation: CopyInstallation;
  let copy: SiteCopy;
  let outboxOfA: ReturnType<typeof outboxReader>;

  beforeAll(async () => {
    const url = (side: string) => `https://playground.wordpress.net/scope:snap-${wp}-${driver}-${side}/`;
    a = await bootNodeSite({ driver, wp, siteUrl: url('a') });
    b = await bootNodeSite({ driver, wp, siteUrl: url('b') });
    await installCapture(a.client, { peerId: 'peer-a' });
    outboxOfA = outboxReader(a.client, 'peer-a');
    await installCapture(b.client, { peerId: 'peer-b' });
    await installIdShards(b.client, await shardCopySource(a.client, 0), 1);

    await a.client.mkdir('/wordpress/wp-content/plugins/snap-demo/inc');
    await a.client.writeFile('/wordpress/wp-content/plugins/snap-demo/snap-demo.php', '<?php\n/* Plugin Name: Snap demo */\n');
    await a.client.writeFile('/wordpress/wp-content/plugins/snap-demo/inc/blob.bin', new Uint8Array([0, 255, 1, 254, 128]));
    await a.client.mkdir('/wordpress/wp-content/uploads/2024/05');
    await a.client.writeFile('/wordpress/wp-content/uploads/2024/05/photo.png', makePng(64, 64, 7));
    await php(
      a.client,
      `for ($i = 1; $i <= 3; $i++) {
         $id = wp_insert_post(['post_title' => "A post $i", 'post_status' => 'publish', 'post_content' => 'See ' . home_url("/p$i/")]);
         add_post_meta($id, 'links', ['self' => get_permalink($id), 'home' => home_url('/')]);
       }
       wp_insert_user(['user_login' => 'alice', 'user_pass' => 'secret-pass', 'user_email' => 'alice@example.com', 'user_url' => home_url('/alice/')]);
       update_option('active_plugins', ['snap-demo/snap-demo.php']);
       wp_insert_attachment(['post_title' => 'Photo', 'post_mime_type' => 'image/png', 'guid' => content_url('/uploads/2024/05/photo.png')], '2024/05/photo.png');`,
    );
    await b.client.mkdir('/wordpress/wp-content/plugins/b-only');
    await b.client.writeFile('/wordpress/wp-content/plugins/b-only/b-only.php', '<?php /* Plugin Name: B only */');
    await b.client.writeFile('/wordpress/wp-content/plugins/hello.php', '<?php // changed on B');
    await php(b.client, `wp_insert_post(['post_title' => 'Only on B', 'post_status' => 'publish']); update_option('blogname', 'Site B');`);
    // Local-only data of each site: login sessions, a salt, a transient.
    for (const [site, side] of [[a, 'A'], [b, 'B']] as const) {
      await php(
        site.client,
        `update_user_meta(1, 'session_tokens', ['token-${side}' => ['expiration' => time() + 3600]]);
         update_option('auth_salt', 'salt of ${side}'); set_transient('only_${side}', '${side}');`,
      );
    }
    expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).not.toBe('');
  });
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('copies A onto B through the envelope path: B equals A', async () => {
    const started = performance.now();
    copy = await captureCopy(a.client, { store: storeOf(a), targetFiles: await siteFileHashes(b.client) });
    const received = await throughTheWire(copy);
    await pullCopyBlobs(a, b, received.meta);
    installation = await installCopy(b.client, received, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
    const elapsed = performance.now() - started;
    console.log(
      `[copy ${wp}/${driver}] A→B ${elapsed.toFixed(0)} ms: database ${copy.meta.database.size} B, ` +
        `${copy.meta.shippedFileCount}/${copy.meta.fileCount} files shipped, ` +
        `${installation.files.written} written, ${installation.files.deleted} deleted, ${installation.urlCellsRewritten} URL cells`,
    );
    expect(copy.meta.sourcePeerId).toBe('peer-a');
    expect(copy.meta.lastBatchSeq).toBeGreaterThan(0);
    expect(installation.files.deleted).toBeGreaterThan(0);
    expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).toBe('');
    expect(await php(b.client, `echo get_option('blogname') . '|' . implode(',', get_option('active_plugins'));`)).toBe(
      `${await php(a.client, `echo get_option('blogname');`)}|snap-demo/snap-demo.php`,
    );
    expect(await b.client.readFileAsBuffer('/wordpress/wp-content/plugins/snap-demo/inc/blob.bin')).toEqual(
      new Uint8Array([0, 255, 1, 254, 128]),
    );
    expect(await b.client.fileExists('/wordpress/wp-content/plugins/b-only')).toBe(false);
  });

  it("keeps B's own local-only rows (its login sessions, salts, transients), not A's", async () => {
    expect(installation.localRowsKept).toBeGreaterThan(0);
    expect(
      await php(
        b.client,
        `echo json_encode([array_keys(get_user_meta(1, 'session_tokens', true)), get_option('auth_salt'), get_transient('only_B'), get_transient('only_A')]);`,
      ),
    ).toBe(JSON.stringify([['token-B'], 'salt of B', 'B', false]));
  });

  it("leaves no mention of A's URL on B: B's URL everywhere", async () => {
    const cells = stringCells(await dumpSiteState(b));
    expect(cells.filter((cell) => mentionsSiteUrl(cell, siteUrlBase(a.siteUrl)))).toEqual([]);
    expect(await php(b.client, `echo get_option('siteurl') . '|' . get_option('home');`)).toBe(
      `${siteUrlBase(b.siteUrl)}|${siteUrlBase(b.siteUrl)}`,
    );
    expect(await php(b.client, `echo get_posts(['title' => 'A post 1', 'post_type' => 'post'])[0]->post_content;`)).toBe(
      `See ${b.siteUrl}p1/`,
    );
  });

  it("keeps B's engine identity: its peer id, its cursor for A at A's last batch, its own ID slot and range", async () => {
    const facts = await readSiteFacts(b.client);
    expect(facts.engine?.peerId).toBe('peer-b');
    expect(facts.engine?.cursors).toEqual({ 'peer-a': copy.meta.lastBatchSeq });
    expect(facts.engine?.hlc).toMatch(/\.peer-b$/);
    expect(installation.baseBatchSeq).toBe(copy.meta.lastBatchSeq);
    const shards = await readIdShardStatus(b.client);
    expect(shards).toMatchObject({ plan: installation.idPlan, slot: 1, selfRange: slotRange(installation.idPlan!, 1) });
    expect((await readIdShardStatus(a.client))?.slot).toBe(0);
    // The copy's sequences were A's: lifted to B's own zone, where SQLite alone numbers B's rows.
    const zone = slotNaturalZone(installation.idPlan!, 1);
    const seq = Number(await php(b.client, `${RAW_PDO_PHP} echo $pdo->query("SELECT seq FROM sqlite_sequence WHERE name = '$wpdb->posts'")->fetchColumn();`));
    expect(seq).toBe(zone.lo - 1);
  });

  it('captures on B after the copy: a new post drains as a batch stamped peer-b, with an ID from B’s range', async () => {
    const outboxOfB = outboxReader(b.client, 'peer-b');
    {
      const id = Number(await php(b.client, `echo wp_insert_post(['post_title' => 'After the copy', 'post_status' => 'draft']);`));
      const range = (await readIdShardStatus(b.client))!.selfRange;
      expect(id).toBeGreaterThanOrEqual(range.lo);
      expect(id).toBeLessThan(range.hi);
      const batch = (await outboxOfB.take()).find((candidate) => candidate.rows.some((row) => row.op === 'upsert' && row.row['post_title'] === 'After the copy'));
      expect(batch?.peer).toBe('peer-b');
      expect(batch?.seq).toBe(installation.ownBatchSeq + 1);
      expect(batch?.siteUrl).toBe(siteUrlBase(b.siteUrl));
    }
  });

  it('installs the same copy again without change (idempotent)', async () => {
    const before = await dumpSiteState(b);
    await installCopy(b.client, copy, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
    expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).toBe('');
    expect(before.files).toEqual((await dumpSiteState(b)).files);
  });

  it('refuses another database driver and a corrupt chunk, changing nothing', async () => {
    const before = await dumpSiteState(b);
    const otherDriver = { ...copy, meta: { ...copy.meta, databaseDriver: 'Another_Driver' } };
    await expect(installCopy(b.client, otherDriver, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) })).rejects.toMatchObject({
      name: 'CopyRefusal',
      code: 'driver-mismatch',
      message: expect.stringContaining('Another_Driver'),
    });
    const corrupt = throughTheWire(copy, (envelopes) => {
      const chunk = envelopes.find((envelope): envelope is CopyChunk => envelope.kind === 'copy-chunk')!;
      const data = chunk.data as string;
      chunk.data = (data[0] === 'A' ? 'B' : 'A') + data.slice(1);
    });
    await expect(corrupt).rejects.toBeInstanceOf(CopyRefusal);
    await expect(corrupt).rejects.toThrow(/do not match the digest/);
    const after = await dumpSiteState(b);
    expect(formatDifferences(compareSiteStates(before, after, { aUrl: b.siteUrl, bUrl: b.siteUrl }))).toBe('');
  });

  it("refuses a copy whose blobs are not in the store, and a pack whose bytes are not the files', changing nothing", async () => {
    const before = await dumpSiteState(b);
    const unknownDatabase = { ...copy, meta: { ...copy.meta, database: { size: 1, sha256: 'd'.repeat(64) } } };
    await expect(installCopy(b.client, unknownDatabase, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) })).rejects.toMatchObject({
      name: 'CopyRefusal',
      code: 'transfer',
    });
    // A pack that lies about a file's bytes: that write fails, the database stays B's own.
    await b.client.writeFile('/wordpress/wp-content/plugins/snap-demo/inc/blob.bin', 'changed on B');
    const lying = {
      ...copy,
      files: {
        ...copy.files,
        manifest: {
          ...copy.files.manifest,
          files: new Map([...copy.files.manifest.files, ['wp-content/plugins/snap-demo/inc/blob.bin', { size: 5, sha256: 'e'.repeat(64) }]]),
        },
        packed: [...copy.files.packed, { size: 5, sha256: 'e'.repeat(64) }],
      },
    };
    await expect(installCopy(b.client, lying, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) })).rejects.toThrow(/blob\.bin \(5 bytes\): (its bytes have sha256|the pack ends)/);
    expect((await dumpSiteState(b)).tables).toEqual(before.tables);
    await installCopy(b.client, copy, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
  });

  it(`ships chunks of at most ${COPY_CHUNK_BYTES} bytes`, async () => {
    const header = { pairId: 'pair-1', from: 'peer-a', to: 'peer-b', seq: 0, ackUpTo: 0, hlc: '000000000001.0000.peer-a' };
    const envelopes = await copyToEnvelopes(copy, { copyId: 's', baseSeq: 0, header });
    for (const envelope of envelopes) {
      if (envelope.kind === 'copy-chunk') expect(Buffer.from(envelope.data as string, 'base64').length).toBeLessThanOrEqual(COPY_CHUNK_BYTES);
    }
  });

  it("goes on with deltas from the copy: B's next batch applies on A and A's next batch on B", async () => {
    const again = await captureCopy(a.client, { store: storeOf(a) });
    await pullCopyBlobs(a, b, again.meta);
    const installed = await installCopy(b.client, again, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
    const outboxOfB = outboxReader(b.client, 'peer-b');
    {
      await php(b.client, `wp_insert_post(['post_title' => 'Live from B', 'post_status' => 'publish', 'post_content' => home_url('/b/')]);`);
      await outboxOfA.take();
      await php(a.client, `wp_insert_post(['post_title' => 'Live from A', 'post_status' => 'publish', 'post_content' => home_url('/a/')]);`);
      const batchesOfB = await outboxOfB.take();
      const batchesOfA = await outboxOfA.take();
      expect(batchesOfB.map((batch) => batch.seq)).toEqual([installed.ownBatchSeq + 1]);
      expect(batchesOfA.map((batch) => batch.seq)).toEqual([installed.baseBatchSeq + 1]);
      const onA = await applyBatch(a.client, batchesOfB[0]!, { fromSiteUrl: b.siteUrl, toSiteUrl: a.siteUrl, fromPeer: 'peer-b' });
      const onB = await applyBatch(b.client, batchesOfA[0]!, { fromSiteUrl: a.siteUrl, toSiteUrl: b.siteUrl, fromPeer: 'peer-a' });
      expect([onA.status, onB.status]).toEqual(['applied', 'applied']);
      expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).toBe('');
    }
  });
});
