import { expect, test } from 'vitest';
import { installIdShards, planIdShards, surveyIdTables } from '../src/ids';
import { bootNodeSite } from '../test/harness';
import { recordSection, type Measurement } from './record';

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

test('ID shard filter overhead', async () => {
  const measurements: Measurement[] = [];
  for (const driver of ['ast', 'legacy'] as const) {
    const site = await bootNodeSite({ driver, wp: '6.5', siteUrl: `https://playground.wordpress.net/scope:ids-overhead-${driver}/` });
    const survey = await surveyIdTables(site.client);
    await installIdShards(site.client, planIdShards({ sites: [survey] }), 0);
    const response = await site.client.run({ code: MEASURE });
    await site.dispose();
    const result = JSON.parse(response.text.slice(response.text.indexOf('{'))) as { ratio: number; with: number; without: number; sharded: number };
    // The measured inserts really went through the filter: a broken filter cannot look cheap.
    expect(result.sharded).toBe(ROUNDS * INSERTS);
    measurements.push({
      name: `${INSERTS} × wp_insert_post + add_post_meta, ${driver} driver (median of ${ROUNDS} rounds)`,
      value: result.ratio,
      unit: '×',
      baseline: 'the same request with the filter removed, interleaved',
      notes: `${result.without.toFixed(0)} ms without, ${result.with.toFixed(0)} ms with`,
    });
  }
  recordSection('30-id-shards', 'ID shards: cost of the INSERT filter (WordPress 6.5)', measurements);
});
