import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilesystemOperation, SiteClient } from '../../src/platform/site-client';
import {
  LOCAL_ONLY_RULES,
  bootNodeSite,
  cellBytes,
  compareSiteStates,
  dumpSiteState,
  mentionsSiteUrl,
  retargetSiteUrl,
  sqliteDriverArtifact,
  wordPressArtifact,
  type NodeSite,
  type SqliteDriverId,
  type WordPressVersionId,
} from '../harness';

/**
 * The harness itself, on every driver × WordPress combination: per combination the first site is
 * installed from the zip, the second boots from the snapshot that install left behind.
 */

interface Combination {
  readonly driver: SqliteDriverId;
  readonly wp: WordPressVersionId;
}

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
  { driver: 'legacy', wp: 'nightly' },
];

function siteUrl(combination: Combination, name: string): string {
  return `https://playground.wordpress.net/scope:node-${combination.driver}-${combination.wp.replace('.', '')}-${name}/`;
}

/** The site's URL as WordPress stores it (no trailing slash). */
function stored(site: NodeSite): string {
  return site.siteUrl.replace(/\/$/, '');
}

async function runText(client: SiteClient, code: string): Promise<string> {
  const response = await client.run({ code });
  expect(response.errors).toBe('');
  return response.text;
}

describe.each(COMBINATIONS)('harness on the $driver driver, WordPress $wp', (combination) => {
  const sqlite = sqliteDriverArtifact(combination.driver);
  const wordpress = wordPressArtifact(combination.wp);
  let a: NodeSite;
  let b: NodeSite;

  beforeAll(async () => {
    a = await bootNodeSite({ ...combination, siteUrl: siteUrl(combination, 'a'), install: 'fresh' });
    b = await bootNodeSite({ ...combination, siteUrl: siteUrl(combination, 'peer-b') });
  });

  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('boots two sites with their own URLs and process ids, the second from the snapshot', async () => {
    const _c: SiteClient = a.client;
    expect(_c).toBeDefined();
    expect(a.bootedFrom).toBe('zip');
    expect(b.bootedFrom).toBe('memory-snapshot');
    expect(a.processId).not.toBe(b.processId);
    // As on the real site, the client's absoluteUrl has no trailing slash.
    expect(await a.client.absoluteUrl).toBe(stored(a));
    expect(await b.client.absoluteUrl).toBe(stored(b));
    expect(a.siteUrl).not.toBe(b.siteUrl);
    expect(await b.client.documentRoot).toBe('/wordpress');
    for (const site of [a, b]) {
      expect(site.facts).toMatchObject({
        wordpressVersion: wordpress.expectedVersion,
        sqlitePluginVersion: sqlite.expectedPluginVersion,
        driverClass: sqlite.driverClass,
        journalMode: 'delete',
      });
      expect(await site.client.fileExists(site.facts.databasePath)).toBe(true);
      const urls = await runText(
        site.client,
        `<?php require '/wordpress/wp-load.php'; echo json_encode([get_option('home'), get_option('siteurl'), home_url('/'), site_url('/')], JSON_UNESCAPED_SLASHES);`,
      );
      // run() is not an HTTPS request (no $_SERVER['HTTPS']): site_url() there says http://, as on the real site.
      expect(JSON.parse(urls)).toEqual([stored(site), stored(site), site.siteUrl, site.siteUrl.replace(/^https:/, 'http:')]);
    }
  });

  it('gives two fresh sites equal states, and no trace of the first site in the second', async () => {
    const [stateA, stateB] = [await dumpSiteState(a), await dumpSiteState(b)];
    expect(Object.keys(stateA.tables)).toEqual(expect.arrayContaining(['wp_options', 'wp_posts', 'wp_users']));
    expect(Object.keys(stateA.tables).filter((name) => /^(sqlite_|_wp_sqlite_)/.test(name))).toEqual([]);
    expect(Object.keys(stateA.files)).toContain('wp-includes/version.php');
    expect(Object.keys(stateA.files).filter((path) => path.startsWith('wp-content/database/'))).toEqual([]);
    const differences = compareSiteStates(stateA, stateB, { aUrl: a.siteUrl, bUrl: b.siteUrl });
    expect(differences.map((difference) => difference.description)).toEqual([]);
    expect(mentionsSiteUrl(JSON.stringify(stateB), stored(a))).toBe(false);
  });

  it('reports exactly the draft post and the file one site gained', async () => {
    const before = await dumpSiteState(b);
    const id = Number(
      await runText(
        a.client,
        `<?php require '/wordpress/wp-load.php';
        echo wp_insert_post(['post_title' => 'Harness draft', 'post_status' => 'draft', 'post_content' => 'Links to ' . home_url('/about/')], true);`,
      ),
    );
    expect(id).toBeGreaterThan(0);
    await a.client.writeFile('/wordpress/wp-content/pg-harness-note.txt', 'only on a');
    const differences = compareSiteStates(await dumpSiteState(a), before, {
      aUrl: a.siteUrl,
      bUrl: b.siteUrl,
      ignore: LOCAL_ONLY_RULES,
    });
    expect(differences.map((difference) => difference.where)).toEqual([
      `wp_posts[ID=${id}]`,
      `wp_term_relationships[object_id=${id},term_taxonomy_id=1]`,
      'file wp-content/pg-harness-note.txt',
    ]);
    expect(differences[0]?.a).toMatchObject({ post_title: 'Harness draft', post_content: 'Links to {{SITE_URL}}/about/' });

    await a.client.unlink('/wordpress/wp-content/pg-harness-note.txt');
    await a.resetDatabase();
    const afterReset = compareSiteStates(await dumpSiteState(a), before, { aUrl: a.siteUrl, bUrl: b.siteUrl });
    expect(afterReset.map((difference) => difference.description)).toEqual([]);
  });

  it('dumps BLOBs and non-UTF-8 text byte for byte', async () => {
    const blob = Uint8Array.from({ length: 256 }, (_, index) => index);
    const text = Uint8Array.from([0x68, 0x69, 0xff, 0xfe, 0x00, 0xc3, 0x28]);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    await runText(
      a.client,
      `<?php define('SHORTINIT', true); require '/wordpress/wp-load.php'; global $wpdb;
      $pdo = method_exists($wpdb, 'get_driver') ? $wpdb->get_driver()->get_sqlite_pdo() : $wpdb->dbh->get_pdo();
      $pdo->exec('CREATE TABLE wp_pg_harness_bytes (id INTEGER PRIMARY KEY, data BLOB, note TEXT)');
      $insert = $pdo->prepare('INSERT INTO wp_pg_harness_bytes (id, data, note) VALUES (7, :data, CAST(:note AS TEXT))');
      $insert->bindValue(':data', hex2bin('${hex(blob)}'), PDO::PARAM_LOB);
      $insert->bindValue(':note', hex2bin('${hex(text)}'));
      $insert->execute();`,
    );
    const state = await dumpSiteState(a);
    const row = state.tables['wp_pg_harness_bytes']?.[0];
    expect(row?.['data']).toEqual({ $blob: expect.any(String) });
    expect(row?.['note']).toEqual({ $b64: expect.any(String) });
    expect(hex(cellBytes(row?.['data'] ?? null) ?? new Uint8Array())).toBe(hex(blob));
    expect(hex(cellBytes(row?.['note'] ?? null) ?? new Uint8Array())).toBe(hex(text));
    expect(state.schema['wp_pg_harness_bytes']?.primaryKey).toEqual(['id']);
    await a.resetDatabase();
    expect((await dumpSiteState(a)).tables['wp_pg_harness_bytes']).toBeUndefined();
  });

  it('rewrites a stored site URL, keeping PHP-serialized values valid', async () => {
    const foreign = 'https://playground.wordpress.net/scope:somewhere-else';
    const written = await b.client.run({
      code: `<?php require '/wordpress/wp-load.php';
      $url = getenv('FOREIGN');
      update_option('pg_harness_urls', ['home' => "$url/", 'json' => json_encode(['u' => "$url/x"])]);`,
      env: { FOREIGN: foreign },
    });
    expect(written.errors).toBe('');
    expect(await retargetSiteUrl(b.client, `${foreign}/`, b.siteUrl)).toBe(1);
    const option = await runText(
      b.client,
      `<?php require '/wordpress/wp-load.php'; echo json_encode(get_option('pg_harness_urls'), JSON_UNESCAPED_SLASHES);`,
    );
    expect(JSON.parse(option)).toEqual({
      home: `${stored(b)}/`,
      json: `{"u":"${stored(b).replaceAll('/', '\\/')}\\/x"}`,
    });
    await b.resetDatabase();
  });

  it('run() returns PHP output and surfaces fatals', async () => {
    expect(await runText(a.client, '<?php echo "out:", 6 * 7;')).toBe('out:42');
    expect(await runText(a.client, `<?php require '/wordpress/wp-load.php'; echo get_option('blogname');`)).toBe(
      'My WordPress Website',
    );
    await expect(a.client.run({ code: '<?php echo "before"; pg_harness_no_such_function();' })).rejects.toThrow(
      /Call to undefined function pg_harness_no_such_function/,
    );
    // The runtime survives the fatal.
    expect(await runText(a.client, '<?php echo "still alive";')).toBe('still alive');
  });

  it(`runs ${sqlite.driverClass} behind $wpdb`, async () => {
    const answer = await runText(
      a.client,
      `<?php require '/wordpress/wp-load.php'; global $wpdb;
      echo json_encode([
        'wpdb' => get_class($wpdb),
        'hasGetDriver' => method_exists($wpdb, 'get_driver'),
        'driver' => method_exists($wpdb, 'get_driver') ? get_class($wpdb->get_driver()) : get_class($wpdb->dbh),
      ]);`,
    );
    expect(JSON.parse(answer)).toEqual({
      wpdb: 'WP_SQLite_DB',
      hasGetDriver: combination.driver === 'ast',
      driver: sqlite.driverClass,
    });
  });

  it('serves GET / with links on its own URL', async () => {
    const { response } = await b.visit('/');
    expect(response.httpStatusCode).toBe(200);
    expect(response.text).toContain(`href="${b.siteUrl}`);
    expect(mentionsSiteUrl(response.text, stored(a))).toBe(false);
  });

  it('answers a logged-in GET /wp-admin/ with the Dashboard', async () => {
    const { response } = await b.visit('/wp-admin/');
    expect(response.httpStatusCode).toBe(200);
    expect(response.text).toMatch(/<title>Dashboard ‹|<title>Dashboard &lsaquo;/);
    expect(response.text).toContain('id="wpadminbar"');
    // The page's own client does not follow redirects: with the login cookies kept, no redirect remains.
    expect((await b.client.request({ url: b.url('/wp-admin/') })).httpStatusCode).toBe(200);
  });

  it('journalFSEvents reports writes under wp-content, from the client and from PHP', async () => {
    const ops: FilesystemOperation[] = [];
    const unbind = await a.client.journalFSEvents('/wordpress/wp-content/', (op) => {
      ops.push(op);
    });
    await a.client.writeFile('/wordpress/wp-content/pg-harness-client.txt', 'from the client');
    await runText(a.client, `<?php file_put_contents('/wordpress/wp-content/pg-harness-php.txt', 'from PHP');`);
    await a.client.writeFile('/wordpress/wp-includes/pg-harness-outside.txt', 'outside the root');
    await unbind();
    await a.client.writeFile('/wordpress/wp-content/pg-harness-after.txt', 'after unbind');
    const paths = (operation: string) => ops.filter((op) => op.operation === operation).map((op) => op.path);
    expect(paths('CREATE')).toEqual(['/wordpress/wp-content/pg-harness-client.txt', '/wordpress/wp-content/pg-harness-php.txt']);
    expect(new Set(paths('WRITE'))).toEqual(
      new Set(['/wordpress/wp-content/pg-harness-client.txt', '/wordpress/wp-content/pg-harness-php.txt']),
    );
    expect(ops.every((op) => op.path.startsWith('/wordpress/wp-content/'))).toBe(true);
  });

  it('replayFSJournal applies operations on the other site', async () => {
    const seen: FilesystemOperation[] = [];
    const unbind = await b.client.journalFSEvents('/wordpress/wp-content/', (op) => {
      seen.push(op);
    });
    const dir = '/wordpress/wp-content/pg-harness-replayed';
    await b.client.replayFSJournal([
      { operation: 'CREATE', path: dir, nodeType: 'directory' },
      { operation: 'CREATE', path: `${dir}/a.txt`, nodeType: 'file' },
      { operation: 'WRITE', path: `${dir}/a.txt`, nodeType: 'file', data: new TextEncoder().encode('replayed') },
      { operation: 'RENAME', path: `${dir}/a.txt`, toPath: `${dir}/b.txt`, nodeType: 'file' },
    ]);
    await unbind();
    expect(await b.client.readFileAsText(`${dir}/b.txt`)).toBe('replayed');
    expect(await b.client.fileExists(`${dir}/a.txt`)).toBe(false);
    // Replayed operations do not come back through the target's own journal (no echo).
    expect(seen).toEqual([]);
  });

  it('documents an fs-journal trap: replayFSJournal re-binds a journal that was unbound', async () => {
    const seen: string[] = [];
    const unbind = await b.client.journalFSEvents('/wordpress/wp-content/', (op) => {
      seen.push(`${op.operation} ${op.path}`);
    });
    await unbind();
    await b.client.writeFile('/wordpress/wp-content/pg-harness-unbound-1.txt', 'not seen');
    expect(seen).toEqual([]);
    // fs-journal 3.1.54: replay unbinds the slot's journal and binds it again afterwards,
    // reviving the callback that was unbound. A sync engine must not rely on unbind() here.
    await b.client.replayFSJournal([{ operation: 'CREATE', path: '/wordpress/wp-content/pg-harness-replayed.txt', nodeType: 'file' }]);
    await b.client.writeFile('/wordpress/wp-content/pg-harness-unbound-2.txt', 'seen again');
    expect(seen).toEqual([
      'CREATE /wordpress/wp-content/pg-harness-unbound-2.txt',
      'WRITE /wordpress/wp-content/pg-harness-unbound-2.txt',
    ]);
    await unbind();
  });

  it('onMessage receives post_message_to_js from request() and from run(), and can answer', async () => {
    const messages: string[] = [];
    const unsubscribe = await a.client.onMessage((data) => {
      messages.push(data);
      return data === 'pg-sync/ping' ? 'pong' : undefined;
    });
    const plugin = '/internal/shared/mu-plugins/zz-pg-harness-ping.php';
    await a.client.writeFile(
      plugin,
      `<?php if (isset($_GET['pg_harness_ping'])) {
        post_message_to_js(json_encode(['type' => 'pg-sync/test', 'uri' => $_SERVER['REQUEST_URI']], JSON_UNESCAPED_SLASHES));
      }`,
    );
    try {
      const page = await a.client.request({ url: a.url('/?pg_harness_ping=1') });
      expect(page.httpStatusCode).toBeLessThan(400);
      expect(await runText(a.client, `<?php echo post_message_to_js('pg-sync/ping');`)).toBe('pong');
      expect(messages).toEqual([
        JSON.stringify({ type: 'pg-sync/test', uri: `${new URL(a.siteUrl).pathname}?pg_harness_ping=1` }),
        'pg-sync/ping',
      ]);
      await unsubscribe();
      await runText(a.client, `<?php post_message_to_js('after unsubscribe');`);
      expect(messages).toHaveLength(2);
    } finally {
      await a.client.unlink(plugin);
    }
  });
});

describe('a site without auto-login', () => {
  it('sends anonymous visitors of wp-admin to the login form, and cannot replay without a journal', async () => {
    const site = await bootNodeSite({
      wp: '6.5',
      driver: 'ast',
      siteUrl: 'https://playground.wordpress.net/scope:node-anonymous/',
      autoLogin: false,
    });
    try {
      const response = await site.client.request({ url: site.url('/wp-admin/') });
      expect(response.httpStatusCode).toBe(302);
      expect(response.headers['location']?.[0]).toMatch(/^https:\/\/playground\.wordpress\.net\/scope:node-anonymous\/wp-login\.php\?/);
      // replayFSJournal needs a journal bound on the target first (fs-journal 3.1.54).
      await expect(
        site.client.replayFSJournal([{ operation: 'CREATE', path: '/wordpress/wp-content/x.txt', nodeType: 'file' }]),
      ).rejects.toThrow(TypeError);
    } finally {
      await site.dispose();
    }
  });
});

describe('a site whose PHP instances rotate often', () => {
  it('keeps one filesystem for every instance across rotations, the primary’s included', async () => {
    const site = await bootNodeSite({ wp: '6.5', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:node-rotating/', maxRequests: 5 });
    try {
      const seen: string[] = [];
      const instances = new Set<string>();
      for (let round = 0; round < 14; round++) {
        await site.client.writeFile('/wordpress/wp-content/round.txt', `round ${round}`);
        // Two at once, so both instances serve; each says which it is and what it reads.
        const answers = await Promise.all(
          [0, 1].map(() => site.client.run({ code: `<?php usleep(20000); echo getmypid(), ' ', file_get_contents('/wordpress/wp-content/round.txt');` })),
        );
        for (const answer of answers) {
          const [pid, ...text] = answer.text.split(' ');
          instances.add(pid!);
          seen.push(`${round}: ${text.join(' ')}`);
        }
      }
      // Rotations give new process ids: more than two means both instances rotated, several times.
      expect(instances.size).toBeGreaterThan(4);
      expect(seen).toEqual(Array.from({ length: 14 }, (_, round) => [`${round}: round ${round}`, `${round}: round ${round}`]).flat());
    } finally {
      await site.dispose();
    }
  });
});

describe.each([
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
] as const)('a saved site reloading, WordPress $wp on the $driver driver', (combination) => {
  it('keeps /wordpress byte for byte (files and database), loses /internal and the old client, and answers again', async () => {
    const site = await bootNodeSite({ ...combination, siteUrl: siteUrl(combination, 'reloading') });
    try {
      const note = Uint8Array.from({ length: 300 }, (_, index) => (index * 7) % 256);
      await site.client.writeFile('/wordpress/wp-content/pg-reload-note.bin', note);
      await site.client.writeFile('/internal/shared/pg-reload-internal.txt', 'lost on reload');
      const postId = Number(
        await runText(site.client, `<?php require '/wordpress/wp-load.php'; echo wp_insert_post(['post_title' => 'Written before the reload', 'post_status' => 'publish'], true);`),
      );
      expect(postId).toBeGreaterThan(0);
      const stateBefore = await dumpSiteState(site);
      const databaseBefore = await site.client.readFileAsBuffer(site.facts.databasePath);
      const oldClient = site.client;
      // Running when the reload starts: it ends first, and its write is part of what the site keeps.
      const inFlight = oldClient.run({ code: `<?php usleep(100000); file_put_contents('/wordpress/wp-content/pg-reload-late.txt', 'finished first');` });

      const started = performance.now();
      await site.reload();
      console.info(`[reload] ${combination.driver} ${combination.wp}: ${(performance.now() - started).toFixed(0)} ms`);

      expect((await inFlight).errors).toBe('');
      await expect(oldClient.run({ code: '<?php echo 1;' })).rejects.toThrow(/reloaded/);
      await expect(oldClient.fileExists('/wordpress')).rejects.toThrow(/reloaded/);
      expect(site.reloads).toBe(1);
      // Read before any request: the database file is exactly what the old page left.
      expect(Buffer.from(await site.client.readFileAsBuffer(site.facts.databasePath)).equals(Buffer.from(databaseBefore))).toBe(true);
      expect(Buffer.from(await site.client.readFileAsBuffer('/wordpress/wp-content/pg-reload-note.bin')).equals(Buffer.from(note))).toBe(true);
      expect(await site.client.readFileAsText('/wordpress/wp-content/pg-reload-late.txt')).toBe('finished first');
      expect(await site.client.fileExists('/internal/shared/pg-reload-internal.txt')).toBe(false);
      expect(await site.client.fileExists('/internal/shared/mu-plugins/0-pg-harness-no-network.php')).toBe(true);

      const stateAfter = await dumpSiteState(site);
      const { 'wp-content/pg-reload-late.txt': late, ...filesAfter } = stateAfter.files;
      expect(late).toBeDefined();
      const differences = compareSiteStates(stateBefore, { ...stateAfter, files: filesAfter }, { aUrl: site.siteUrl, bUrl: site.siteUrl });
      expect(differences.map((difference) => difference.description)).toEqual([]);
      expect(stateAfter.tables['wp_posts']?.some((row) => row['ID'] === postId && row['post_title'] === 'Written before the reload')).toBe(true);

      const home = await site.visit('/');
      expect(home.response.httpStatusCode).toBe(200);
      expect(home.response.text).toContain('Written before the reload');
      const dashboard = await site.visit('/wp-admin/');
      expect(dashboard.response.text).toMatch(/<title>Dashboard ‹|<title>Dashboard &lsaquo;/);
    } finally {
      await site.dispose();
    }
  });
});
