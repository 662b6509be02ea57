import { test } from 'vitest';
import { applyBatch, installCapture, pullChanges, type ChangeBatch } from '../src/db';
import { SQLITE_DRIVER_IDS, bootNodeSite, type NodeSite } from '../test/harness';
import { median, recordSection, timeMs, type Measurement } from './record';

/**
 * The database engine's costs on real WordPress (6.5) in Node, per driver: capture overhead on
 * writes and page loads against the same site without capture, drain and apply throughput.
 */

const POSTS = 50;
const ROWS = 1000;

function url(name: string): string {
  return `https://playground.wordpress.net/scope:bench-db-${name}/`;
}

async function run(site: NodeSite, code: string): Promise<void> {
  const response = await site.client.run({ code });
  if (response.exitCode !== 0 || response.errors.includes('Fatal')) throw new Error(response.text + response.errors);
}

const insertPosts = `<?php require '/wordpress/wp-load.php';
for ($i = 0; $i < ${POSTS}; $i++) { $id = wp_insert_post(array('post_title' => "Bench $i", 'post_status' => 'publish')); add_post_meta($id, 'bench', $i); }`;

function rawMetaInserts(site: NodeSite): string {
  return `<?php $pdo = new PDO('sqlite:${site.facts.databasePath}'); $pdo->exec('BEGIN');
$s = $pdo->prepare("INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (1, 'bench_raw', ?)");
for ($i = 0; $i < ${ROWS}; $i++) { $s->execute(array(str_repeat('x', 200) . $i)); } $pdo->exec('COMMIT');`;
}

test.each(SQLITE_DRIVER_IDS)('database capture, drain and apply on the %s driver', async (driver) => {
  const plain = await bootNodeSite({ wp: '6.5', driver, siteUrl: url(`${driver}-plain`) });
  const a = await bootNodeSite({ wp: '6.5', driver, siteUrl: url(`${driver}-a`) });
  const b = await bootNodeSite({ wp: '6.5', driver, siteUrl: url(`${driver}-b`) });
  let taken = 0;
  const take = async (capture = false) => {
    const { batches } = await pullChanges(a.client, { peerId: 'bench-a', after: taken, release: taken, capture });
    taken = batches.at(-1)?.seq ?? taken;
    return batches;
  };
  const installMs = await timeMs(() => installCapture(a.client, { peerId: 'bench-a' }));
  await installCapture(b.client, { peerId: 'bench-b' });
  const apply = (batch: ChangeBatch) =>
    applyBatch(b.client, batch, { fromSiteUrl: a.siteUrl, toSiteUrl: b.siteUrl, fromPeer: 'bench-a' });

  const plainWrites: number[] = [];
  const capturedWrites: number[] = [];
  const applyMs: number[] = [];
  let rowsPerBatch = 0;
  for (let i = 0; i < 3; i++) {
    plainWrites.push(await timeMs(() => run(plain, insertPosts)));
    capturedWrites.push(await timeMs(() => run(a, insertPosts)));
    const sent = await take();
    rowsPerBatch = sent.reduce((sum, batch) => sum + batch.rows.length, 0);
    for (const batch of sent) applyMs.push(await timeMs(() => apply(batch)));
  }

  const plainPages: number[] = [];
  const capturedPages: number[] = [];
  await plain.visit('/');
  await a.visit('/');
  for (let i = 0; i < 10; i++) {
    plainPages.push(await timeMs(() => plain.visit('/')));
    capturedPages.push(await timeMs(() => a.visit('/')));
  }
  for (const batch of await take()) await apply(batch);

  const emptyDrains: number[] = [];
  for (let i = 0; i < 5; i++) emptyDrains.push(await timeMs(() => take(true)));
  await run(a, rawMetaInserts(a));
  let big: ChangeBatch | null = null;
  const bigDrainMs = await timeMs(async () => {
    big = (await take(true))[0] ?? null;
  });
  if (big === null) throw new Error('nothing drained');
  const bigBatch: ChangeBatch = big;
  const bigApplyMs = await timeMs(async () => {
    const result = await apply(bigBatch);
    if (result.status !== 'applied') throw new Error(JSON.stringify(result));
  });
  await Promise.all([plain.dispose(), a.dispose(), b.dispose()]);

  const measurements: Measurement[] = [
    { name: 'installCapture (files, tables, triggers)', value: installMs, unit: 'ms' },
    {
      name: `${POSTS} × wp_insert_post + add_post_meta in one request, with capture and its drain (median of 3)`,
      value: median(capturedWrites) / median(plainWrites),
      unit: '×',
      baseline: `the same request on a site without capture (${median(plainWrites).toFixed(0)} ms)`,
    },
    { name: `rows in that request's batch`, value: rowsPerBatch, unit: 'rows' },
    {
      name: 'GET / with capture installed (median of 10)',
      value: median(capturedPages) / median(plainPages),
      unit: '×',
      baseline: `GET / without capture (${median(plainPages).toFixed(1)} ms)`,
    },
    { name: 'pull with capture, nothing to send (median of 5, run() included)', value: median(emptyDrains), unit: 'ms' },
    { name: `pull with capture of ${ROWS} raw-PDO inserted rows (run() included)`, value: bigDrainMs, unit: 'ms' },
    {
      name: `applyBatch() of that ${ROWS}-row batch (no WordPress boot)`,
      value: (ROWS / bigApplyMs) * 1000,
      unit: 'rows/s',
      notes: `${bigApplyMs.toFixed(0)} ms`,
    },
    { name: `applyBatch() of a ${rowsPerBatch}-row content batch (median of 3)`, value: median(applyMs), unit: 'ms' },
  ];
  recordSection(`30-db-sync-${driver}`, `Database capture and replay (WordPress 6.5, ${driver} driver)`, measurements);
});
