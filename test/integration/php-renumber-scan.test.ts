import type { PHP } from '@php-wasm/universal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_PHP_FILES } from '../../src/db/php-sources';
import { bootBarePhp } from '../harness';

/**
 * The renumbering's scan (renumber.php: pgsync_renumber_scan()) against real PHP and SQLite (bare
 * php-wasm, PDO as the engine opens it): SQLite picks, in one read of a table, the cells whose
 * digits could be a high ID, and PHP rewrites them. A cell it missed would keep a high ID for good,
 * so every placement of a high ID must be found, on the oldest PHP Playground offers and on the
 * default one.
 */

/** High IDs of several ranges, lengths and leading digits: more leading-digit patterns than one query takes. */
const HIGHS = [
  ...Array.from({ length: 12 }, (_, i) => 1_000_000_000 + i * 90_000_017),
  ...Array.from({ length: 6 }, (_, i) => 1_100_000_001 + i),
  12_000_000_001,
  9_000_000_005,
];

const SCRIPT = `<?php
foreach (array('local-only.php', 'capture-common.php', 'url-rewrite.php', 'id-rewrite.php', 'renumber.php') as $file) {
	require_once '/sync/' . $file;
}
$in = json_decode(file_get_contents('/sync/in.json'), true);
@unlink('/sync/scan.sqlite');
$pdo = pgsync_open_pdo('/sync/scan.sqlite');
$map = array();
foreach ($in['highs'] as $i => $high) { $map[$high] = $i + 1; }

// A table of very many columns: its scan takes more than one query.
$columns = array();
for ($c = 0; $c < 400; $c++) { $columns[] = "c$c"; }
$pdo->exec('CREATE TABLE wide (id INTEGER PRIMARY KEY, ' . implode(', ', $columns) . ')');
$pdo->exec("INSERT INTO wide (id, c399) VALUES (1, 'see " . $in['highs'][0] . " there')");
$pdo->exec('INSERT INTO wide (id, c5) VALUES (2, ' . $in['highs'][1] . ')');
$pdo->exec("INSERT INTO wide (id, c0, c200) VALUES (3, 'nothing', '2026-12-06 1234567')");

// A table without a primary key (rows named by rowid), each high ID somewhere in a sentence.
$pdo->exec('CREATE TABLE loose (label TEXT, value)');
$insert = $pdo->prepare('INSERT INTO loose (label, value) VALUES (?, ?)');
foreach ($in['highs'] as $high) { $insert->execute(array('text', 'a:1:{s:2:"id";s:' . strlen((string) $high) . ':"' . $high . '";} <!-- wp:image {"id":' . $high . '} -->')); }
$insert->execute(array('other number', 'call 5551234567 in 2026'));
$blob = $pdo->prepare("INSERT INTO loose (label, value) VALUES ('blob', ?)");
$blob->bindValue(1, 'bytes ' . $in['highs'][0], PDO::PARAM_LOB);
$blob->execute();
$pdo->exec("INSERT INTO loose (label, value) VALUES ('real', " . $in['highs'][0] . ".5)");

$found = array();
foreach (array('wide' => array('id'), 'loose' => array('rowid')) as $table => $address) {
	$columns = array_fill_keys(pgsync_table_info($pdo, $table)['columns'], pgsync_renumber_by($map));
	foreach (pgsync_renumber_scan($pdo, $table, $columns, $address) as $row) {
		foreach ($row[1] as $column => $value) {
			$found[] = array('table' => $table, 'key' => $row[0], 'column' => $column, 'value' => $value);
		}
	}
}
echo json_encode(array('found' => $found, 'globs' => pgsync_renumber_globs(array_keys($map))));
`;

interface Found {
  table: string;
  key: string[];
  column: string;
  value: string | number;
}

describe.each(['7.4', '8.3'] as const)('the renumbering scan on PHP %s', (version) => {
  let php: PHP;
  let found: Found[];
  let globs: string[];

  beforeAll(async () => {
    php = await bootBarePhp(version);
    php.mkdir('/sync');
    for (const name of ['local-only.php', 'capture-common.php', 'url-rewrite.php', 'id-rewrite.php', 'renumber.php']) {
      php.writeFile(`/sync/${name}`, ENGINE_PHP_FILES[name]!);
    }
    php.writeFile('/sync/run.php', SCRIPT);
    php.writeFile('/sync/in.json', JSON.stringify({ highs: HIGHS }));
    const response = await php.run({ scriptPath: '/sync/run.php' });
    expect(response.errors).toBe('');
    ({ found, globs } = JSON.parse(response.text) as { found: Found[]; globs: string[] });
  });

  afterAll(() => {
    php?.exit();
  });

  const holding = (high: number) => found.filter((cell) => String(cell.value).includes(String(high)));

  it('finds every high ID, in text and as an integer, whatever its leading digits or length', () => {
    for (const high of HIGHS) expect(holding(high).length, String(high)).toBeGreaterThan(0);
    expect(found).toContainEqual({ table: 'wide', key: ['1'], column: 'c399', value: `see ${HIGHS[0]} there` });
    expect(found).toContainEqual({ table: 'wide', key: ['2'], column: 'c5', value: HIGHS[1] });
    expect(globs.length).toBeLessThanOrEqual(8);
  });

  it('reads no row whose numbers cannot be one, and never hands over a blob or a real', () => {
    expect(found.some((cell) => cell.table === 'wide' && cell.key[0] === '3')).toBe(false);
    expect(found.some((cell) => String(cell.value).includes('5551234567'))).toBe(false);
    expect(found.some((cell) => String(cell.value).startsWith('bytes') || String(cell.value).endsWith('.5'))).toBe(false);
  });
});
