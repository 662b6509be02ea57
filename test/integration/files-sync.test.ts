import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFileChanges, type ApplyReport } from '../../src/files/applier';
import { findDatabasePath } from '../../src/files/database-path';
import { Exclusions } from '../../src/files/exclusions';
import { FileChangeBatchSchema, type FileChange } from '../../src/files/file-change';
import { FileRecorder } from '../../src/files/recorder';
import { relativeToRoot } from '../../src/files/paths';
import { LOCAL_ONLY_RULES, bootNodeSite, compareSiteStates, dumpSiteState, type NodeSite } from '../harness';
import { makePng } from './files-png';

/**
 * File sync between two real WordPress sites booted from the same snapshot: changes made on A
 * through PHP are recorded, sent through the batch schema, applied on B, and B's files must then
 * equal A's, with nothing coming back from B.
 */

const ROOT = '/wordpress';
let a: NodeSite;
let b: NodeSite;
let recorderA: FileRecorder;
let recorderB: FileRecorder;
let databaseDirectory: string;

async function php(site: NodeSite, code: string, env: Record<string, string> = {}): Promise<string> {
  const response = await site.client.run({ code: `<?php ${code}`, env });
  expect(response.errors).toBe('');
  expect(response.exitCode).toBe(0);
  return response.text;
}

/** What a site's PHP-side helpers need: recursive delete, like WordPress's own. */
const RRMDIR = `function pg_rrmdir($d) { foreach (scandir($d) as $n) { if ($n === '.' || $n === '..') continue;
  $p = "$d/$n"; is_dir($p) ? pg_rrmdir($p) : unlink($p); } rmdir($d); }`;

/** Takes A's batch, checks it against the wire schema, applies it on B, and checks B sends nothing back. */
async function syncAToB(): Promise<{ changes: FileChange[]; report: ApplyReport }> {
  const batch = await recorderA.takeBatch();
  const parsed = v.safeParse(FileChangeBatchSchema, batch);
  expect(parsed.success).toBe(true);
  const report = await applyFileChanges(b.client, batch.changes, { root: ROOT, echo: recorderB });
  const echo = await recorderB.takeBatch();
  expect(echo.changes).toEqual([]);
  return { changes: batch.changes, report };
}

async function fileDifferences(): Promise<string[]> {
  const [stateA, stateB] = await Promise.all([dumpSiteState(a), dumpSiteState(b)]);
  return compareSiteStates(stateA, stateB, { aUrl: a.siteUrl, bUrl: b.siteUrl, ignore: LOCAL_ONLY_RULES })
    .filter((difference) => difference.kind === 'file')
    .map((difference) => difference.description);
}

const paths = (changes: readonly FileChange[]) =>
  changes.map((change) => (change.op === 'rename' ? `${change.op} ${change.path} -> ${change.toPath}` : `${change.op} ${change.path}`));

beforeAll(async () => {
  a = await bootNodeSite({ wp: '6.5', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:files-a/' });
  b = await bootNodeSite({ wp: '6.5', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:files-b/' });
  const databasePath = await findDatabasePath(a.client, ROOT);
  expect(databasePath).toBe(a.facts.databasePath);
  databaseDirectory = relativeToRoot(ROOT, databasePath!)!.replace(/\/[^/]+$/, '');
  recorderA = await FileRecorder.start(a.client, { root: ROOT, exclusions: Exclusions.forSite(ROOT, databasePath) });
  recorderB = await FileRecorder.start(b.client, {
    root: ROOT,
    exclusions: Exclusions.forSite(ROOT, await findDatabasePath(b.client, ROOT)),
  });
});

afterAll(async () => {
  await recorderA?.stop();
  await recorderB?.stop();
  await a?.dispose();
  await b?.dispose();
});

describe('file sync between two Node WordPress sites', () => {
  it('starts equal and records nothing without changes', async () => {
    expect(await fileDifferences()).toEqual([]);
    expect((await recorderA.takeBatch()).changes).toEqual([]);
  });

  it('a plugin folder with three files created through PHP arrives on B', async () => {
    await php(
      a,
      `$d = '/wordpress/wp-content/plugins/pg-demo'; mkdir("$d/inc", 0777, true);
      file_put_contents("$d/pg-demo.php", "<?php\\n/* Plugin Name: PG Demo */\\nrequire __DIR__ . '/inc/helpers.php';\\n");
      file_put_contents("$d/inc/helpers.php", "<?php function pg_demo() { return 42; }\\n");
      $f = fopen("$d/readme.txt", 'w'); for ($i = 0; $i < 50; $i++) fwrite($f, "line $i\\n"); fclose($f);`,
    );
    const { changes, report } = await syncAToB();
    expect(paths(changes)).toEqual([
      'mkdir wp-content/plugins/pg-demo',
      'mkdir wp-content/plugins/pg-demo/inc',
      'write wp-content/plugins/pg-demo/inc/helpers.php',
      'write wp-content/plugins/pg-demo/pg-demo.php',
      'write wp-content/plugins/pg-demo/readme.txt',
    ]);
    expect(report).toEqual({ applied: 5, failures: [] });
    expect(await fileDifferences()).toEqual([]);
  });

  it('a binary upload written in chunks arrives byte for byte', async () => {
    const png = makePng(160, 120, 7);
    expect(png.byteLength).toBeGreaterThan(50_000);
    await php(
      a,
      `$d = '/wordpress/wp-content/uploads/2026/11'; if (!is_dir($d)) mkdir($d, 0777, true);
      $bytes = base64_decode(getenv('PNG')); $f = fopen("$d/photo.png", 'wb');
      foreach (str_split($bytes, 8192) as $part) fwrite($f, $part); fclose($f);`,
      { PNG: Buffer.from(png).toString('base64') },
    );
    const { changes } = await syncAToB();
    const write = changes.find((change) => change.op === 'write' && change.path === 'wp-content/uploads/2026/11/photo.png');
    expect(write).toMatchObject({ size: png.byteLength });
    expect(Buffer.from(await b.client.readFileAsBuffer('/wordpress/wp-content/uploads/2026/11/photo.png')).equals(Buffer.from(png))).toBe(true);
    expect(await fileDifferences()).toEqual([]);
  });

  it('a renamed file and a renamed folder travel as the old path gone and the new one with its bytes', async () => {
    await php(
      a,
      `$d = '/wordpress/wp-content/plugins/pg-demo';
      file_put_contents("$d/readme.txt", "rewritten\\n"); rename("$d/readme.txt", "$d/README.md");
      file_put_contents("$d/inc/helpers.php", "<?php function pg_demo() { return 43; }\\n");
      rename("$d/inc", "$d/includes");`,
    );
    const { changes, report } = await syncAToB();
    expect(paths(changes).filter((path) => !path.startsWith('write'))).toEqual([
      'delete wp-content/plugins/pg-demo/readme.txt',
      'delete wp-content/plugins/pg-demo/inc',
      'mkdir wp-content/plugins/pg-demo/includes',
    ]);
    expect(paths(changes)).toEqual(
      expect.arrayContaining(['write wp-content/plugins/pg-demo/README.md', 'write wp-content/plugins/pg-demo/includes/helpers.php']),
    );
    expect(paths(changes).some((path) => path.startsWith('rename'))).toBe(false);
    expect(report.failures).toEqual([]);
    expect(await fileDifferences()).toEqual([]);
  });

  it('a folder installed the WordPress way (unpacked in wp-content/upgrade/, then moved) arrives whole', async () => {
    await php(
      a,
      `$t = '/wordpress/wp-content/upgrade/pg-unpacked-1'; mkdir("$t/pg-moved/assets", 0777, true);
      file_put_contents("$t/pg-moved/pg-moved.php", "<?php /* Plugin Name: Moved */");
      file_put_contents("$t/pg-moved/assets/app.js", "console.log(1);");
      rename("$t/pg-moved", '/wordpress/wp-content/plugins/pg-moved'); rmdir($t);`,
    );
    const { changes } = await syncAToB();
    expect(paths(changes).every((path) => !path.includes('wp-content/upgrade'))).toBe(true);
    expect(paths(changes)).toContain('write wp-content/plugins/pg-moved/assets/app.js');
    expect(await fileDifferences()).toEqual([]);
  });

  it('deleting a file and a folder tree deletes them on B', async () => {
    await php(
      a,
      `${RRMDIR} unlink('/wordpress/wp-content/uploads/2026/11/photo.png');
      pg_rrmdir('/wordpress/wp-content/plugins/pg-demo');`,
    );
    const { changes } = await syncAToB();
    expect(paths(changes)).toEqual([
      'delete wp-content/uploads/2026/11/photo.png',
      'delete wp-content/plugins/pg-demo/README.md',
      'delete wp-content/plugins/pg-demo/includes/helpers.php',
      'delete wp-content/plugins/pg-demo/includes',
      'delete wp-content/plugins/pg-demo/pg-demo.php',
      'delete wp-content/plugins/pg-demo',
    ]);
    expect(await b.client.fileExists('/wordpress/wp-content/plugins/pg-demo')).toBe(false);
    expect(await fileDifferences()).toEqual([]);
  });

  it('database writes (a new post) never reach a batch', async () => {
    const before = recorderA.stats;
    await php(
      a,
      `require '/wordpress/wp-load.php';
      wp_insert_post(['post_title' => 'Files test', 'post_status' => 'publish', 'post_content' => str_repeat('x', 20000)]);`,
    );
    // The journal did report the database file: the exclusion is what keeps it out.
    expect(recorderA.stats.events - before.events).toBeGreaterThan(recorderA.stats.trackedEvents - before.trackedEvents);
    const { changes } = await syncAToB();
    expect(changes.filter((change) => change.path.startsWith(databaseDirectory) || change.path.startsWith('wp-content/database'))).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('applying on B produces no echo from B, though B saw the writes', async () => {
    await php(a, `@mkdir('/wordpress/wp-content/uploads', 0777, true); file_put_contents('/wordpress/wp-content/uploads/echo.txt', 'ping');`);
    const batch = await recorderA.takeBatch();
    const eventsBefore = recorderB.stats.trackedEvents;
    await applyFileChanges(b.client, batch.changes, { root: ROOT, echo: recorderB });
    expect(recorderB.stats.trackedEvents).toBeGreaterThan(eventsBefore);
    expect((await recorderB.takeBatch()).changes).toEqual([]);
    // Without the registry the same kind of apply does go back out: the check above can fail.
    await php(a, `file_put_contents('/wordpress/wp-content/uploads/echo.txt', 'pong');`);
    const second = await recorderA.takeBatch();
    await applyFileChanges(b.client, second.changes, { root: ROOT });
    expect(paths((await recorderB.takeBatch()).changes)).toEqual(['write wp-content/uploads/echo.txt']);
  });

  it('re-reporting unchanged files (rotation-like rewrite of identical bytes) is no change', async () => {
    const before = recorderA.stats;
    await php(
      a,
      `foreach (glob('/wordpress/wp-content/plugins/pg-moved/*.php') as $f) { file_put_contents($f, file_get_contents($f)); touch($f); }
      $v = '/wordpress/wp-content/index.php'; file_put_contents($v, file_get_contents($v));`,
    );
    await a.client.writeFile('/wordpress/wp-content/plugins/pg-moved/assets/app.js', 'console.log(1);');
    expect((await recorderA.takeBatch()).changes).toEqual([]);
    // Synced paths were reported and read again: the hashes are what made it no change.
    expect(recorderA.stats.trackedEvents - before.trackedEvents).toBeGreaterThanOrEqual(3);
    expect(recorderA.stats.reads - before.reads).toBeGreaterThanOrEqual(3);
  });

  it('an apply where some changes fail reports them precisely, applies the rest, and a retry completes it', async () => {
    await b.client.writeFile('/wordpress/wp-content/plugins/pg-blocked', 'a stray file on B');
    await recorderB.takeBatch(); // B's own change, as if sent
    await php(
      a,
      `mkdir('/wordpress/wp-content/plugins/pg-blocked'); @mkdir('/wordpress/wp-content/uploads/2026/11', 0777, true);
      file_put_contents('/wordpress/wp-content/plugins/pg-blocked/main.php', '<?php // blocked');
      file_put_contents('/wordpress/wp-content/uploads/2026/11/other.txt', 'goes through');`,
    );
    const batch = await recorderA.takeBatch();
    const report = await applyFileChanges(b.client, batch.changes, { root: ROOT, echo: recorderB });
    expect(report.failures.map((failure) => failure.reason)).toEqual([
      'mkdir wp-content/plugins/pg-blocked: a file is in the way at wp-content/plugins/pg-blocked',
      'write wp-content/plugins/pg-blocked/main.php (16 bytes): wp-content/plugins/pg-blocked is a file, not a directory',
    ]);
    expect(report.applied).toBe(batch.changes.length - 2);
    expect(await b.client.readFileAsText('/wordpress/wp-content/uploads/2026/11/other.txt')).toBe('goes through');

    await b.client.unlink('/wordpress/wp-content/plugins/pg-blocked');
    const retry = await applyFileChanges(b.client, report.failures.map((failure) => failure.change), { root: ROOT, echo: recorderB });
    expect(retry).toEqual({ applied: 2, failures: [] });
    expect((await recorderB.takeBatch()).changes).toEqual([]);
    expect(await fileDifferences()).toEqual([]);
  });

  it('measures recording + applying a 1,000-file plugin', async () => {
    const started = performance.now();
    await php(
      a,
      `$d = '/wordpress/wp-content/plugins/pg-big'; for ($i = 0; $i < 1000; $i++) {
        $sub = $d . '/part-' . intdiv($i, 100); if (!is_dir($sub)) mkdir($sub, 0777, true);
        file_put_contents("$sub/file-$i.php", "<?php // file $i\\n" . str_repeat("// filler line for file $i\\n", 40)); }`,
    );
    const written = performance.now();
    const batch = await recorderA.takeBatch();
    const recorded = performance.now();
    const report = await applyFileChanges(b.client, batch.changes, { root: ROOT, echo: recorderB });
    const applied = performance.now();
    expect((await recorderB.takeBatch()).changes).toEqual([]);
    const echoChecked = performance.now();
    expect(report.failures).toEqual([]);
    expect(batch.changes.filter((change) => change.op === 'write')).toHaveLength(1000);
    const perSecond = (ms: number) => Math.round(1000 / (ms / 1000));
    console.log(
      `[files] 1,000-file plugin: PHP writes ${(written - started).toFixed(0)} ms; ` +
        `record (takeBatch) ${(recorded - written).toFixed(0)} ms; apply ${(applied - recorded).toFixed(0)} ms; ` +
        `echo check ${(echoChecked - applied).toFixed(0)} ms; record+apply ${perSecond(applied - written)} files/s ` +
        `(record+apply+echo ${perSecond(echoChecked - written)} files/s)`,
    );
    expect(await fileDifferences()).toEqual([]);
  });
});
