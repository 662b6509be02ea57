import { describe, expect, it } from 'vitest';
import { applyFileChanges } from '../../src/files/applier';
import { applyFileChangesAtomically } from '../../src/files/file-transaction';
import { Exclusions } from '../../src/files/exclusions';
import type { FileChange } from '../../src/files/file-change';
import { FileRecorder } from '../../src/files/recorder';
import { sha256Hex } from '../../src/files/sha256';
import type { FileState, TreeManifest } from '../../src/files/tree-manifest';
import { FakeSite, allSmall, wholeFileReader } from './files-fake-site';

/**
 * The recorder against a site that delivers journal reports and read answers asynchronously, as
 * the browser does: reads interleave with further PHP operations. Whatever the interleaving, the
 * changes must bring a peer from the start tree to exactly this site's tree, without excluded
 * paths, and applying them on the peer must produce no echo.
 */

const ROOT = '/wordpress';
const EXCLUSIONS = Exclusions.forSite(ROOT, '/wordpress/wp-content/database/.ht.sqlite');

const START: Record<string, string | 'dir'> = {
  '/wordpress/wp-content': 'dir',
  '/wordpress/wp-content/database': 'dir',
  '/wordpress/wp-content/database/.ht.sqlite': 'db',
  '/wordpress/wp-content/upgrade': 'dir',
  '/wordpress/wp-content/plugins': 'dir',
  '/wordpress/wp-content/plugins/one': 'dir',
  '/wordpress/wp-content/plugins/one/one.php': 'one',
  '/wordpress/wp-content/plugins/one/inc': 'dir',
  '/wordpress/wp-content/plugins/one/inc/a.php': 'a',
  '/wordpress/wp-content/uploads': 'dir',
  '/wordpress/wp-content/uploads/pic.png': 'png',
  '/wordpress/index.php': 'index',
};

async function manifestOfSite(site: FakeSite): Promise<TreeManifest> {
  const files = new Map<string, FileState>();
  const directories = new Set<string>();
  for (const [path, text] of site.copy()) {
    const relative = path.slice(ROOT.length + 1);
    if (relative === '' || EXCLUSIONS.isExcluded(relative)) continue;
    if (text === '<dir>') directories.add(relative);
    else files.set(relative, { size: new TextEncoder().encode(text).byteLength, sha256: await sha256Hex(new TextEncoder().encode(text)) });
  }
  return { files, directories };
}

/** The synced part of a tree (exclusions left out), for comparing the two sites. */
function synced(site: FakeSite): [string, string][] {
  return site.copy().filter(([path]) => path === ROOT || !EXCLUSIONS.isExcluded(path.slice(ROOT.length + 1)));
}

function randomGenerator(seed: number): () => number {
  let state = seed * 2654435761 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Two sites with the start tree, each with a recorder that knows the other has that tree. */
async function startTwoRecordedSites() {
  const site = new FakeSite(START);
  const peer = new FakeSite(START);
  const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader: wholeFileReader(site) });
  const peerRecorder = await FileRecorder.start(peer, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(peer), reader: wholeFileReader(peer) });
  return { site, peer, recorder, peerRecorder };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** One random PHP-like operation; failures (like PHP warnings) are ignored. */
function randomOperation(site: FakeSite, random: () => number, counter: { next: number }): void {
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const directories = site.directories().filter((dir) => !dir.startsWith('/wordpress/wp-content/database'));
  const files = site.files().filter((file) => !file.startsWith('/wordpress/wp-content/database'));
  const dir = pick(directories) ?? ROOT;
  const name = `n${counter.next++}`;
  try {
    const roll = random();
    if (roll < 0.3) site.phpWrite(pick(files) ?? `${dir}/${name}.txt`, `v${counter.next++}`);
    else if (roll < 0.4) site.phpWrite(`${dir}/${name}.txt`, `new ${counter.next++}`);
    else if (roll < 0.47) site.phpMkdir(`${dir}/${name}`);
    else if (roll < 0.55) site.phpUnlink(pick(files) ?? '');
    else if (roll < 0.65) site.phpRename(pick(files) ?? '', `${dir}/${name}.moved`);
    else if (roll < 0.7) site.phpRename(pick(files) ?? '', pick(files) ?? '');
    else if (roll < 0.78 && dir !== ROOT) site.phpRename(dir, `${pick(directories) ?? ROOT}/${name}`);
    else if (roll < 0.82) {
      const doomed = pick(directories.filter((path) => path.split('/').length > 4));
      if (doomed) site.phpDeleteTree(doomed);
    }
    else if (roll < 0.88) {
      // Unpack in an excluded directory, then move into the synced tree (a plugin install).
      const staging = `/wordpress/wp-content/upgrade/${name}`;
      site.phpMkdir(staging);
      site.phpWrite(`${staging}/main.php`, `main ${counter.next++}`);
      site.phpMkdir(`${staging}/sub`);
      site.phpWrite(`${staging}/sub/x.js`, `x ${counter.next++}`);
      site.phpRename(staging, `${dir}/${name}`);
    } else if (roll < 0.94) site.phpWrite('/wordpress/wp-content/database/.ht.sqlite', `db ${counter.next++}`);
    else {
      const file = pick(files);
      if (file) site.phpWrite(file, new TextDecoder().decode(site.nodes.get(file) as Uint8Array)); // same bytes
    }
  } catch {
    // a failed operation, as PHP would warn about
  }
}

async function expectNoExcludedPaths(changes: readonly FileChange[]): Promise<void> {
  for (const change of changes) {
    expect(EXCLUSIONS.isExcluded(change.path)).toBe(false);
    if (change.op === 'rename') expect(EXCLUSIONS.isExcluded(change.toPath)).toBe(false);
  }
}

describe('FileRecorder with browser-like asynchronous delivery', () => {
  // 40 seeds by default (each takes ~0.2 s of timer ticks); PG_SYNC_FILE_SEEDS=5000 for a long run.
  const seeds = Number(process.env.PG_SYNC_FILE_SEEDS ?? 40);
  it.concurrent.each(Array.from({ length: seeds }, (_, seed) => seed + 1))('random operations converge (seed %i)', async (seed) => {
    const random = randomGenerator(seed);
    const { site, peer, recorder, peerRecorder } = await startTwoRecordedSites();
    const counter = { next: 0 };
    for (let batch = 0; batch < 3; batch++) {
      const operations = 5 + Math.floor(random() * 15);
      for (let index = 0; index < operations; index++) {
        randomOperation(site, random, counter);
        if (random() < 0.4) await tick(); // let reads run in between, as in a browser
      }
      await tick(); // the request ended: its reports are all delivered
      const { changes } = await recorder.takeBatch();
      await expectNoExcludedPaths(changes);
      const report = await applyFileChanges(peer, changes, { root: ROOT, echo: peerRecorder });
      expect(report.failures).toEqual([]);
      expect(synced(peer)).toEqual(synced(site));
      await tick();
      expect((await peerRecorder.takeBatch()).changes).toEqual([]);
    }
    await recorder.stop();
    await peerRecorder.stop();
  });

  it.concurrent.each(Array.from({ length: Number(process.env.PG_SYNC_UNDO_SEEDS ?? 30) }, (_, seed) => seed + 101))(
    'a received batch undone (its database part failed, or one of its changes) leaves the peer as it was and sends nothing back (seed %i)',
    async (seed) => {
      const random = randomGenerator(seed);
      const { site, peer, recorder, peerRecorder } = await startTwoRecordedSites();
      const counter = { next: 0 };
      for (let batch = 0; batch < 3; batch++) {
        for (let index = 0, operations = 5 + Math.floor(random() * 15); index < operations; index++) randomOperation(site, random, counter);
        await tick();
        const { changes } = await recorder.takeBatch();
        const before = synced(peer);
        const peerBelief = peerRecorder.peerState();
        // Half the time one change in the batch cannot apply (its bytes do not match their hash).
        const poisoned = random() < 0.5 && changes.length > 0;
        const attempt: FileChange[] = [...changes];
        if (poisoned) {
          const at = Math.floor(random() * (attempt.length + 1));
          attempt.splice(at, 0, { op: 'write', path: 'wp-content/poison.txt', size: 1, sha256: '0'.repeat(64), bytes: new Uint8Array([1]) });
        }
        const failing = await applyFileChangesAtomically(peer, attempt, { root: ROOT, echo: peerRecorder, statFiles: allSmall });
        expect(failing.report.failures.length).toBe(poisoned ? 1 : 0);
        expect(await failing.rollback()).toEqual([]);
        expect(synced(peer)).toEqual(before);
        expect(peerRecorder.peerState()).toEqual(peerBelief);
        await tick();
        expect((await peerRecorder.takeBatch()).changes).toEqual([]);
        expect(peer.copy().filter(([path]) => path.includes('/upgrade/playground-sync/'))).toEqual([]);

        const kept = await applyFileChangesAtomically(peer, changes, { root: ROOT, echo: peerRecorder, statFiles: allSmall });
        expect(kept.report.failures).toEqual([]);
        await kept.commit();
        expect(synced(peer)).toEqual(synced(site));
        await tick();
        expect((await peerRecorder.takeBatch()).changes).toEqual([]);
      }
      await recorder.stop();
      await peerRecorder.stop();
    },
  );

  it('reads a file once for writes whose events came before the read looked at it, and again for a write after', async () => {
    const site = new FakeSite(START);
    const inner = wholeFileReader(site);
    const look = { go: () => undefined as void, waiting: Promise.resolve() };
    // A reader that, like the site's, looks at the file a while after it was asked (the stat run gathers).
    const reader = {
      read: async (absolute: string, known?: FileState, observing?: (at: number) => void) => {
        await look.waiting;
        observing?.(performance.now());
        return inner.read(absolute, known);
      },
      readAll: inner.readAll,
    };
    look.waiting = new Promise<void>((resolve) => (look.go = resolve));
    const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader });
    // A big upload lands a megabyte at a time: one event per write, all before the read looks.
    for (let i = 1; i <= 5; i++) {
      site.phpWrite('/wordpress/wp-content/uploads/pic.png', `png part ${i}`);
      await tick();
    }
    look.go();
    for (let i = 0; i < 30; i++) await tick();
    expect(recorder.stats.reads).toBe(1);
    site.phpWrite('/wordpress/wp-content/uploads/pic.png', 'png after the read');
    for (let i = 0; i < 30; i++) await tick();
    expect(recorder.stats.reads).toBe(2);
    const { changes } = await recorder.takeBatch();
    expect(changes.map((change) => (change.op === 'write' && !change.blob ? new TextDecoder().decode(change.bytes) : change.op))).toEqual(['png after the read']);
    await recorder.stop();
  });

  it('reads the same bytes once when written again while they were read: the second look only hashes them where they lie', async () => {
    const site = new FakeSite(START);
    const inner = wholeFileReader(site);
    let fullReads = 0;
    const gate = { open: () => undefined as void, shut: Promise.resolve() };
    // Like the site's reader: looks first, answers `unread` when the file holds what it was told.
    const reader = {
      read: async (absolute: string, known?: FileState, observing?: (at: number) => void) => {
        observing?.(performance.now());
        const result = await inner.read(absolute);
        await gate.shut;
        if (typeof result !== 'object') return result;
        if (known && known.size === result.size && known.sha256 === result.sha256) return { size: result.size, sha256: result.sha256, unread: true as const };
        fullReads++;
        return result;
      },
      readAll: inner.readAll,
    };
    const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader });
    gate.shut = new Promise<void>((resolve) => (gate.open = resolve));
    site.phpWrite('/wordpress/wp-content/uploads/pic.png', 'the same bytes');
    for (let i = 0; i < 5; i++) await tick();
    // Written again after the read looked (a close after the writes, a touch): a second look.
    site.phpWrite('/wordpress/wp-content/uploads/pic.png', 'the same bytes');
    gate.open();
    const { changes } = await recorder.takeBatch();
    expect(recorder.stats.reads).toBe(2);
    expect(fullReads).toBe(1);
    expect(changes.map((change) => (change.op === 'write' && !change.blob ? new TextDecoder().decode(change.bytes) : change.op))).toEqual(['the same bytes']);
    await recorder.stop();
  });

  it('reads a write promptly, before the end of the batch', async () => {
    const site = new FakeSite(START);
    const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader: wholeFileReader(site) });
    site.phpWrite('/wordpress/wp-content/uploads/pic.png', 'png v2');
    for (let i = 0; i < 6; i++) await tick();
    expect(recorder.stats.reads).toBe(1);
    site.phpWrite('/wordpress/wp-content/uploads/pic.png', 'png v3'); // after the read: must be read again
    await tick();
    const { changes } = await recorder.takeBatch();
    expect(changes.map((change) => (change.op === 'write' && !change.blob ? new TextDecoder().decode(change.bytes) : change.op))).toEqual(['png v3']);
    expect(recorder.stats.fallbackReads).toBe(0);
  });

  it('cues its owner for writes to synced paths only, not for the engine\'s own writes in its scratch area', async () => {
    const site = new FakeSite(START);
    const cues: number[] = [];
    const recorder = await FileRecorder.start(site, {
      root: ROOT,
      exclusions: EXCLUSIONS,
      start: await manifestOfSite(site),
      reader: wholeFileReader(site),
      onTracked: () => cues.push(recorder.stats.events),
    });
    await site.mkdir('/wordpress/wp-content/upgrade/playground-sync/blobs/tmp');
    for (let i = 0; i < 5; i++) site.phpWrite(`/wordpress/wp-content/upgrade/playground-sync/blobs/tmp/piece-${i}`, 'staged bytes');
    for (let i = 0; i < 6; i++) await tick();
    expect(recorder.stats.events).toBeGreaterThanOrEqual(5);
    expect(cues).toEqual([]);
    site.phpWrite('/wordpress/wp-content/uploads/pic.png', 'png v2');
    for (let i = 0; i < 6; i++) await tick();
    expect(cues.length).toBeGreaterThan(0);
  });

  it('a file moved before its read ran is read again where it went, before the batch is taken (moves travel as delete + arrival)', async () => {
    const site = new FakeSite(START);
    const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader: wholeFileReader(site) });
    site.phpWrite('/wordpress/wp-content/plugins/one/inc/a.php', 'a v2');
    site.phpRename('/wordpress/wp-content/plugins/one/inc/a.php', '/wordpress/wp-content/plugins/one/inc/b.php');
    site.phpRename('/wordpress/wp-content/plugins/one', '/wordpress/wp-content/plugins/uno');
    for (let i = 0; i < 12; i++) await tick();
    const { changes } = await recorder.takeBatch();
    expect(recorder.stats.fallbackReads).toBe(0);
    expect(changes.map((change) => (change.op === 'rename' ? `rename ${change.path} -> ${change.toPath}` : `${change.op} ${change.path}`))).toEqual([
      'delete wp-content/plugins/one/inc/a.php',
      'delete wp-content/plugins/one',
      'mkdir wp-content/plugins/uno',
      'mkdir wp-content/plugins/uno/inc',
      'write wp-content/plugins/uno/inc/b.php',
      'write wp-content/plugins/uno/one.php',
    ]);
  });
});

describe('FileRecorder: folders moved in from excluded paths', () => {
  it('lists and reads them right away, not at batch time', async () => {
    const site = new FakeSite(START);
    const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader: wholeFileReader(site) });
    site.phpMkdir('/wordpress/wp-content/upgrade/tmp');
    site.phpMkdir('/wordpress/wp-content/upgrade/tmp/plugin');
    site.phpWrite('/wordpress/wp-content/upgrade/tmp/plugin/plugin.php', 'main');
    site.phpMkdir('/wordpress/wp-content/upgrade/tmp/plugin/js');
    site.phpWrite('/wordpress/wp-content/upgrade/tmp/plugin/js/app.js', 'app');
    site.phpRename('/wordpress/wp-content/upgrade/tmp/plugin', '/wordpress/wp-content/plugins/plugin');
    for (let i = 0; i < 40 && recorder.stats.reads < 2; i++) await tick();
    expect(recorder.stats.reads).toBe(2);
    const { changes } = await recorder.takeBatch();
    expect(recorder.stats.fallbackReads).toBe(0);
    expect(changes.map((change) => `${change.op} ${change.path}`)).toEqual([
      'mkdir wp-content/plugins/plugin',
      'mkdir wp-content/plugins/plugin/js',
      'write wp-content/plugins/plugin/js/app.js',
      'write wp-content/plugins/plugin/plugin.php',
    ]);
  });
});

describe('applyFileChanges', () => {
  const write = async (path: string, text: string): Promise<FileChange> => {
    const bytes = new TextEncoder().encode(text);
    return { op: 'write', path, size: bytes.byteLength, sha256: await sha256Hex(bytes), bytes };
  };

  it('is idempotent: a delete of what is gone and a rename already done succeed', async () => {
    const peer = new FakeSite(START);
    const changes: FileChange[] = [
      { op: 'rename', path: 'wp-content/plugins/one', toPath: 'wp-content/plugins/uno', nodeType: 'directory' },
      { op: 'delete', path: 'wp-content/uploads/pic.png', nodeType: 'file' },
      { op: 'mkdir', path: 'wp-content/uploads/2026' },
    ];
    expect(await applyFileChanges(peer, changes, { root: ROOT })).toEqual({ applied: 3, failures: [] });
    const after = peer.copy();
    expect(await applyFileChanges(peer, changes, { root: ROOT })).toEqual({ applied: 3, failures: [] });
    expect(peer.copy()).toEqual(after);
  });

  it('refuses bytes that do not match their hash and paths that leave the root, and goes on', async () => {
    const peer = new FakeSite(START);
    const forged = { ...(await write('wp-content/a.txt', 'right')), bytes: new TextEncoder().encode('wrong') };
    const escaping = { op: 'mkdir', path: '../../internal' } as FileChange;
    const good = await write('wp-content/b.txt', 'fine');
    const report = await applyFileChanges(peer, [forged, escaping, good], { root: ROOT });
    expect(report.applied).toBe(1);
    expect(report.failures.map((failure) => [failure.index, failure.reason])).toEqual([
      [0, expect.stringContaining('write wp-content/a.txt (5 bytes): the bytes do not match their sha256')],
      [1, expect.stringContaining('mkdir ../../internal: Rejected file change: path: not a clean relative path')],
    ]);
    expect(peer.nodes.has('/wordpress/wp-content/a.txt')).toBe(false);
    expect(new TextDecoder().decode(peer.nodes.get('/wordpress/wp-content/b.txt') as Uint8Array)).toBe('fine');
  });

  it('says which node is in the way', async () => {
    const peer = new FakeSite(START);
    const report = await applyFileChanges(
      peer,
      [await write('wp-content/plugins/one/inc', 'file over dir'), await write('index.php/x.php', 'under a file')],
      { root: ROOT },
    );
    expect(report.failures.map((failure) => failure.reason)).toEqual([
      'write wp-content/plugins/one/inc (13 bytes): a directory is in the way at wp-content/plugins/one/inc',
      'write index.php/x.php (12 bytes): index.php is a file, not a directory',
    ]);
  });
});
