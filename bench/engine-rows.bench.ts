import { expect, test } from 'vitest';
import { checkOutboxEntry, PullAnswerSchema } from '../src/db';
import { parseMessage } from '../src/protocol/validate';
import { WireDeltaSchema } from '../src/engine/delta';
import { parseEnvelope } from '../src/sync/wire';
import { inWordPress, syncUntilQuiet } from '../test/integration/engine-support';
import { SETUP, deltaReceipts, deltasSent, expectReplicated, lastJournalTime, startTimedPair, stopPair, timed, type TimedPair } from './pair';
import { median, recordSection } from './record';
/**
 * Rows replicated per second: 1,000 posts with a meta row each, created on A in one request,
 * drained at the end of it (outbox batches of at most 10,000 rows and about 2 MiB), sent as one delta per batch over
 * the JSON link and applied on B. Repeated;
 * medians. Also the time to pair two fresh sites.
 */

const POSTS = 1000;
const ROUNDS = 3;
const TARGET_ROWS_PER_S = 10_000;

/** Inserts on A; answers the PHP time and when the inserting code ended (epoch ms, PHP's clock). */
const insertPosts = (round: number) => `
$start = hrtime(true);
for ($i = 0; $i < ${POSTS}; $i++) {
  $id = wp_insert_post(['post_title' => "Bench ${round}-$i", 'post_status' => 'publish', 'post_content' => "Body $i"]);
  add_post_meta($id, 'bench_round', ${round});
}
$result = ['ms' => (hrtime(true) - $start) / 1e6, 'endedAt' => microtime(true) * 1000];`;

/** This round's posts that B holds with their meta. */
const countOnB = (round: number) => `
$result = (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->postmeta m JOIN $wpdb->posts p ON p.ID = m.post_id
  WHERE m.meta_key = 'bench_round' AND m.meta_value = '${round}' AND p.post_title LIKE 'Bench ${round}-%'");`;

interface Round {
  rows: number;
  batches: number;
  tables: string;
  bytes: number;
  insertMs: number;
  drainMs: number;
  drainValidateMs: number;
  transferMs: number;
  applyMs: number;
  applyValidateMs: number;
  endToEndMs: number;
}

/** The JS steps on a real delta: validating the drained batch (A), JSON, validating envelope and batch (B). */
function profileJs({ json, pairId, payload }: ReturnType<typeof deltasSent>[number]) {
  const { id, ...stored } = payload.db!;
  const drained = JSON.stringify({ entries: [{ seq: stored.seq, id, batch: stored }], more: false, errors: [] });
  const check = { pairId, self: 'peer-b', peer: 'peer-a', payload: WireDeltaSchema };
  const thrice = (work: () => unknown) => median([0, 1, 2].map(() => timed(work)));
  return {
    drainValidateMs: thrice(() => {
      const answer = parseMessage(PullAnswerSchema, JSON.parse(drained), 'pull answer');
      if (answer.ok) for (const entry of answer.value.entries) checkOutboxEntry(entry, stored.peer);
    }),
    transferMs: thrice(() => JSON.parse(JSON.stringify(JSON.parse(json)))),
    // The envelope's schema checks the batch too: B validates it once, here.
    applyValidateMs: thrice(() => parseEnvelope(JSON.parse(json), check)),
  };
}

async function replicateOnce(pair: TimedPair, round: number): Promise<Round> {
  const marks = { log: pair.link.log.length, journal: pair.journal.length, receipts: pair.receipts.b.length };
  const inserted = await inWordPress<{ ms: number; endedAt: number }>(pair.a, insertPosts(round));
  await syncUntilQuiet(pair);

  const sent = deltasSent(pair, 'a', marks.log).filter((delta) => delta.payload.db !== undefined && delta.payload.db !== null);
  // The drain's batches hold at most 10,000 rows and about 2 MiB each: one delta per batch.
  expect(sent.length).toBeGreaterThanOrEqual(1);
  const rows = sent.flatMap((delta) => delta.payload.db!.rows);
  const tables = new Map<string, number>();
  for (const row of rows) tables.set(row.table, (tables.get(row.table) ?? 0) + 1);
  expect(await inWordPress(pair.b, countOnB(round))).toBe(POSTS);
  const applied = deltaReceipts(pair, marks.receipts);
  expect(applied.length).toBeGreaterThanOrEqual(sent.length);
  const profiles = sent.map(profileJs);
  const total = (pick: (profile: (typeof profiles)[number]) => number) => profiles.reduce((sum, profile) => sum + pick(profile), 0);
  return {
    rows: rows.length,
    batches: sent.length,
    tables: [...tables].map(([table, n]) => `${table} ${n}`).join(', '),
    bytes: sent.reduce((sum, delta) => sum + Buffer.byteLength(delta.json), 0),
    insertMs: inserted.ms,
    drainMs: lastJournalTime(pair, marks.journal, 'a', 'sent') - inserted.endedAt,
    applyMs: applied.reduce((sum, receipt) => sum + receipt.ms, 0),
    endToEndMs: lastJournalTime(pair, marks.journal, 'b', 'received') - inserted.endedAt,
    drainValidateMs: total((profile) => profile.drainValidateMs),
    transferMs: total((profile) => profile.transferMs),
    applyValidateMs: total((profile) => profile.applyValidateMs),
  };
}

test('rows replicated per second, and pairing time', async () => {
  const pair = await startTimedPair('rows');
  try {
    // Warm both sites (opcache, WordPress caches, the first drain and apply).
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Warm-up', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);

    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) rounds.push(await replicateOnce(pair, round));
    await expectReplicated(pair);

    recordSection('20-engine-pairing', `Sync engine: pairing two fresh sites (${SETUP})`, [
      { name: 'pair two fresh sites as the popup does (full copy A → B, then live)', value: pair.pairMs, unit: 'ms', notes: 'one sample' },
      { name: 'boot both sites from the snapshot and pair them', value: pair.bootAndPairMs, unit: 'ms' },
    ]);

    const m = (pick: (r: Round) => number) => median(rounds.map(pick));
    const rows = m((r) => r.rows);
    const applyRate = m((r) => r.rows / (r.applyMs / 1000));
    const endToEndRate = m((r) => r.rows / (r.endToEndMs / 1000));
    const target = `≥ ${TARGET_ROWS_PER_S.toLocaleString('en')} rows/s`;
    recordSection('21-engine-rows', `Sync engine: ${POSTS} posts with meta created on A in one request, replicated to B (${SETUP}, median of ${ROUNDS} rounds)`, [
      { name: 'rows replicated per round', value: rows, unit: 'rows', notes: rounds[0]!.tables },
      { name: 'deltas on the link (one per outbox batch)', value: m((r) => r.batches), unit: 'deltas' },
      { name: 'delta size on the link, all of them', value: m((r) => r.bytes) / 1024, unit: 'KiB' },
      {
        name: 'rows/s, apply on B',
        value: applyRate,
        unit: 'rows/s',
        target,
        met: applyRate >= TARGET_ROWS_PER_S,
        notes: "B's receive(): validate, apply each batch in one transaction, ack",
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
      { name: 'drain on A, until the last delta is sent', value: m((r) => r.drainMs), unit: 'ms' },
      { name: '… of which validating the drained batch (JS)', value: m((r) => r.drainValidateMs), unit: 'ms' },
      { name: 'transfer: JSON stringify + parse of the deltas', value: m((r) => r.transferMs), unit: 'ms' },
      { name: 'apply on B', value: m((r) => r.applyMs), unit: 'ms' },
      { name: '… of which validating envelope and batch (JS)', value: m((r) => r.applyValidateMs), unit: 'ms' },
      { name: 'end to end', value: m((r) => r.endToEndMs), unit: 'ms' },
    ]);
  } finally {
    await stopPair(pair);
  }
});
