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
  type SiteState,
} from '../harness';
import { pullCopyBlobs, storeOf } from './copy-support';

/**
 * The full-state copy's other cases: a fresh site's copy time, a peer that lost its state (a
 * temporary tab reloaded), a failure half-way and its retry, a real WordPress version mismatch.
 */

const ENGINE_TABLES: IgnoreRule[] = [
  { kind: 'table', table: new RegExp(`^${ENGINE_TABLE_PREFIX}`), why: "the engine's own bookkeeping, per site" },
];
const url = (side: string) => `https://playground.wordpress.net/scope:snap-recovery-${side}/`;

function differences(a: NodeSite, stateA: SiteState, b: NodeSite, stateB: SiteState): string {
  return formatDifferences(
    compareSiteStates(stateA, stateB, { aUrl: a.siteUrl, bUrl: b.siteUrl, ignore: [...LOCAL_ONLY_RULES, ...ENGINE_TABLES] }),
  );
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

  it('refuses a site on another WordPress version, changing nothing', async () => {
    const nightly = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: url('nightly') });
    try {
      const before = await dumpSiteState(nightly);
      // Refused on its description, before its bytes are pulled.
      const copy = await captureCopy(a.client, { store: storeOf(a), targetFiles: await siteFileHashes(nightly.client) });
      await expect(installCopy(nightly.client, copy, { peerId: 'peer-c', idSlot: 1, store: storeOf(nightly) })).rejects.toMatchObject({
        name: 'CopyRefusal',
        code: 'version-mismatch',
        message: expect.stringMatching(/^The source runs WordPress 6\.5\.5 and this site WordPress 6\.7/),
      });
      const after = await dumpSiteState(nightly);
      expect(formatDifferences(compareSiteStates(before, after, { aUrl: nightly.siteUrl, bUrl: nightly.siteUrl }))).toBe('');
    } finally {
      await nightly.dispose();
    }
  });
});
