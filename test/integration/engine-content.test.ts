import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../src/platform/base64';
import { makePng } from './files-png';
import {
  RAW_PDO_PHP,
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
 * What a site owner does, through the whole engine: a media upload with generated sizes, a
 * plugin that creates its own table on activation, a theme switch, and values that are easy to
 * corrupt on the way (binary, invalid UTF-8, serialized and JSON-escaped site URLs).
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
];

const PLUGIN_DIR = '/wordpress/wp-content/plugins/engine-ledger';
const THEME_DIR = '/wordpress/wp-content/themes/engine-plain';

const PLUGIN_PHP = `<?php
/**
 * Plugin Name: Engine ledger
 */
register_activation_hook(__FILE__, function () {
	global $wpdb;
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	dbDelta("CREATE TABLE {$wpdb->prefix}engine_ledger (
		id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
		label varchar(100) NOT NULL,
		amount int NOT NULL DEFAULT 0,
		PRIMARY KEY  (id)
	) {$wpdb->get_charset_collate()};");
	$wpdb->insert("{$wpdb->prefix}engine_ledger", ['label' => 'opening', 'amount' => 10]);
	$wpdb->insert("{$wpdb->prefix}engine_ledger", ['label' => 'second', 'amount' => 20]);
	add_option('engine_ledger_version', '1.0');
});
`;

describe.each(COMBINATIONS)('site content through the engine, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, 'content', { lowIds: false });
  });
  afterAll(() => stopPair(pair));

  it('replicates a media upload: the image, its generated sizes, the attachment and its metadata', async () => {
    const png = makePng(320, 240, 7);
    await pair.a.client.writeFile('/tmp/engine-upload.png', png);
    const uploaded = await inWordPress<{ id: number; file: string; sizes: string[]; gd: boolean }>(
      pair.a,
      `$file = ['name' => 'engine-photo.png', 'tmp_name' => '/tmp/engine-upload.png'];
       $id = media_handle_sideload($file, 0, 'Engine photo');
       if (is_wp_error($id)) throw new Exception($id->get_error_message());
       $meta = wp_get_attachment_metadata($id);
       $dir = dirname(get_attached_file($id));
       $result = ['id' => $id, 'file' => get_attached_file($id), 'gd' => extension_loaded('gd'),
         'sizes' => array_map(fn ($size) => "$dir/{$size['file']}", array_values($meta['sizes'] ?? []))];`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.b.client.readFileAsBuffer(uploaded.file)).toEqual(png);
    const onB = await inWordPress<{ file: string; sizes: string[]; mime: string }>(
      pair.b,
      `$meta = wp_get_attachment_metadata(${uploaded.id});
       $dir = dirname(get_attached_file(${uploaded.id}));
       $result = ['file' => get_attached_file(${uploaded.id}), 'mime' => get_post_mime_type(${uploaded.id}),
         'sizes' => array_map(fn ($size) => "$dir/{$size['file']}", array_values($meta['sizes'] ?? []))];`,
    );
    expect(onB).toEqual({ file: uploaded.file, sizes: uploaded.sizes, mime: 'image/png' });
    if (uploaded.gd) expect(uploaded.sizes.length).toBeGreaterThan(0);
    for (const path of uploaded.sizes) {
      expect(await pair.b.client.readFileAsBuffer(path)).toEqual(await pair.a.client.readFileAsBuffer(path));
    }
  });

  it('replicates a plugin written as files and activated: its table, rows and options', async () => {
    await pair.a.client.mkdir(PLUGIN_DIR);
    await pair.a.client.writeFile(`${PLUGIN_DIR}/engine-ledger.php`, PLUGIN_PHP);
    const activated = await inWordPress(pair.a, `$result = activate_plugin('engine-ledger/engine-ledger.php');`);
    expect(activated).toBeNull();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.b,
        `global $wpdb; $result = [is_plugin_active('engine-ledger/engine-ledger.php'), get_option('engine_ledger_version'),
         $wpdb->get_col("SELECT label FROM {$wpdb->prefix}engine_ledger ORDER BY id")];`,
      ),
    ).toEqual([true, '1.0', ['opening', 'second']]);
    // B writes into the plugin's table too; A gets it.
    await inWordPress(pair.b, `global $wpdb; $wpdb->insert("{$wpdb->prefix}engine_ledger", ['label' => 'from B', 'amount' => 5]);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });

  it('replicates a theme switch to a theme written as files on B', async () => {
    // Playground bundles a single theme: the second one is written here, like an upload would.
    await pair.b.client.mkdir(THEME_DIR);
    await pair.b.client.writeFile(`${THEME_DIR}/style.css`, '/*\nTheme Name: Engine plain\n*/\nbody { color: #123; }\n');
    await pair.b.client.writeFile(`${THEME_DIR}/index.php`, '<?php echo get_bloginfo("name");\n');
    const before = await inWordPress<string>(pair.a, `$result = get_stylesheet();`);
    await inWordPress(pair.b, `switch_theme('engine-plain'); set_theme_mod('header_textcolor', '123456');`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(before).not.toBe('engine-plain');
    expect(
      await inWordPress(pair.a, `$result = [get_stylesheet(), get_template(), wp_get_theme()->errors() ? 'broken' : 'ok', get_theme_mod('header_textcolor')];`),
    ).toEqual(['engine-plain', 'engine-plain', 'ok', '123456']);
  });

  it('replicates a BLOB and invalid UTF-8 byte for byte', async () => {
    const blob = new Uint8Array([0, 1, 2, 255, 254, 0, 10, 13, 39, 34, 92]);
    await inWordPress(
      pair.a,
      `${RAW_PDO_PHP}
       global $wpdb;
       $wpdb->query("CREATE TABLE {$wpdb->prefix}engine_bytes (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, payload longblob, note text, PRIMARY KEY (id))");
       $stmt = $pdo->prepare("INSERT INTO {$wpdb->prefix}engine_bytes (id, payload, note) VALUES (1, ?, ?)");
       $stmt->bindValue(1, base64_decode('${bytesToBase64(blob)}'), PDO::PARAM_LOB);
       $stmt->bindValue(2, "caf\\xE9 \\xFF\\xFE latin-1", PDO::PARAM_STR);
       $stmt->execute();`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.b,
        `${RAW_PDO_PHP}
         $row = $pdo->query("SELECT payload, typeof(payload), note, typeof(note) FROM wp_engine_bytes WHERE id = 1")->fetch(PDO::FETCH_NUM);
         $result = [base64_encode($row[0]), $row[1], bin2hex($row[2]), $row[3]];`,
      ),
    ).toEqual([bytesToBase64(blob), 'blob', Buffer.from('caf\xe9 \xff\xfe latin-1', 'latin1').toString('hex'), 'text']);
  });

  it('replicates rows written by raw PDO right after a CREATE TABLE, before wpdb runs another query', async () => {
    await inWordPress(
      pair.a,
      `${RAW_PDO_PHP}
       global $wpdb;
       $wpdb->query("CREATE TABLE {$wpdb->prefix}engine_raw (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, label varchar(50), PRIMARY KEY (id))");
       $pdo->exec("INSERT INTO {$wpdb->prefix}engine_raw (id, label) VALUES (1, 'first'), (2, 'second')");`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await inWordPress(pair.b, `global $wpdb; $result = $wpdb->get_col("SELECT label FROM {$wpdb->prefix}engine_raw ORDER BY id");`)).toEqual([
      'first',
      'second',
    ]);
  });

  it('rewrites the site URL in a serialized option and in block attributes, so both still parse', async () => {
    const postId = await inWordPress<number>(
      pair.a,
      `update_option('engine_links', ['home' => home_url('/'), 'nested' => ['logo' => home_url('/logo.png')], 'count' => 3]);
       $attrs = wp_json_encode(['url' => home_url('/wp-content/uploads/a.png'), 'href' => home_url('/about/')]);
       $result = wp_insert_post(['post_title' => 'Blocks', 'post_status' => 'publish',
         'post_content' => wp_slash("<!-- wp:image $attrs -->\\n<figure><img src=\\"" . home_url('/wp-content/uploads/a.png') . "\\"/></figure>\\n<!-- /wp:image -->")]);`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    const onB = await inWordPress<{ option: unknown; raw: string; attrs: unknown }>(
      pair.b,
      `global $wpdb;
       $raw = $wpdb->get_var("SELECT option_value FROM $wpdb->options WHERE option_name = 'engine_links'");
       $blocks = parse_blocks(get_post(${postId})->post_content);
       $result = ['option' => unserialize($raw), 'raw' => $raw, 'attrs' => $blocks[0]['attrs']];`,
    );
    const b = pair.b.siteUrl;
    expect(onB.option).toEqual({ home: b, nested: { logo: `${b}logo.png` }, count: 3 });
    expect(onB.raw).not.toContain(pair.a.siteUrl);
    expect(onB.attrs).toEqual({ url: `${b}wp-content/uploads/a.png`, href: `${b}about/` });
  });

  it('journals no failures and leaves nothing pending', () => {
    expect(failuresIn(pair.journal)).toEqual([]);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });
});
