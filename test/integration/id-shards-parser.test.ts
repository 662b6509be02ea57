import type { PHP } from '@php-wasm/universal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootBarePhp } from '../harness';
import { ID_SHARDS_PHP } from '../../src/ids/id-shards-php';

/**
 * The filter's statement reader and rewriter (src/php/id-shards.php) on bare php-wasm: which
 * INSERT shapes get keys, where they go, and which shapes are left alone.
 */

const RUNNER = `<?php
require_once '/sync/id-shards.php';
$out = array();
foreach (json_decode(file_get_contents('/sync/in.json'), true) as $sql) {
	$insert = playground_sync_id_shards_parse_insert($sql);
	$out[] = null === $insert ? null : array(
		'table' => $insert['table'],
		'columns' => $insert['columns'],
		'rows' => count($insert['row_opens']),
		'rewritten' => playground_sync_id_shards_add_keys($sql, $insert, 'ID', 1000),
	);
}
echo json_encode($out);
`;

interface Parsed {
  table: string;
  columns: string[];
  rows: number;
  rewritten: string;
}

const REWRITTEN: readonly [string, Parsed][] = [
  [
    "INSERT INTO `wp_posts` (`post_author`, `post_title`) VALUES (1, 'Hello')",
    { table: 'wp_posts', columns: ['post_author', 'post_title'], rows: 1, rewritten: "INSERT INTO `wp_posts` (`ID`, `post_author`, `post_title`) VALUES (1000, 1, 'Hello')" },
  ],
  [
    "REPLACE INTO `wp_postmeta` (`post_id`, `meta_key`) VALUES (5, 'k')",
    { table: 'wp_postmeta', columns: ['post_id', 'meta_key'], rows: 1, rewritten: "REPLACE INTO `wp_postmeta` (`ID`, `post_id`, `meta_key`) VALUES (1000, 5, 'k')" },
  ],
  [
    "  insert low_priority ignore into wp_terms (name, slug)\n VALUES\n ('a', 'a'),('b','b') ,\n\t('c', 'c');  ",
    { table: 'wp_terms', columns: ['name', 'slug'], rows: 3, rewritten: "  insert low_priority ignore into wp_terms (`ID`, name, slug)\n VALUES\n (1000, 'a', 'a'),(1001, 'b','b') ,\n\t(1002, 'c', 'c');  " },
  ],
  [
    'INSERT wp_links (link_url) VALUE ("x")',
    { table: 'wp_links', columns: ['link_url'], rows: 1, rewritten: 'INSERT wp_links (`ID`, link_url) VALUE (1000, "x")' },
  ],
  [
    "INSERT INTO `wp_posts` (`post_content`, `post_date`) VALUES ('It\\'s (a) \"test\" -- /* # */ ''quoted'' \\\\', NOW())",
    {
      table: 'wp_posts',
      columns: ['post_content', 'post_date'],
      rows: 1,
      rewritten: "INSERT INTO `wp_posts` (`ID`, `post_content`, `post_date`) VALUES (1000, 'It\\'s (a) \"test\" -- /* # */ ''quoted'' \\\\', NOW())",
    },
  ],
  [
    "INSERT INTO `wp_x` (`a`) VALUES (CONCAT('), (', \")\"))",
    { table: 'wp_x', columns: ['a'], rows: 1, rewritten: "INSERT INTO `wp_x` (`ID`, `a`) VALUES (1000, CONCAT('), (', \")\"))" },
  ],
  [
    'INSERT INTO `wp_x` () VALUES ()',
    { table: 'wp_x', columns: [], rows: 1, rewritten: 'INSERT INTO `wp_x` (`ID`) VALUES (1000)' },
  ],
  [
    "INSERT INTO `wp_x` (`a`) VALUES ('ON DUPLICATE KEY UPDATE a = 1'), (-1 - -2)",
    { table: 'wp_x', columns: ['a'], rows: 2, rewritten: "INSERT INTO `wp_x` (`ID`, `a`) VALUES (1000, 'ON DUPLICATE KEY UPDATE a = 1'), (1001, -1 - -2)" },
  ],
  // add_option's statement: the key in another letter case, which the legacy translator leaves out of its ON CONFLICT target.
  [
    "INSERT INTO `wp_options` (`option_name`, `option_value`, `autoload`) VALUES ('a', 'b', 'yes') ON DUPLICATE KEY UPDATE `option_name` = VALUES(`option_name`), `option_value` = VALUES(`option_value`), `autoload` = VALUES(`autoload`)",
    {
      table: 'wp_options',
      columns: ['option_name', 'option_value', 'autoload'],
      rows: 1,
      rewritten:
        "INSERT INTO `wp_options` (`id`, `option_name`, `option_value`, `autoload`) VALUES (1000, 'a', 'b', 'yes') ON DUPLICATE KEY UPDATE `option_name` = VALUES(`option_name`), `option_value` = VALUES(`option_value`), `autoload` = VALUES(`autoload`)",
    },
  ],
  [
    "insert into wp_x (a) values ('1'), ('2')\n on duplicate key update a = concat(a, ';--#'); ",
    { table: 'wp_x', columns: ['a'], rows: 2, rewritten: "insert into wp_x (`id`, a) values (1000, '1'), (1001, '2')\n on duplicate key update a = concat(a, ';--#'); " },
  ],
];

const LEFT_ALONE: readonly string[] = [
  'INSERT INTO wp_x (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2 -- comment',
  "INSERT INTO wp_x (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 'unterminated",
  'INSERT INTO wp_x (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2; DELETE FROM wp_x',
  'INSERT INTO wp_postmeta (post_id, meta_key) SELECT post_id, meta_key FROM wp_postmeta',
  "INSERT INTO wp_postmeta SET post_id = 1, meta_key = 'k'",
  "INSERT INTO wp_postmeta VALUES (NULL, 1, 'k', 'v')",
  "INSERT INTO wp_postmeta (post_id) VALUES (1) -- trailing comment",
  'INSERT INTO wp_postmeta (post_id) VALUES (1 /* inline */)',
  'INSERT INTO wp_postmeta (post_id) VALUES (1 # hash comment\n)',
  "INSERT INTO wp_postmeta (meta_key) VALUES ('unterminated)",
  "INSERT INTO wp_postmeta (post_id) VALUES (1); DELETE FROM wp_postmeta",
  'INSERT INTO otherdb.wp_postmeta (post_id) VALUES (1)',
  'INSERT INTO wp_postmeta (post_id) VALUES (1',
  'INSERT INTO wp_postmeta (post_id) VALUES (1) garbage',
  'INSERT INTO `wp_x` () VALUES (), ()',
  'SELECT 1',
  'UPDATE wp_posts SET post_title = 1',
];

describe.each(['7.4', '8.3'] as const)('ID shard statement rewrite in PHP %s', (version) => {
  let php: PHP;

  beforeAll(async () => {
    php = await bootBarePhp(version);
    php.mkdir('/sync');
    php.writeFile('/sync/id-shards.php', ID_SHARDS_PHP);
    php.writeFile('/sync/run.php', RUNNER);
  });

  afterAll(() => {
    php?.exit();
  });

  async function parse(statements: readonly string[]): Promise<(Parsed | null)[]> {
    php.writeFile('/sync/in.json', JSON.stringify(statements));
    const response = await php.run({ scriptPath: '/sync/run.php' });
    expect(response.errors).toBe('');
    return JSON.parse(response.text) as (Parsed | null)[];
  }

  it('adds the key column and one key per row to the shapes it reads', async () => {
    expect(await parse(REWRITTEN.map(([sql]) => sql))).toEqual(REWRITTEN.map(([, parsed]) => parsed));
  });

  it('leaves every other shape alone', async () => {
    expect(await parse(LEFT_ALONE)).toEqual(LEFT_ALONE.map(() => null));
  });
});
