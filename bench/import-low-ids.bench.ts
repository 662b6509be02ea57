import { expect, test } from 'vitest';
import { findHighIds } from '../src/db';
import { readIdShardStatus, type IdRange } from '../src/ids';
import { inWordPress } from '../test/integration/engine-support';
import { importPostsPhp } from '../test/integration/import-posts';
import { expectReplicated, SETUP, startTimedPair, stopPair, type TimedPair } from './pair';
import { recordSection, timeMs, type Measurement } from './record';

/**
 * What low IDs (docs/ids.md, on for every new pairing) cost a big import: one request on the
 * site that does not number writes the posts (four rows each); they reach the numberer, which
 * renumbers them a pass at a time (each pass reads the whole site), and every renumbering comes
 * back. Compared with the same import in a pairing with low IDs off, in the same process: the time
 * from the end of the import request until both sites hold the same rows (and, on, every row low).
 */

const SIZES = [1000, 4000, 20000];
/** Long enough for the biggest import on a loaded machine; the bench fails rather than report a half-settled figure. */
const SETTLE_LIMIT_MS = 30 * 60_000;

async function highRowsLeft(pair: TimedPair, zone: IdRange): Promise<number> {
  let left = 0;
  for (const site of [pair.a, pair.b]) {
    const report = await findHighIds(site.client, { zone });
    left += report.occurrences.length + report.provisional.filter((row) => row.reason === 'not-reclaimed').length;
  }
  return left;
}

/** Delivers until nothing moves and, with `zone`, no row made while synced is left high on either site. */
async function settle(pair: TimedPair, zone: IdRange | undefined): Promise<void> {
  const deadline = performance.now() + SETTLE_LIMIT_MS;
  while (performance.now() < deadline) {
    const before = pair.link.log.length;
    await pair.peerA.flush();
    await pair.peerB.flush();
    await pair.extension.idle();
    await pair.link.settle();
    if (pair.link.log.length !== before) continue;
    if (!zone || (await highRowsLeft(pair, zone)) === 0) return;
    // A pass waits for its quiet time: let it come.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the import did not settle within ${SETTLE_LIMIT_MS / 60_000} minutes`);
}

interface ImportRun {
  readonly importMs: number;
  readonly settleMs: number;
}

async function importAndSettle(posts: number, lowIds: boolean): Promise<ImportRun> {
  const pair = await startTimedPair(`import-${lowIds ? 'low' : 'high'}-${posts}`, lowIds ? {} : { lowIds: false });
  try {
    const zone = (await readIdShardStatus(pair.a.client))!.groupRange;
    // On the site that does not number (the numberer is the site copied from, A).
    const importMs = await timeMs(async () => expect(await inWordPress(pair.b, importPostsPhp(posts))).toBe(posts));
    const settleMs = await timeMs(() => settle(pair, lowIds ? zone : undefined));
    await expectReplicated(pair);
    const idsOnA = await inWordPress<number[]>(pair.a, `global $wpdb; $result = array_map('intval', $wpdb->get_col("SELECT ID FROM $wpdb->posts WHERE post_type = 'import_item'"));`);
    expect(idsOnA).toHaveLength(posts);
    // Off, the imported posts keep B's high IDs; on, every one got a low ID: the two runs measured different work.
    expect(idsOnA.every((id) => id >= zone.lo)).toBe(!lowIds);
    return { importMs, settleMs };
  } finally {
    await stopPair(pair);
  }
}

test('an import on the site that does not number, with low IDs on and off', async () => {
  const measurements: Measurement[] = [];
  for (const posts of SIZES) {
    const off = await importAndSettle(posts, false);
    const on = await importAndSettle(posts, true);
    const ratio = on.settleMs / off.settleMs;
    measurements.push(
      { name: `${posts} posts (${4 * posts} rows): import request, then settled with low IDs off`, value: Math.round(off.settleMs), unit: 'ms', notes: `import request ${Math.round(off.importMs)} ms` },
      {
        name: `${posts} posts: settled with low IDs on (every row renumbered on both sites)`,
        value: Math.round(on.settleMs),
        unit: 'ms',
        notes: `import request ${Math.round(on.importMs)} ms; ${(on.settleMs / posts).toFixed(1)} ms a post`,
      },
      { name: `${posts} posts: low IDs on against off`, value: Number(ratio.toFixed(1)), unit: '×', baseline: 'the same import with low IDs off, same process' },
    );
  }
  recordSection('46-import-low-ids', `Low IDs: what they cost a big import (${SETUP})`, measurements);
}, 3 * SETTLE_LIMIT_MS);
