import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpairSite } from '../../src/engine/unpair-site';
import { RANGE_FLOOR } from '../../src/ids';
import { ENGINE_TRACES_PHP, NO_ENGINE_TRACES, parseEngineTraces, type EngineTraces } from '../harness/engine-traces';
import type { NodeSite } from '../harness';
import { TestLink } from '../harness/test-link';
import {
  ALL_COMBINATIONS,
  expectConverged,
  failuresIn,
  inWordPress,
  pairAgain,
  startPair,
  stopPair,
  syncUntilQuiet,
  type EnginePair,
} from './engine-support';

/**
 * Unpair (the popup's, through the background) takes the engine off both sites (defect 5 of
 * issue 10): no trigger, engine table, preload or engine file is left, later writes leave no
 * trace and get ordinary IDs, and a new pairing, once its copy is made, sends only what changed
 * after it.
 */

async function tracesOf(site: NodeSite): Promise<EngineTraces> {
  return parseEngineTraces((await site.client.run({ code: ENGINE_TRACES_PHP })).text);
}

const insertPost = (title: string) =>
  `$id = wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);
   if (is_wp_error($id) || !$id) throw new Exception('insert failed');
   $result = $id;`;

/** Row keys of every delta that crossed the link since `mark`, as `table key`. */
function rowsSent(link: TestLink, mark: number): string[] {
  return link.log.slice(mark).flatMap(({ json }) => {
    const message = JSON.parse(json) as { payload?: { db: { rows: { table: string; key: unknown }[] } | null } };
    return message.payload?.db?.rows.map((row) => `${row.table} ${JSON.stringify(row.key)}`) ?? [];
  });
}

describe.each(ALL_COMBINATIONS)('unpair on WordPress $wp, $driver driver', (combination) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, 'unpair');
  });
  afterAll(() => stopPair(pair));

  it('leaves no trigger, engine table, preload or engine file on either site', async () => {
    await inWordPress(pair.a, insertPost('Synced before unpair'));
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    const installed = await tracesOf(pair.a);
    expect(installed.schema).toEqual(expect.arrayContaining([expect.stringMatching(/^trigger _wp_sqlite_pgsync_trg_/), 'table _wp_sqlite_pgsync_changelog', 'table _wp_sqlite_pgsync_id_plan']));
    expect(installed.preloads.length).toBe(2);

    const mark = pair.journal.length;
    expect(await pair.extension.coordinator.unpair(pair.pairId)).toEqual({ ok: true });
    await pair.extension.idle();
    const removals = pair.journal.slice(mark).filter((line) => line.summary.startsWith('Sync removed from this site'));
    const withoutSlash = (url: string) => url.replace(/\/+$/, '');
    expect(removals.map((line) => withoutSlash(line.site)).sort()).toEqual([pair.a.siteUrl, pair.b.siteUrl].map(withoutSlash).sort());
    // Both preloads are counted: capture's and the ID-shard filter's.
    for (const line of removals) expect(line.summary).toMatch(/^Sync removed from this site: [1-9]\d* capture triggers, [1-9]\d* engine tables, 2 preloads$/);
    for (const site of [pair.a, pair.b]) expect(await tracesOf(site)).toEqual(NO_ENGINE_TRACES);
    expect(await pair.extension.pairingOf(pair.tabs.a.tabId)).toBeUndefined();
    // Idempotent: a second removal finds nothing and fails on nothing.
    expect(await unpairSite(pair.a.client)).toEqual({ triggers: [], tables: [], preloads: [] });
  });

  let unpairedPost = 0;
  let unpairedOption = 0;

  it('lets later writes leave no trace, and gives new rows ordinary IDs (the ID filter is gone)', async () => {
    // On B: with its filter it would take the first ID of its own range, above A's.
    const [maxBefore, filtered] = await inWordPress<[number, boolean]>(
      pair.b,
      `global $wpdb; $result = [(int) $wpdb->get_var("SELECT MAX(ID) FROM $wpdb->posts"), has_filter('query', 'playground_sync_id_shards_filter') !== false];`,
    );
    expect(filtered).toBe(false);
    unpairedPost = await inWordPress<number>(pair.b, insertPost('Written while unpaired'));
    expect(unpairedPost).toBe(maxBefore + 1);
    unpairedOption = await inWordPress<number>(
      pair.b,
      `wp_update_post(['ID' => ${unpairedPost}, 'post_title' => 'Edited while unpaired']); update_option('pgsync_unpaired', 'yes');
       global $wpdb; $result = (int) $wpdb->get_var("SELECT option_id FROM $wpdb->options WHERE option_name = 'pgsync_unpaired'");`,
    );
    expect(await tracesOf(pair.b)).toEqual(NO_ENGINE_TRACES);
  });

  it('starts a new pairing clean: once its copy is made, its deltas hold only changes made after it', async () => {
    await pairAgain(pair, { pairId: 'pair-2', a: 'peer-a2', b: 'peer-b2' });
    const id = await inWordPress<number>(pair.b, insertPost('After pairing again'));
    expect(id).toBeGreaterThanOrEqual(RANGE_FLOOR);
    await syncUntilQuiet(pair);
    const sent = rowsSent(pair.link, 0);
    expect(sent.filter((row) => row.startsWith('wp_posts '))).toEqual([`wp_posts {"ID":${id}}`]);
    expect(sent).not.toContain(`wp_posts {"ID":${unpairedPost}}`);
    expect(sent).not.toContain(`wp_options {"option_id":${unpairedOption}}`);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect(await inWordPress(pair.a, `$result = get_the_title(${id});`)).toBe('After pairing again');
    await expectConverged(pair);
  });
});
