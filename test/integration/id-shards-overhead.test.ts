import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installIdShards, planIdShards, surveyIdTables } from '../../src/ids';
import { bootNodeSite, type NodeSite, type SqliteDriverId } from '../harness';

/**
 * What the filter costs: 50 × (wp_insert_post + add_post_meta) with and without it in one PHP
 * request (same process, same caches), interleaved in blocks of five; the median round's ratio.
 */

const ROUNDS = 3;
const INSERTS = 50;
/** With and without alternate every few inserts, so load from other processes hits both alike. */
const BLOCK = 5;

const MEASURE = `<?php require '/wordpress/wp-load.php';
function pgs_block($label) {
	$start = hrtime(true);
	for ($i = 0; $i < ${BLOCK}; $i++) {
		$id = wp_insert_post(array('post_title' => "$label $i", 'post_status' => 'publish', 'post_content' => 'Body'));
		add_post_meta($id, 'measured', $label);
	}
	return (hrtime(true) - $start) / 1e6;
}
$ratios = array(); $with_ms = array(); $without_ms = array();
pgs_block('warm-up');
for ($round = 0; $round < ${ROUNDS}; $round++) {
	$with = 0; $without = 0;
	for ($block = 0; $block < ${INSERTS / BLOCK}; $block++) {
		foreach ($block % 2 ? array('with', 'without') : array('without', 'with') as $label) {
			if ('with' === $label) {
				add_filter('query', 'playground_sync_id_shards_filter', PHP_INT_MAX);
				$with += pgs_block('with');
			} else {
				remove_filter('query', 'playground_sync_id_shards_filter', PHP_INT_MAX);
				$without += pgs_block('without');
			}
		}
	}
	$ratios[] = $with / $without; $with_ms[] = $with; $without_ms[] = $without;
}
sort($ratios); sort($with_ms); sort($without_ms);
$sharded = (int) $wpdb->get_var("SELECT count(*) FROM $wpdb->posts WHERE post_title LIKE 'with %' AND ID >= 1000000000");
echo json_encode(array('ratio' => $ratios[intdiv(${ROUNDS}, 2)], 'with' => $with_ms[intdiv(${ROUNDS}, 2)], 'without' => $without_ms[intdiv(${ROUNDS}, 2)], 'sharded' => $sharded));
`;

describe.each(['ast', 'legacy'] as const satisfies readonly SqliteDriverId[])('ID shard overhead on the %s driver', (driver) => {
  let site: NodeSite;

  beforeAll(async () => {
    site = await bootNodeSite({ driver, wp: '6.5', siteUrl: `https://playground.wordpress.net/scope:ids-overhead-${driver}/` });
    const survey = await surveyIdTables(site.client);
    await installIdShards(site.client, planIdShards({ first: 'peer-a', second: 'peer-b', sites: [survey] }), 'peer-a');
  });

  afterAll(async () => {
    await site?.dispose();
  });

  it(`costs little: ${INSERTS} × wp_insert_post + add_post_meta with vs without the filter`, async () => {
    const response = await site.client.run({ code: MEASURE });
    const result = JSON.parse(response.text.slice(response.text.indexOf('{'))) as { ratio: number; with: number; without: number; sharded: number };
    const ratio = result.ratio;
    console.log(
      `[id-shards overhead, ${driver}] ${INSERTS} × wp_insert_post + add_post_meta, median of ${ROUNDS} rounds: ` +
        `${result.without.toFixed(1)} ms without, ${result.with.toFixed(1)} ms with the filter: ×${ratio.toFixed(3)}`,
    );
    // The measured batches really went through the filter.
    expect(result.sharded).toBe(ROUNDS * INSERTS);
    // Loose bound: other test files share the 2 cores; the report above is the measurement.
    expect(ratio).toBeLessThan(1.5);
  });
});
