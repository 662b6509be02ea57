import type { PHP } from '@php-wasm/universal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootBarePhp } from '../harness';
import { ENGINE_PHP_FILES } from '../../src/db/php-sources';
import { decodeHlc, encodeHlc, hlcNow, hlcReceive, type Hlc } from '../../src/sync/hlc';
import { localOnlyPhpArray } from '../../src/sync/local-only';

/**
 * The engine's PHP building blocks on bare php-wasm (no WordPress), on the oldest PHP Playground
 * offers and the default one: the clock against src/sync/hlc.ts, the cell codec byte for byte,
 * the generated triggers inside real SQLite.
 */

const DIR = '/internal/shared/playground-sync';

const PRELUDE = `<?php
foreach (array('local-only.php', 'url-rewrite.php', 'capture-common.php', 'capture-triggers.php', 'capture-drain.php', 'apply-batch.php') as $f) {
	require_once '${DIR}/' . $f;
}
$in = json_decode(file_get_contents('${DIR}/in.json'), true);
`;

describe.each(['7.4', '8.3'] as const)('database engine PHP on PHP %s', (version) => {
  let php: PHP;

  beforeAll(async () => {
    php = await bootBarePhp(version);
    php.mkdir(DIR);
    for (const [name, source] of Object.entries(ENGINE_PHP_FILES)) php.writeFile(`${DIR}/${name}`, source);
    php.writeFile(`${DIR}/local-only-rules.php`, `<?php\nreturn ${localOnlyPhpArray()};\n`);
  });

  afterAll(() => {
    php?.exit();
  });

  async function runPhp(body: string, input: unknown = null): Promise<unknown> {
    php.writeFile(`${DIR}/in.json`, JSON.stringify(input));
    const response = await php.run({ code: PRELUDE + body });
    expect(response.errors).toBe('');
    return JSON.parse(response.text) as unknown;
  }

  it('ticks the clock exactly as hlcNow / hlcReceive do', async () => {
    const peer = 'peer-x';
    const wall = 1_750_000_000_000;
    const cases: { last: Hlc | null; remote: Hlc | null; wall: number }[] = [
      { last: null, remote: null, wall },
      { last: { ms: wall - 5, counter: 7, peer }, remote: null, wall },
      { last: { ms: wall + 5, counter: 7, peer }, remote: null, wall },
      { last: { ms: wall + 5, counter: 0xffff, peer }, remote: null, wall },
      { last: { ms: wall, counter: 3, peer }, remote: { ms: wall, counter: 9, peer: 'peer-y' }, wall },
      { last: { ms: wall - 1, counter: 3, peer }, remote: { ms: wall + 20, counter: 2, peer: 'peer-y' }, wall },
      { last: { ms: wall + 30, counter: 1, peer }, remote: { ms: wall + 20, counter: 2, peer: 'peer-y' }, wall },
      { last: { ms: wall - 9, counter: 1, peer }, remote: { ms: wall - 8, counter: 2, peer: 'peer-y' }, wall },
    ];
    const input = cases.map((c) => ({
      last: c.last && encodeHlc(c.last),
      remote: c.remote && encodeHlc(c.remote),
      wall: c.wall,
    }));
    const fromPhp = await runPhp(
      `$out = array(); foreach ($in as $c) { $out[] = pgsync_hlc_tick($c['last'], '${peer}', $c['remote'], $c['wall']); } echo json_encode($out);`,
      input,
    );
    const expected = cases.map((c) => {
      const last = c.last ?? { ms: 0, counter: 0, peer };
      return encodeHlc(c.remote ? hlcReceive(last, c.remote, c.wall) : hlcNow(last, c.wall));
    });
    expect(fromPhp).toEqual(expected);
    expect((fromPhp as string[]).every((text) => decodeHlc(text) !== null)).toBe(true);
  });

  it('round-trips every SQLite storage class through the cell codec, byte for byte', async () => {
    const result = await runPhp(`
      $pdo = new PDO('sqlite::memory:');
      $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
      $pdo->setAttribute(PDO::ATTR_STRINGIFY_FETCHES, true);
      $pdo->exec('CREATE TABLE src (id INTEGER PRIMARY KEY, v)');
      $pdo->exec('CREATE TABLE dst (id INTEGER PRIMARY KEY, v)');
      $pdo->exec("INSERT INTO src (v) VALUES (NULL), (42), (-9007199254740993), (9223372036854775807), (1.0), (-2.5e-300), (0.1 + 0.2), ('text é'), ('')");
      $pdo->exec("INSERT INTO src (v) VALUES (x'00ff8022'), (CAST(x'61c328a0' AS TEXT)), (x'')");
      $cells = array();
      foreach ($pdo->query('SELECT id, ' . pgsync_select_cell('v') . ' FROM src ORDER BY id')->fetchAll(PDO::FETCH_NUM) as $row) {
        $cell = pgsync_encode_cell($row[1], $row[2]);
        $cells[] = $cell;
        // Through JSON, as on the wire.
        $decoded = pgsync_decode_cell(json_decode(pgsync_json($cell), true));
        $stmt = $pdo->prepare('INSERT INTO dst (id, v) VALUES (?, ' . $decoded[0] . ')');
        $stmt->bindValue(1, (int) $row[0], PDO::PARAM_INT);
        $stmt->bindValue(2, $decoded[1], $decoded[2]);
        $stmt->execute();
      }
      $same = $pdo->query('SELECT COUNT(*) FROM src JOIN dst USING (id) WHERE src.v IS dst.v AND typeof(src.v) = typeof(dst.v) AND (src.v IS NULL OR hex(src.v) = hex(dst.v))')->fetchColumn();
      echo json_encode(array('same' => (int) $same, 'total' => count($cells), 'cells' => $cells));
    `);
    expect(result).toEqual({
      same: 12,
      total: 12,
      cells: [
        null,
        42,
        { $int: '-9007199254740993' },
        { $int: '9223372036854775807' },
        { $real: '1.0' },
        // SQLite's own text for the double, which reads back as the same double.
        { $real: '-2.5e-300' },
        { $real: '0.30000000000000004' },
        'text é',
        '',
        { $blob: Buffer.from([0x00, 0xff, 0x80, 0x22]).toString('base64') },
        { $b64: Buffer.from([0x61, 0xc3, 0x28, 0xa0]).toString('base64') },
        { $blob: '' },
      ],
    });
  });

  it("reports a conflict's local row with its cells as captured, text cut after 1,000 characters, BLOBs and local-only rows left out", async () => {
    const result = await runPhp(`
      $pdo = new PDO('sqlite::memory:');
      $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
      $pdo->setAttribute(PDO::ATTR_STRINGIFY_FETCHES, true);
      $pdo->exec('CREATE TABLE wp_options (option_id INTEGER PRIMARY KEY, option_name TEXT UNIQUE, option_value)');
      pgsync_create_engine_tables($pdo);
      $insert = $pdo->prepare('INSERT INTO wp_options VALUES (?, ?, ?)');
      foreach (array(str_repeat('a', 1000), str_repeat('a', 1001), str_repeat('é', 1000), str_repeat('é', 1001), str_repeat("\\xff", 1500)) as $i => $text) {
        $insert->execute(array($i + 1, 'o' . ($i + 1), $text));
      }
      $pdo->exec("INSERT INTO wp_options VALUES (6, 'o6', zeroblob(5000)), (7, 'o7', 1.5), (8, 'o8', 9223372036854775807), (9, '_transient_x', 'stays here')");
      $rows = new PGSync_Batch_Rows($pdo, array('tablePrefix' => 'wp_'), '0191dd9dec7b.0000.peer-a', 'https://a.test', 'https://b.test');
      $out = array();
      foreach (range(1, 10) as $id) {
        $out[] = pgsync_conflict_local($rows, 'wp_options', $rows->table('wp_options'), array('option_id' => array('?', $id, PDO::PARAM_INT)));
      }
      $rows->close();
      echo pgsync_json($out);
    `);
    const row = (id: number, value: unknown) => ({ option_id: id, option_name: `o${id}`, option_value: value });
    expect(result).toEqual([
      row(1, 'a'.repeat(1000)),
      row(2, `${'a'.repeat(1000)}…`),
      row(3, 'é'.repeat(1000)),
      row(4, `${'é'.repeat(1000)}…`),
      // Not valid UTF-8: cut after 1,000 bytes.
      row(5, { $b64: Buffer.concat([Buffer.alloc(1000, 0xff), Buffer.from('…')]).toString('base64') }),
      row(6, null),
      row(7, { $real: '1.5' }),
      row(8, { $int: '9223372036854775807' }),
      // Local-only (a transient), then no row at all.
      null,
      null,
    ]);
  });

  it('generates triggers that capture synced rows only, stay quiet while applying, and are idempotent', async () => {
    const result = await runPhp(`
      $pdo = new PDO('sqlite::memory:');
      $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
      $pdo->exec('CREATE TABLE wp_options (option_id INTEGER PRIMARY KEY AUTOINCREMENT, option_name TEXT UNIQUE, option_value TEXT)');
      $pdo->exec('CREATE TABLE wp_term_relationships (object_id INTEGER, term_taxonomy_id INTEGER, term_order INTEGER, PRIMARY KEY (object_id, term_taxonomy_id))');
      $pdo->exec('CREATE TABLE wp_nokey (a TEXT)');
      pgsync_create_engine_tables($pdo);
      $rules = pgsync_local_only_rules();
      $first = pgsync_ensure_triggers($pdo, 'wp_', $rules);
      $again = pgsync_ensure_triggers($pdo, 'wp_', $rules);
      $pdo->exec("INSERT INTO wp_options (option_name, option_value) VALUES ('blogname', 'x'), ('_transient_t', 'y'), ('cron', 'z')");
      $pdo->exec("UPDATE wp_options SET option_value = 'w'");
      $pdo->exec("INSERT INTO wp_term_relationships VALUES (5, 2, 0)");
      $pdo->exec("UPDATE wp_term_relationships SET term_taxonomy_id = 3");
      $pdo->exec("DELETE FROM wp_options WHERE option_name = 'cron'");
      $pdo->exec('INSERT INTO _wp_sqlite_pgsync_applying VALUES (1)');
      $pdo->exec("INSERT INTO wp_options (option_name) VALUES ('applied')");
      $log = $pdo->query('SELECT tbl, pk, op FROM _wp_sqlite_pgsync_changelog ORDER BY seq')->fetchAll(PDO::FETCH_NUM);
      echo json_encode(array('first' => $first, 'again' => $again, 'log' => $log));
    `);
    expect(result).toEqual({
      first: { triggers: 6, created: 6, tablesWithoutPk: ['wp_nokey'] },
      again: null,
      log: [
        ['wp_options', '[1]', 'I'],
        ['wp_options', '[1]', 'U'],
        ['wp_term_relationships', '[5,2]', 'I'],
        // A changed key: the old one (gone) and the new one.
        ['wp_term_relationships', '[5,2]', 'U'],
        ['wp_term_relationships', '[5,3]', 'U'],
      ],
    });
  });
});
