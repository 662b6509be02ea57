import { expect, test } from 'vitest';
import { findHighIds, reclaimLowIds } from '../src/db';
import { groupRange, installIdShards, planIdShards, surveyIdTables } from '../src/ids';
import { bootNodeSite } from '../test/harness';
import { captureSite, inWordPress } from '../test/integration/db-support';
import { median, recordSection, timeMs, type Measurement } from './record';

/**
 * What one numberer's pass costs on a site with a big import behind it (docs/ids.md): every
 * member reads every text column for the high IDs of the pass. Compared with one plain read of
 * every row of every table, in the same process: the scan must read everything once, and should
 * cost little more than that, however many IDs the pass renumbers.
 */

/** Posts the site had before it was synced: low IDs, their text read by every pass. */
const OLD_POSTS = 3000;
/** Posts made while synced (an import, each round): high IDs, one pass renumbers them all (its limit is 1000 rows). */
const NEW_POSTS = 1000;

/** A post body as the block editor writes it, with numbers in it that are no IDs. */
const BODY = `'<!-- wp:paragraph --><p>' . str_repeat('Lorem ipsum dolor sit amet 2026, consectetur 1234567 adipiscing elit. ', 20) . '</p><!-- /wp:paragraph -->'`;

const MAKE_OLD_POSTS = `
for ($chunk = 0; $chunk < ${OLD_POSTS / 100}; $chunk++) {
	$values = array();
	for ($i = 0; $i < 100; $i++) {
		$values[] = $wpdb->prepare("(1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', %s, %s, '', 'publish', 'post', '', '', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '')", ${BODY}, "Old post $chunk-$i");
	}
	$wpdb->query("INSERT INTO $wpdb->posts (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_type, to_ping, pinged, post_content_filtered, post_modified, post_modified_gmt, guid) VALUES " . implode(', ', $values));
}
$result = (int) $wpdb->get_var("SELECT count(*) FROM $wpdb->posts");
`;

/** Posts with a featured image each, an image block and a link naming another new post: references to rewrite. */
const MAKE_NEW_POSTS = `
$ids = array();
for ($i = 0; $i < ${NEW_POSTS}; $i++) {
	$previous = $i > 0 ? $ids[$i - 1] : 0;
	$content = '<!-- wp:image {"id":' . $previous . '} --><figure><img class="wp-image-' . $previous . '"/></figure><!-- /wp:image -->'
		. '<p><a href="/?p=' . $previous . '">Previous</a></p>' . ${BODY};
	$wpdb->insert($wpdb->posts, array('post_title' => "Imported $i", 'post_content' => $content, 'post_status' => 'publish', 'post_type' => 'post', 'post_excerpt' => '', 'to_ping' => '', 'pinged' => '', 'post_content_filtered' => '', 'guid' => ''));
	$ids[] = (int) $wpdb->insert_id;
	if ($previous) {
		$wpdb->insert($wpdb->postmeta, array('post_id' => $ids[$i], 'meta_key' => '_thumbnail_id', 'meta_value' => (string) $previous));
	}
}
$result = $ids;
`;

/** One plain read of every row of every table, through PDO as the engine reads. */
const READ_EVERYTHING = `<?php
$pdo = new PDO('sqlite:' . DATABASE);
$rows = 0;
foreach ($pdo->query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")->fetchAll(PDO::FETCH_COLUMN) as $table) {
	$rows += count($pdo->query('SELECT * FROM "' . str_replace('"', '""', $table) . '"')->fetchAll(PDO::FETCH_NUM));
}
echo $rows;
`;

const ROUNDS = 3;

test('renumbering a 1000-post import on a site of thousands of posts', async () => {
  const site = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: 'https://playground.wordpress.net/scope:bench-renumber/' });
  try {
    expect(await inWordPress(site, MAKE_OLD_POSTS)).toBeGreaterThanOrEqual(OLD_POSTS);
    const captured = await captureSite(site, 'bench-member');
    const survey = await surveyIdTables(site.client);
    const plan = planIdShards({ sites: [survey, survey] });
    await installIdShards(site.client, plan, 1);
    const zone = groupRange(plan);
    const readCode = READ_EVERYTHING.replace('DATABASE', JSON.stringify(site.facts.databasePath));
    const rounds: { read: number; pass: number; check: number }[] = [];
    // Each round imports another 1000 posts and renumbers them: the site grows, and the plain read with it.
    for (let round = 0; round < ROUNDS; round += 1) {
      const made = (await inWordPress(site, MAKE_NEW_POSTS)) as number[];
      expect(made.every((id) => id >= zone.lo && id < zone.hi)).toBe(true);
      await captured.drain();
      const reads: number[] = [];
      for (let i = 0; i < 3; i += 1) reads.push(await timeMs(() => site.client.run({ code: readCode })));
      let renumbered = 0;
      const pass = await timeMs(async () => {
        renumbered = (await reclaimLowIds(site.client, { by: 'bench-numberer', max: 1000 })).mappings.length;
      });
      // The pass renumbered the import: a broken scan cannot look cheap.
      expect(renumbered).toBe(NEW_POSTS);
      let left = -1;
      const check = await timeMs(async () => {
        left = (await findHighIds(site.client, { zone })).occurrences.length;
      });
      expect(left).toBe(0);
      rounds.push({ read: median(reads), pass, check });
    }

    const ms = (of: 'read' | 'pass' | 'check') => rounds.map((round) => round[of].toFixed(0)).join(', ');
    /** A measure against the plain read of its round, median of the rounds: the site grows from round to round. */
    const againstRead = (of: 'pass' | 'check', name: string): Measurement => {
      const value = median(rounds.map((round) => round[of] / round.read));
      return { name: `${name} (median of ${ROUNDS} rounds)`, value, unit: '×', baseline: 'one plain read of every row, same site, same round', target: '≤ 20×', met: value <= 20, notes: `${ms(of)} ms` };
    };
    const measurements: Measurement[] = [
      { name: `one plain read of every row (median of 3 per round; ${OLD_POSTS + NEW_POSTS}, then 1000 more posts a round: ${ms('read')} ms)`, value: median(rounds.map((round) => round.read)), unit: 'ms' },
      againstRead('pass', `the numberer's pass: ${NEW_POSTS} posts renumbered, every reference rewritten`),
      againstRead('check', 'the checker, looking for every renumbered ID'),
    ];
    recordSection('45-renumber', 'Low IDs: renumbering after an import (WordPress nightly, AST driver)', measurements);
  } finally {
    await site.dispose();
  }
});
