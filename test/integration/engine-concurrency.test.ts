import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSite } from '../harness';
import {
  expectConverged,
  failuresIn,
  inWordPress,
  startPair,
  stopPair,
  syncUntilQuiet,
  type Combination,
  type EnginePair,
} from './engine-support';

/**
 * The real platform runs several PHP instances per site over one SQLite file, and file locks do
 * nothing in its in-memory filesystem. A request that calls into JavaScript (the drain's signal)
 * yields, and another instance's request then runs against the same file. The block editor makes
 * requests overlap in normal use (autosave, parallel REST saves). These bursts of overlapping page
 * requests must keep every write on the site that made it, reach the paired site, and leave both
 * databases intact. On older builds only the primary instance relays `post_message_to_js`: what a
 * secondary instance drained must still leave without waiting for a later request.
 */

const BURST_URL_PATH = '/wp-content/upgrade/pg-burst.php';
const BURST_PHP = `<?php
require '/wordpress/wp-load.php';
$n = (string) $_GET['n'];
$id = wp_insert_post(array('post_title' => 'Burst ' . $n, 'post_status' => 'publish', 'post_content' => 'At ' . home_url('/burst/')));
add_post_meta($id, 'burst', $n);
update_option('pg_burst_last_' . substr($n, 0, 1), $n);
echo $id;
`;

const ROUNDS = 6;
const PARALLEL = 12;

interface Setting {
  readonly combination: Combination;
  readonly messagesFrom: 'all' | 'primary';
}

const SETTINGS: readonly Setting[] = [
  { combination: { driver: 'ast', wp: 'nightly' }, messagesFrom: 'all' },
  { combination: { driver: 'legacy', wp: '6.5' }, messagesFrom: 'primary' },
];

async function integrityOf(site: NodeSite): Promise<string> {
  const response = await site.client.run({
    code: `<?php $pdo = new PDO('sqlite:${site.facts.databasePath}'); echo implode("\\n", $pdo->query('PRAGMA integrity_check')->fetchAll(PDO::FETCH_COLUMN));`,
  });
  return response.text.trim();
}

function burstTitles(site: NodeSite): Promise<string[]> {
  return inWordPress<string[]>(
    site,
    `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM {$wpdb->posts} WHERE post_title LIKE 'Burst %' ORDER BY post_title");`,
  );
}

/** Every page request of one round starts before any ends: they run on the site's PHP instances at once. */
async function burst(site: NodeSite, tag: string, rounds = ROUNDS): Promise<string[]> {
  const expected: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const names = Array.from({ length: PARALLEL }, (_, i) => `${tag}${round}-${String(i).padStart(2, '0')}`);
    const responses = await Promise.all(names.map(async (n) => (await site.visit(`${BURST_URL_PATH}?n=${n}`)).response));
    for (const [i, response] of responses.entries()) {
      expect(response.httpStatusCode, response.text).toBe(200);
      expect(response.text.trim(), `request ${names[i]}`).toMatch(/^\d+$/);
    }
    expected.push(...names.map((n) => `Burst ${n}`));
  }
  return expected;
}

/** Waits (without flushing) until `condition` holds: what the site drained leaves on its own. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`Still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(SETTINGS)('overlapping requests on $combination.driver/$combination.wp, messages from $messagesFrom instances', ({ combination, messagesFrom }) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, `burst-${messagesFrom}`, { sites: { messagesFrom } });
    for (const site of [pair.a, pair.b]) {
      await site.client.mkdir(`/wordpress${BURST_URL_PATH.replace(/\/[^/]+$/, '')}`);
      await site.client.writeFile(`/wordpress${BURST_URL_PATH}`, BURST_PHP);
      // The first visit logs in (and redirects); the bursts come from a browser that is logged in.
      await site.visit('/wp-admin/');
    }
  });
  afterAll(() => stopPair(pair));

  it(`keeps every write of ${PARALLEL} parallel requests × ${ROUNDS} rounds and sends it without a later request, both databases intact`, async () => {
    const sentRows = () =>
      pair.link.log
        .filter((message) => message.from === 'a')
        .reduce((count, message) => count + (message.json.match(/"post_title":"Burst /g)?.length ?? 0), 0);
    const expected = await burst(pair.a, 'a');
    expect(await burstTitles(pair.a)).toEqual(expected);
    await eventually(() => sentRows() >= expected.length, `A's ${expected.length} burst posts to go out`);
    await syncUntilQuiet(pair);
    expect(await integrityOf(pair.a)).toBe('ok');
    expect(await integrityOf(pair.b)).toBe('ok');
    expect(await burstTitles(pair.b)).toEqual(expected);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect([pair.peerA.pendingCount, pair.peerB.pendingCount]).toEqual([0, 0]);
  });

  it('keeps every write when both sites burst at once', async () => {
    const [onA, onB] = await Promise.all([burst(pair.a, 'c', 3), burst(pair.b, 'd', 3)]);
    await syncUntilQuiet(pair);
    for (const site of [pair.a, pair.b]) expect(await integrityOf(site)).toBe('ok');
    const titles = await burstTitles(pair.a);
    expect(titles).toEqual(expect.arrayContaining([...onA, ...onB]));
    expect(await burstTitles(pair.b)).toEqual(titles);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
  });
});
