import { expect, test } from 'vitest';
import { decodeDelta, WireDeltaSchema } from '../src/engine/delta';
import { parseEnvelope } from '../src/sync/wire';
import { syncUntilQuiet } from '../test/integration/engine-support';
import { SETUP, deltaReceipts, deltasSent, expectReplicated, lastJournalTime, startTimedPair, stopPair, timed, type TimedPair } from './pair';
import { median, recordSection } from './record';

/**
 * Files replicated per second: one request on A writes a 1,000-file plugin (small PHP files in
 * one folder); the recorder reads them through the FS journal, the delta crosses the JSON link
 * and B writes them. Repeated with a new plugin folder each round; medians.
 */

const FILES = 1000;
const ROUNDS = 3;

const writePlugin = (round: number) => `<?php
$dir = '/wordpress/wp-content/plugins/bench-files-${round}';
mkdir($dir);
for ($i = 0; $i < ${FILES}; $i++) {
  file_put_contents("$dir/file-$i.php", "<?php\\n// Bench plugin ${round}, file $i\\nfunction bench_${round}_$i() { return $i; }\\n" . str_repeat('x', 200));
}
echo microtime(true) * 1000;`;

interface Round {
  files: number;
  bytes: number;
  recordMs: number;
  transferMs: number;
  applyMs: number;
  decodeMs: number;
  endToEndMs: number;
}

async function replicateOnce(pair: TimedPair, round: number): Promise<Round> {
  const marks = { log: pair.link.log.length, journal: pair.journal.length, receipts: pair.receipts.b.length };
  const response = await pair.a.client.run({ code: writePlugin(round) });
  expect(response.errors).toBe('');
  const endedAt = Number(response.text);
  await syncUntilQuiet(pair);

  const deltas = deltasSent(pair, 'a', marks.log);
  const files = deltas.flatMap((delta) => delta.payload.files).filter((change) => change.op === 'write').length;
  expect(files).toBe(FILES);
  expect(await pair.b.client.listFiles(`/wordpress/wp-content/plugins/bench-files-${round}`)).toHaveLength(FILES);
  const applied = deltaReceipts(pair, marks.receipts);
  expect(applied.length).toBeGreaterThanOrEqual(deltas.length);
  return {
    files,
    bytes: deltas.reduce((sum, delta) => sum + Buffer.byteLength(delta.json), 0),
    recordMs: lastJournalTime(pair, marks.journal, 'a', 'sent') - endedAt,
    transferMs: timed(() => deltas.map((delta) => JSON.stringify(JSON.parse(delta.json)))),
    applyMs: applied.reduce((sum, receipt) => sum + receipt.ms, 0),
    decodeMs: timed(() => {
      for (const { json, pairId } of deltas) {
        const wire = parseEnvelope(JSON.parse(json), { pairId, self: 'peer-b', peer: 'peer-a', payload: WireDeltaSchema });
        if (wire.ok && wire.value.kind === 'delta') decodeDelta(wire.value.payload);
      }
    }),
    endToEndMs: lastJournalTime(pair, marks.journal, 'b', 'received') - endedAt,
  };
}

test('files replicated per second', async () => {
  const pair = await startTimedPair('files');
  try {
    await pair.a.client.writeFile('/wordpress/wp-content/warm-up.txt', 'warm');
    await syncUntilQuiet(pair);

    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) rounds.push(await replicateOnce(pair, round));
    await expectReplicated(pair);

    const m = (pick: (r: Round) => number) => median(rounds.map(pick));
    recordSection('22-engine-files', `Sync engine: a ${FILES}-file plugin written on A in one request, replicated to B (${SETUP}, median of ${ROUNDS} rounds)`, [
      {
        name: 'files/s, end to end',
        value: m((r) => r.files / (r.endToEndMs / 1000)),
        unit: 'files/s',
        notes: "from the end of A's request to written on B",
      },
      { name: 'files/s, apply on B', value: m((r) => r.files / (r.applyMs / 1000)), unit: 'files/s' },
      { name: 'delta size on the link', value: m((r) => r.bytes) / 1024, unit: 'KiB', notes: `${FILES} files of ~260 bytes` },
      { name: 'record on A (journal, read, hash), until sent', value: m((r) => r.recordMs), unit: 'ms' },
      { name: 'transfer: JSON stringify + parse of the delta', value: m((r) => r.transferMs), unit: 'ms' },
      { name: 'apply on B', value: m((r) => r.applyMs), unit: 'ms' },
      { name: '… of which validating and decoding the delta (JS)', value: m((r) => r.decodeMs), unit: 'ms' },
      { name: 'end to end', value: m((r) => r.endToEndMs), unit: 'ms' },
    ]);
  } finally {
    await stopPair(pair);
  }
});
