import type { PHP } from '@php-wasm/universal';
import { bootBarePhp } from '../harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_TABLE_PREFIX,
  classifyTable,
  isLocalOnlyRow,
  localOnlyPhpArray,
  localOnlySqlPredicate,
} from '../../src/sync/local-only';
import { LOCAL_ONLY_PHP } from '../../src/sync/local-only-php';

/**
 * The PHP side of the local-only list (what capture and replay run) against the TS side, and
 * its SQL predicates inside real SQLite triggers, on bare php-wasm (no WordPress).
 */

const TABLES: readonly [string, string][] = [
  ['wp_options', 'wp_'],
  ['wp_2_options', 'wp_'],
  ['wp_12_postmeta', 'wp_'],
  ['wp_postmeta', 'wp_'],
  ['wp_sitemeta', 'wp_'],
  ['wp_2_sitemeta', 'wp_'],
  ['wp_usermeta', 'wp_'],
  ['wp_posts', 'wp_'],
  ['wp_options', 'other_'],
  ['other_options', 'other_'],
  ['other_3_options', 'other_'],
  ['wp_0_options', 'wp_'],
  ['wp_options_old', 'wp_'],
  ['_wp_sqlite_global_variables', 'wp_'],
  [`${ENGINE_TABLE_PREFIX}changelog`, 'wp_'],
  ['sqlite_sequence', 'wp_'],
  ['_mysql_data_types_cache', 'wp_'],
];

const OPTION_NAMES = [
  'cron',
  'siteurl',
  'home',
  'blogname',
  '_transient_feed_x',
  '_site_transient_update_core',
  'my_transient_',
  'core_updater.lock',
  'auto_updater.lock',
  'lock',
  'nonce_salt',
  'nonce_salty',
  "it's",
  'widget_block',
  'rewrite_rules',
  'recently_activated',
  '_wp_session_1',
  'Cron',
];

const RUNNER = `<?php
require_once '/sync/local-only.php';
$rules = require '/sync/rules.php';
$in = json_decode(file_get_contents('/sync/in.json'), true);
$out = array();
foreach ($in['tables'] as $case) {
	list($table, $prefix) = $case;
	$class = playground_sync_local_only_table($table, $prefix, $rules);
	$out['tables'][] = array(
		'sync' => $class['sync'],
		'rule' => isset($class['rule']) ? $class['rule']['table'] : null,
		'blogId' => isset($class['blogId']) ? $class['blogId'] : null,
		'predicate' => playground_sync_local_only_predicate($table, $prefix, 'NEW', $rules),
	);
}
foreach ($in['rows'] as $case) {
	list($table, $prefix, $row) = $case;
	$out['rows'][] = playground_sync_is_local_only_row($table, $prefix, $row, $rules);
}
echo json_encode($out);
`;

const TRIGGER_RUNNER = `<?php
require_once '/sync/local-only.php';
$rules = require '/sync/rules.php';
$in = json_decode(file_get_contents('/sync/in.json'), true);
$pdo = new PDO('sqlite::memory:');
$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$pdo->exec('CREATE TABLE captured (op TEXT, name TEXT)');
$table = $in['table'];
$column = $in['column'];
$pdo->exec("CREATE TABLE \\"$table\\" (id INTEGER PRIMARY KEY, \\"$column\\" TEXT)");
$new = playground_sync_local_only_predicate($table, 'wp_', 'NEW', $rules);
$old = playground_sync_local_only_predicate($table, 'wp_', 'OLD', $rules);
$pdo->exec("CREATE TRIGGER t_ins AFTER INSERT ON \\"$table\\" WHEN NOT ($new)
	BEGIN INSERT INTO captured VALUES ('insert', NEW.\\"$column\\"); END");
$pdo->exec("CREATE TRIGGER t_del AFTER DELETE ON \\"$table\\" WHEN NOT ($old)
	BEGIN INSERT INTO captured VALUES ('delete', OLD.\\"$column\\"); END");
$insert = $pdo->prepare("INSERT INTO \\"$table\\" (\\"$column\\") VALUES (?)");
foreach ($in['names'] as $name) {
	$insert->execute(array($name));
}
$pdo->exec("DELETE FROM \\"$table\\"");
echo json_encode($pdo->query('SELECT op, name FROM captured ORDER BY rowid')->fetchAll(PDO::FETCH_NUM));
`;

describe.each(['7.4', '8.3'] as const)('local-only list in PHP %s', (version) => {
  let php: PHP;

  beforeAll(async () => {
    php = await bootBarePhp(version);
    php.mkdir('/sync');
    php.writeFile('/sync/local-only.php', LOCAL_ONLY_PHP);
    php.writeFile('/sync/rules.php', `<?php\nreturn ${localOnlyPhpArray()};\n`);
    php.writeFile('/sync/run.php', RUNNER);
    php.writeFile('/sync/triggers.php', TRIGGER_RUNNER);
  });

  afterAll(() => {
    php?.exit();
  });

  async function runPhp(script: string, input: unknown): Promise<unknown> {
    php.writeFile('/sync/in.json', JSON.stringify(input));
    const response = await php.run({ scriptPath: script });
    expect(response.errors).toBe('');
    expect(response.exitCode).toBe(0);
    return JSON.parse(response.text) as unknown;
  }

  it('classifies tables and builds predicates exactly as the TS module does', async () => {
    type RowCase = [string, string, Record<string, unknown>];
    const rows: RowCase[] = [
      ...OPTION_NAMES.map((name): RowCase => ['wp_3_options', 'wp_', { option_name: name }]),
      ['wp_usermeta', 'wp_', { meta_key: 'session_tokens' }],
      ['wp_usermeta', 'wp_', { meta_key: null }],
      ['wp_usermeta', 'wp_', {}],
      ['wp_postmeta', 'wp_', { meta_key: '_edit_lock' }],
      ['sqlite_sequence', 'wp_', { name: 'wp_posts' }],
      ['wp_options', 'wp_', { option_name: 7 }],
    ];
    const result = await runPhp('/sync/run.php', { tables: TABLES, rows });
    expect(result).toEqual({
      tables: TABLES.map(([table, prefix]) => {
        const expected = classifyTable(table, prefix);
        return {
          sync: expected.sync,
          rule: expected.sync === 'filtered' ? expected.rule.table : null,
          blogId: expected.sync === 'filtered' ? expected.blogId : null,
          predicate: localOnlySqlPredicate(table, prefix, 'NEW'),
        };
      }),
      rows: rows.map(([table, prefix, row]) => isLocalOnlyRow(table, prefix, row)),
    });
  });

  it('keeps local-only options out of a capture trigger, for insert and delete', async () => {
    const captured = (await runPhp('/sync/triggers.php', {
      table: 'wp_2_options',
      column: 'option_name',
      names: OPTION_NAMES,
    })) as [string, string][];
    const synced = OPTION_NAMES.filter((name) => !isLocalOnlyRow('wp_2_options', 'wp_', { option_name: name }));
    expect(synced).toEqual(['blogname', 'my_transient_', 'lock', 'nonce_salty', "it's", 'widget_block', 'Cron']);
    expect(captured).toEqual([...synced.map((name) => ['insert', name]), ...synced.map((name) => ['delete', name])]);
  });

  it('captures meta rows with a NULL key, and skips session tokens', async () => {
    const captured = await runPhp('/sync/triggers.php', {
      table: 'wp_usermeta',
      column: 'meta_key',
      names: ['session_tokens', null, 'wp_capabilities'],
    });
    expect(captured).toEqual([
      ['insert', null],
      ['insert', 'wp_capabilities'],
      ['delete', null],
      ['delete', 'wp_capabilities'],
    ]);
  });

  it('refuses a bad prefix or row alias', async () => {
    php.writeFile(
      '/sync/bad.php',
      `<?php
require_once '/sync/local-only.php';
$rules = require '/sync/rules.php';
$errors = array();
foreach (array(array('wp_options', "wp'", 'NEW'), array('wp_options', 'wp_', 'NEW) OR (1')) as $case) {
	try { playground_sync_local_only_predicate($case[0], $case[1], $case[2], $rules); $errors[] = null; }
	catch (InvalidArgumentException $e) { $errors[] = $e->getMessage(); }
}
echo json_encode($errors);`,
    );
    const response = await php.run({ scriptPath: '/sync/bad.php' });
    expect(JSON.parse(response.text)).toEqual([
      expect.stringMatching(/Bad table prefix/),
      expect.stringMatching(/Bad row alias/),
    ]);
  });
});
