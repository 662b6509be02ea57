import { expect, test } from 'vitest';
import * as v from 'valibot';
import { ChangeBatchSchema, parseChangesMessage, type ChangeBatch } from '../src/db';
import { WireDeltaSchema, type WireDelta } from '../src/engine/delta';
import { parseEnvelope } from '../src/sync/wire';
import { deltasFrom, expectReplicated, startPair, syncUntilQuiet, wpRun, type BenchPair } from './pair';
import { median, recordSection } from './record';

/**
 * Rows replicated per second: 1,000 posts with a meta row each, created on A in one request,
 * drained at the end of it, sent as one delta over the JSON link and applied on B. Repeated;
 * medians. Also the time to pair two fresh sites.
 */

const POSTS = 1000;
const ROUNDS = 3;
const TARGET_ROWS_PER_S = 10_000;

/** Inserts on A; answers the PHP time and when the inserting code ended (epoch ms, as PHP sees it). */
const insertPosts = (round: number) => `
$start = hrtime(true);
for ($i = 0; $i < ${POSTS}; $i++) {
  $id = wp_insert_post(['post_title' => "Bench ${round}-$i", 'post_status' => 'publish', 'post_content' => "Body $i"]);
  add_post_meta($id, 'bench_round', ${round});
}
echo json_encode(['ms' => (hrtime(true) - $start) / 1e6, 'endedAt' => microtime(true) * 1000]);`;

interface Round {
  rows: number;
  tables: Record<string, number>;
  bytes: number;
  insertMs: number;
  drainMs: number;
  drainValidateMs: number;
  transferMs: number;
  applyMs: number;
  applyValidateMs: number;
  endToEndMs: number;
}

/** The JS work on each side that is not PHP: validating the drained batch, JSON, validating the envelope. */
function profileJs(json: string) {
  const envelope = JSON.parse(json) as { pairId: string; payload: WireDelta };
  const batch = envelope.payload.db as ChangeBatch;
  const drained = JSON.stringify({ type: 'pg-sync/changes', batch });
  const check = { pairId: envelope.pairId, self: 'peer-b', peer: 'peer-a', payload: WireDeltaSchema };
  return {
    drainValidateMs: median([0, 1, 2].map(() => timed(() => parseChangesMessage(drained)))),
    transferMs: median([0, 1, 2].map(() => timed(() => JSON.parse(JSON.stringify(JSON.parse(json)))))),
    applyValidateMs: median(
      [0, 1, 2].map(() =>
        timed(() => {
          parseEnvelope(JSON.parse(json), check);
          v.parse(ChangeBatchSchema, batch);
        }),
      ),
    ),
  };
}

function timed(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

async function replicateOnce(pair: BenchPair, round: number): Promise<Round> {
  const since = pair.messages.length;
  const inserted = JSON.parse(await wpRun(pair.a.client, insertPosts(round))) as { ms: number; endedAt: number };
  await syncUntilQuiet(pair);
  const sent = deltasFrom(pair.messages, 'a', since);
  expect(sent).toHaveLength(1);
  const delta = sent[0]!;
  const batch = (JSON.parse(delta.json) as { payload: WireDelta }).payload.db!;
  const tables: Record<string, number> = {};
  for (const row of batch.rows) tables[row.table] = (tables[row.table] ?? 0) + 1;
  // Both sites hold this round's posts and meta (full convergence is checked at the end).
  const count = `echo $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->postmeta m JOIN $wpdb->posts p ON p.ID = m.post_id WHERE m.meta_key = 'bench_round' AND m.meta_value = '${round}' AND p.post_title LIKE 'Bench ${round}-%'");`;
  expect(await wpRun(pair.b.client, count)).toBe(String(POSTS));
  const endedAt = inserted.endedAt - performance.timeOrigin;
  return {
    rows: batch.rows.length,
    tables,
    bytes: Buffer.byteLength(delta.json),
    insertMs: inserted.ms,
    drainMs: delta.sentAt - endedAt,
    applyMs: delta.receiveMs!,
    endToEndMs: delta.receivedAt! - endedAt,
    ...profileJs(delta.json),
  };
}

test('rows replicated per second, and pairing time', async () => {
  const pairStarted = performance.now();
  const pair = await startPair('rows');
  const bootAndPairMs = performance.now() - pairStarted;
  try {
    // Warm both sites (first requests fill opcache and WordPress caches) with a small round.
    await wpRun(pair.a.client, `wp_insert_post(['post_title' => 'Warm-up', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);

    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) rounds.push(await replicateOnce(pair, round));
    await expectReplicated(pair);

    const { shardMs, startAMs, startBMs } = pair.pairing;
    const pairMs = shardMs + startAMs + startBMs;
    recordSection('20-engine-pairing', 'Sync engine: pairing two fresh sites (WordPress nightly, AST driver)', [
      { name: 'pair two fresh sites: shardIds + both SyncPeer.start', value: pairMs, unit: 'ms' },
      { name: 'of which shardIds (survey both, install the plan on both)', value: shardMs, unit: 'ms' },
      { name: 'of which SyncPeer.start on A, on B', value: startAMs, unit: 'ms', notes: `B: ${startBMs.toFixed(0)} ms` },
      { name: 'boot both sites from the snapshot and pair them', value: bootAndPairMs, unit: 'ms' },
    ]);

    const m = (pick: (r: Round) => number) => median(rounds.map(pick));
    const rows = m((r) => r.rows);
    const tables = Object.entries(rounds[0]!.tables)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ');
    const rate = (ms: number) => rows / (ms / 1000);
    const applyRate = m((r) => rate(r.applyMs));
    const endToEndRate = m((r) => rate(r.endToEndMs));
    const target = `≥ ${TARGET_ROWS_PER_S.toLocaleString('en')} rows/s`;
    recordSection(
      '21-engine-rows',
      `Sync engine: ${POSTS} posts with meta created on A in one request, replicated to B (median of ${ROUNDS} rounds)`,
      [
        { name: 'rows replicated per round', value: rows, unit: 'rows', notes: tables },
        { name: 'delta size on the link', value: m((r) => r.bytes) / 1024, unit: 'KiB' },
        {
          name: 'rows/s, apply on B',
          value: applyRate,
          unit: 'rows/s',
          target,
          met: applyRate >= TARGET_ROWS_PER_S,
          notes: "B's receive(): validate, apply in one transaction, ack",
        },
        {
          name: 'rows/s, end to end',
          value: endToEndRate,
          unit: 'rows/s',
          target,
          met: endToEndRate >= TARGET_ROWS_PER_S,
          notes: "from the end of A's inserting code to applied on B: drain, send, JSON, apply",
        },
        { name: 'inserting on A (PHP, not sync work)', value: m((r) => r.insertMs), unit: 'ms' },
        { name: 'drain on A, until the delta is sent', value: m((r) => r.drainMs), unit: 'ms' },
        { name: '… of which validating the drained batch (JS)', value: m((r) => r.drainValidateMs), unit: 'ms' },
        { name: 'transfer: JSON stringify + parse of the delta', value: m((r) => r.transferMs), unit: 'ms' },
        { name: 'apply on B', value: m((r) => r.applyMs), unit: 'ms' },
        { name: '… of which validating envelope and batch (JS)', value: m((r) => r.applyValidateMs), unit: 'ms' },
        { name: 'end to end', value: m((r) => r.endToEndMs), unit: 'ms' },
      ],
    );
    console.log(JSON.stringify(rounds, null, 1));
  } finally {
    await pair.stop();
  }
});
