import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCapture } from '../../src/db';
import { shardCopySource } from '../../src/pairing/copy-source';
import {
  captureCopy,
  installCopy,
  readSiteFacts,
  siteFileHashes,
  CopyReassembler,
  copyToEnvelopes,
  type SiteCopy,
  type CopyBegin,
  type CopyChunk,
  type CopyEnd,
} from '../../src/engine/copy';
import { installIdShards, readIdShardStatus } from '../../src/ids';
import type { BlobStore } from '../../src/files';
import type { SiteClient } from '../../src/platform/site-client';
import { ENGINE_TABLE_PREFIX } from '../../src/sync/local-only';
import {
  LOCAL_ONLY_RULES,
  bootNodeSite,
  compareSiteStates,
  dumpSiteState,
  formatDifferences,
  type IgnoreRule,
  type NodeSite,
  type SqliteDriverId,
  type SiteState,
} from '../harness';
import { pullCopyBlobs, storeOf } from './copy-support';
import { ACROSS_VERSIONS_RULES } from './db-support';

/**
 * The full-state copy's other cases: a fresh site's copy time, a peer that lost its state (a
 * temporary tab reloaded), a failure half-way and its retry, copies between WordPress versions.
 */

const ENGINE_TABLES: IgnoreRule[] = [
  { kind: 'table', table: new RegExp(`^${ENGINE_TABLE_PREFIX}`), why: "the engine's own bookkeeping, per site" },
];
const url = (side: string) => `https://playground.wordpress.net/scope:snap-recovery-${side}/`;

function differences(a: NodeSite, stateA: SiteState, b: NodeSite, stateB: SiteState, also: readonly IgnoreRule[] = []): string {
  return formatDifferences(
    compareSiteStates(stateA, stateB, { aUrl: a.siteUrl, bUrl: b.siteUrl, ignore: [...LOCAL_ONLY_RULES, ...ENGINE_TABLES, ...also] }),
  );
}

/** Sites on two WordPress versions, and the engine's scratch area and blob store (a copy's source keeps its blobs). */
const CORE_AND_DB_VERSION: IgnoreRule[] = [...ACROSS_VERSIONS_RULES, { kind: 'file', path: /^wp-content\/upgrade\//, why: 'the engine’s scratch area' }];
/** What 6.6's upgrade changes in a 6.5 database: `autoload` 'yes'/'no' become 'on'/'off'. */
const UPGRADED_AUTOLOAD: IgnoreRule = { kind: 'column', table: /^wp_options$/, columns: ['autoload'], why: 'rewritten by the upgrade on one side only (not synced in this test)' };

/** sha256 of every file of WordPress core (wp-admin, wp-includes, the root's own files). */
async function coreFiles(site: NodeSite): Promise<Record<string, string>> {
  const { files } = await dumpSiteState(site);
  return Object.fromEntries(Object.entries(files).filter(([path]) => /^(?:wp-admin|wp-includes)\//.test(path) || /^wp-(?!config)[a-z-]+\.php$/.test(path)));
}

async function php(client: SiteClient, code: string): Promise<string> {
  const response = await client.run({ code: `<?php require '/wordpress/wp-load.php';\n${code}` });
  expect(response.errors).toBe('');
  return response.text;
}

async function transfer(copy: SiteCopy): Promise<{ copy: SiteCopy; envelopes: number; jsonBytes: number }> {
  const header = { pairId: 'pair-1', from: 'peer-a', to: 'peer-b', seq: 0, ackUpTo: 0, hlc: '000000000001.0000.peer-a' };
  const texts = (await copyToEnvelopes(copy, { copyId: 'snap-1', baseSeq: 0, header })).map((e) => JSON.stringify(e));
  const [begin, ...rest] = texts.map((text) => JSON.parse(text) as CopyBegin | CopyChunk | CopyEnd);
  const reassembler = new CopyReassembler(begin as CopyBegin);
  for (const envelope of rest) reassembler.receive(envelope as CopyChunk | CopyEnd);
  return { copy: await reassembler.assemble(), envelopes: texts.length, jsonBytes: texts.reduce((sum, text) => sum + text.length, 0) };
}

/** The site's client with `writeFile` failing for paths matching `failing`. */
/** `store`, with the files whose paths match `failing` refused when unpacked. */
function failingWrites(store: BlobStore, failing: RegExp): Pick<BlobStore, 'has' | 'place' | 'unpack'> {
  return {
    has: (sha256) => store.has(sha256),
    place: (sha256, target) => store.place(sha256, target),
    async unpack(sha256, entries) {
      const written = await store.unpack(sha256, entries.filter((entry) => !failing.test(entry.target)));
      return entries.map((entry) => (failing.test(entry.target) ? `disk full at ${entry.target}` : written.shift()!));
    },
  };
}

/** What reloading a temporary tab does: a fresh database, and nothing left under /internal. */
async function loseState(site: NodeSite): Promise<void> {
  await site.resetDatabase();
  for (const path of [
    '/internal/shared/playground-sync/config.json',
    '/internal/shared/preload/zz-playground-sync.php',
    '/internal/shared/preload/zz-playground-sync-id-shards.php',
  ]) {
    if (await site.client.fileExists(path)) await site.client.unlink(path);
  }
}

describe('full-state copy: fresh sites, lost state, failures', () => {
  let a: NodeSite;
  let b: NodeSite;

  beforeAll(async () => {
    a = await bootNodeSite({ driver: 'ast', wp: '6.5', siteUrl: url('a') });
    b = await bootNodeSite({ driver: 'ast', wp: '6.5', siteUrl: url('b') });
  });
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('copies a fresh site with and without the target’s file list, equal either way (timings logged, not asserted)', async () => {
    const timings: string[] = [];
    for (const withFileList of [true, false]) {
      const t0 = performance.now();
      const targetFiles = withFileList ? await siteFileHashes(b.client) : undefined;
      const t1 = performance.now();
      const copy = await captureCopy(a.client, { store: storeOf(a), targetFiles });
      const t2 = performance.now();
      const moved = await transfer(copy);
      await pullCopyBlobs(a, b, copy.meta);
      const t3 = performance.now();
      await installCopy(b.client, moved.copy, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
      const t4 = performance.now();
      timings.push(
        `${withFileList ? 'with' : 'without'} the target's file list: total ${(t4 - t0).toFixed(0)} ms ` +
          `(target files ${(t1 - t0).toFixed(0)}, capture ${(t2 - t1).toFixed(0)}, transfer ${(t3 - t2).toFixed(0)}, install ${(t4 - t3).toFixed(0)}); ` +
          `${moved.envelopes} envelopes, ${(moved.jsonBytes / 1e6).toFixed(1)} MB JSON, ${copy.meta.shippedFileCount}/${copy.meta.fileCount} files shipped`,
      );
      expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).toBe('');
    }
    console.log(`[copy fresh 6.5/ast]\n${timings.join('\n')}`);
  });

  it('restores a peer that lost its state (its database back to a fresh install) as itself', async () => {
    await installCapture(a.client, { peerId: 'peer-a' });
    await installCapture(b.client, { peerId: 'peer-b' });
    const plan = await shardCopySource(a.client, 0);
    await installIdShards(b.client, plan, 1);
    {
      await php(a.client, `wp_insert_post(['post_title' => 'Before the reload', 'post_status' => 'publish']);`);
      await loseState(b);
      expect((await readSiteFacts(b.client)).engine).toBeNull();
      const moved = await transfer(await captureCopy(a.client, { store: storeOf(a), targetFiles: await siteFileHashes(b.client) }));
      await pullCopyBlobs(a, b, moved.copy.meta);
      const installation = await installCopy(b.client, moved.copy, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
      expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).toBe('');
      const facts = await readSiteFacts(b.client);
      expect(facts.engine?.peerId).toBe('peer-b');
      expect(facts.engine?.cursors).toEqual({ 'peer-a': moved.copy.meta.lastBatchSeq });
      expect(installation.idPlan).toEqual(plan);
      expect((await readIdShardStatus(b.client))?.slot).toBe(1);
      expect((await readIdShardStatus(a.client))?.slot).toBe(0);
    }
  });

  it('leaves the old database when files fail half-way, and converges on retry', async () => {
    await a.client.mkdir('/wordpress/wp-content/plugins/retry-demo');
    await a.client.writeFile('/wordpress/wp-content/plugins/retry-demo/a.php', '<?php // a');
    await a.client.writeFile('/wordpress/wp-content/plugins/retry-demo/b.php', '<?php // b');
    await php(a.client, `wp_insert_post(['post_title' => 'Retry post', 'post_status' => 'publish']);`);
    const copy = (await transfer(await captureCopy(a.client, { store: storeOf(a), targetFiles: await siteFileHashes(b.client) }))).copy;
    await pullCopyBlobs(a, b, copy.meta);
    const before = await dumpSiteState(b);
    await expect(installCopy(b.client, copy, { peerId: 'peer-b', idSlot: 1, store: failingWrites(storeOf(b), /retry-demo\/b\.php$/) })).rejects.toThrow(
      /1 of \d+ file changes failed \(the database was left as it was.*disk full/,
    );
    const half = await dumpSiteState(b);
    expect(half.tables).toEqual(before.tables);
    expect(Object.keys(half.files).filter((path) => path.includes('retry-demo'))).toEqual(['wp-content/plugins/retry-demo/a.php']);
    const databaseDirectory = (await readSiteFacts(b.client)).databasePath.replace(/\/[^/]+$/, '');
    expect((await b.client.listFiles(databaseDirectory)).filter((name) => name.includes('pgsync'))).toEqual([]);

    await installCopy(b.client, copy, { peerId: 'peer-b', idSlot: 1, store: storeOf(b) });
    expect(differences(a, await dumpSiteState(a), b, await dumpSiteState(b))).toBe('');
  });
});

describe.each<SqliteDriverId>(['ast', 'legacy'])('full-state copy across WordPress versions, %s driver', (driver) => {
  let older: NodeSite;
  let a: NodeSite;
  let nightly: NodeSite;

  beforeAll(async () => {
    older = await bootNodeSite({ driver, wp: '6.4', siteUrl: url(`versions-${driver}-older`) });
    a = await bootNodeSite({ driver, wp: '6.5', siteUrl: url(`versions-${driver}-a`) });
    nightly = await bootNodeSite({ driver, wp: 'nightly', siteUrl: url(`versions-${driver}-nightly`) });
  });
  afterAll(async () => {
    await older?.dispose();
    await a?.dispose();
    await nightly?.dispose();
  });

  it('installs across WordPress versions, both ways: each site keeps its own WordPress, and a database older than it is upgraded', async () => {
    const coreBefore = await coreFiles(nightly);
    // Logged in, as a Playground tab is; the copy brings another password hash, which WordPress signs its cookies with.
    expect((await nightly.visit('/wp-admin/profile.php')).url).toMatch(/\/wp-admin\/profile\.php$/);
    const passwordHash = `echo $wpdb->get_var("SELECT user_pass FROM $wpdb->users WHERE user_login = 'admin'");`;
    expect(await php(nightly.client, passwordHash)).not.toBe(await php(older.client, passwordHash));
    await php(older.client, `wp_insert_post(['post_title' => 'Written under 6.4', 'post_status' => 'publish']);`);
    // The copy's database as WordPress 6.4 keeps it: the target's WordPress upgrades it.
    const moved = await transfer(await captureCopy(older.client, { store: storeOf(older), targetFiles: await siteFileHashes(nightly.client) }));
    await pullCopyBlobs(older, nightly, moved.copy.meta);
    const installation = await installCopy(nightly.client, moved.copy, { peerId: 'peer-c', idSlot: 1, store: storeOf(nightly) });
    expect(installation.databaseUpgrade).toEqual({ from: 56657, to: 57155 });
    // Still logged in: the session went on under the copied user row.
    expect(installation.sessionCarried).toBe('admin');
    // (The profile screen: the Dashboard would write a Quick Draft.)
    const profile = await nightly.visit('/wp-admin/profile.php');
    expect([profile.url, profile.redirects]).toEqual([expect.stringMatching(/\/wp-admin\/profile\.php$/), []]);
    expect(await php(nightly.client, passwordHash)).toBe(await php(older.client, passwordHash));
    // Only the engine can ask for that (a one-time secret it wrote): a page's own request is refused.
    expect(JSON.parse((await nightly.client.request({ url: '/?playground-sync-carry-session=forged' })).text)).toEqual({ carried: null, refused: 'not asked by Playground Sync' });
    expect(await php(nightly.client, `require ABSPATH . WPINC . '/version.php'; echo $wp_version, ' ', get_option('db_version');`)).toMatch(/^6\.7-alpha-\d+ 57155$/);
    expect(await coreFiles(nightly)).toEqual(coreBefore);
    expect(await php(older.client, `echo get_option('db_version');`)).toBe('56657');
    expect(differences(older, await dumpSiteState(older), nightly, await dumpSiteState(nightly), [...CORE_AND_DB_VERSION, UPGRADED_AUTOLOAD])).toBe('');
    const turnedOn = `echo $wpdb->get_var("SELECT count(*) FROM $wpdb->options WHERE autoload = 'on'");`;
    expect([await php(older.client, turnedOn), Number(await php(nightly.client, turnedOn)) > 0]).toEqual(['0', true]);

    // And back: 6.5 takes the newer site's copy and keeps its WordPress and database version; nothing to upgrade.
    await php(nightly.client, `wp_insert_post(['post_title' => 'Written under 6.7', 'post_status' => 'publish']);`);
    const aCore = await coreFiles(a);
    const back = await transfer(await captureCopy(nightly.client, { store: storeOf(nightly), targetFiles: await siteFileHashes(a.client) }));
    await pullCopyBlobs(nightly, a, back.copy.meta);
    const installedBack = await installCopy(a.client, back.copy, { peerId: 'peer-a', idSlot: 0, store: storeOf(a) });
    expect(installedBack.databaseUpgrade).toBeNull();
    expect(await php(a.client, `require ABSPATH . WPINC . '/version.php'; echo $wp_version, ' ', get_option('db_version');`)).toBe('6.5.5 57155');
    expect(await coreFiles(a)).toEqual(aCore);
    expect(differences(a, await dumpSiteState(a), nightly, await dumpSiteState(nightly), CORE_AND_DB_VERSION)).toBe('');
    expect(await php(a.client, `echo implode(',', array_map(fn ($p) => $p->post_title, get_posts(['numberposts' => -1, 'orderby' => 'title', 'order' => 'ASC', 's' => 'Written under'])));`)).toBe(
      'Written under 6.4,Written under 6.7',
    );
  });
});
