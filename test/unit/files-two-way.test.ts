import { describe, expect, it } from 'vitest';
import { FileVersions } from '../../src/engine/file-versions';
import { fileChangesToApply } from '../../src/engine/spare-newer';
import { Exclusions } from '../../src/files/exclusions';
import type { FileChange } from '../../src/files/file-change';
import { applyFileChangesAtomically } from '../../src/files/file-transaction';
import { FileRecorder } from '../../src/files/recorder';
import { sha256Hex } from '../../src/files/sha256';
import type { FileState, TreeManifest } from '../../src/files/tree-manifest';
import { createHlcClock, decodeHlc, encodeHlc, type HlcClock } from '../../src/sync/hlc';
import { FakeSite, allSmall, wholeFileReader } from './files-fake-site';

/**
 * The file half of the engine, both ways at once, fast: two in-memory sites change the same small
 * folder concurrently (writes, file and folder moves, deletes, folders made again), their
 * batches cross in order but late, and each side applies the other's as the engine does (its own
 * settled changes out first, last writer wins per path, a folder delete sparing what is newer
 * inside it, the batch applied all or nothing). After draining, both trees must be equal.
 * The WordPress-level fuzzer (test/integration/fuzz) covers the same with real sites, far slower.
 */

const ROOT = '/wordpress';
const EXCLUSIONS = Exclusions.forSite(ROOT, '/wordpress/wp-content/database/.ht.sqlite');
const FOLDER = '/wordpress/wp-content/plugins/fuzz-files';
const FILE_NAMES = ['a.txt', 'b.txt', 'sub/d.txt', 'sub/e.bin', 'deep/x/f.txt', 'deep/y.txt', 'moved/g.txt'];
const FOLDER_NAMES = ['sub', 'deep', 'deep/x', 'moved', 'deep/moved', 'other'];

const START: Record<string, string | 'dir'> = {
  '/wordpress/wp-content': 'dir',
  '/wordpress/wp-content/database': 'dir',
  '/wordpress/wp-content/database/.ht.sqlite': 'db',
  '/wordpress/wp-content/upgrade': 'dir',
  '/wordpress/wp-content/plugins': 'dir',
  [FOLDER]: 'dir',
  [`${FOLDER}/sub`]: 'dir',
  [`${FOLDER}/sub/d.txt`]: 'd',
};

interface Delta {
  readonly files: readonly FileChange[];
  readonly hlc: string;
}

interface Side {
  readonly name: string;
  readonly site: FakeSite;
  readonly recorder: FileRecorder;
  readonly versions: FileVersions;
  readonly clock: HlcClock;
  /** The other side's deltas, not delivered yet, in order. */
  readonly inbox: Delta[];
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function randomGenerator(seed: number): () => number {
  let state = seed * 2654435761 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

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

async function startSide(name: string, wallClock: () => number): Promise<Side> {
  const site = new FakeSite(START);
  const recorder = await FileRecorder.start(site, { root: ROOT, exclusions: EXCLUSIONS, start: await manifestOfSite(site), reader: wholeFileReader(site) });
  return { name, site, recorder, versions: new FileVersions(), clock: createHlcClock(name, { wallClock }), inbox: [] };
}

/** What this side recorded goes out as one delta, stamped now. */
async function send(from: Side, to: Side): Promise<void> {
  await tick(); // the request ended: its journal reports are all delivered
  const { changes } = await from.recorder.takeBatch();
  if (changes.length === 0) return;
  const hlc = encodeHlc(from.clock.now());
  from.versions.record(changes, hlc);
  to.inbox.push({ files: changes, hlc });
}

/** Applies the oldest delta waiting for `to`, as the engine's `applyOne` does with its files. */
async function deliverOne(to: Side, from: Side): Promise<void> {
  const delta = to.inbox.shift();
  if (!delta) return;
  to.clock.receive(decodeHlc(delta.hlc)!);
  await send(to, from); // local changes still settling go out first, stamped after this delta
  const { apply, record } = await fileChangesToApply(delta.files, delta.hlc, to.versions, { client: to.site, root: ROOT, exclusions: EXCLUSIONS });
  const transaction = await applyFileChangesAtomically(to.site, apply, { root: ROOT, echo: to.recorder, statFiles: allSmall });
  expect(transaction.report.failures, `${to.name} applying ${JSON.stringify(apply.map(describeChange))}`).toEqual([]);
  await transaction.commit();
  to.versions.record(record, delta.hlc);
  await tick();
}

function describeChange(change: FileChange): string {
  return change.op === 'rename' ? `${change.op} ${change.path} → ${change.toPath}` : `${change.op} ${change.path}`;
}

/** One PHP-like operation in the shared folder; failures (PHP warnings) are ignored. */
function randomOperation(site: FakeSite, random: () => number, counter: { next: number }): void {
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const under = (absolute: string) => absolute.startsWith(`${FOLDER}/`);
  const folders = site.directories().filter(under);
  const files = site.files().filter(under);
  const mkdirs = (dir: string) => {
    const missing: string[] = [];
    for (let at = dir; !site.nodes.has(at); at = at.slice(0, at.lastIndexOf('/'))) missing.unshift(at);
    for (const path of missing) site.phpMkdir(path);
  };
  try {
    const roll = random();
    if (roll < 0.35) {
      const path = `${FOLDER}/${pick(FILE_NAMES)!}`;
      mkdirs(path.slice(0, path.lastIndexOf('/')));
      site.phpWrite(path, `v${counter.next++}`);
    } else if (roll < 0.5) {
      const from = pick(files);
      const to = `${FOLDER}/${pick(FILE_NAMES)!}`;
      if (from && from !== to && site.nodes.get(to) !== 'dir') {
        mkdirs(to.slice(0, to.lastIndexOf('/')));
        site.phpRename(from, to);
      }
    } else if (roll < 0.6) {
      const file = pick(files);
      if (file) site.phpUnlink(file);
    } else if (roll < 0.85) {
      const from = pick(folders);
      const to = `${FOLDER}/${pick(FOLDER_NAMES)!}`;
      if (from && !site.nodes.has(to) && !`${to}/`.startsWith(`${from}/`)) {
        mkdirs(to.slice(0, to.lastIndexOf('/')));
        site.phpRename(from, to);
      }
    } else if (roll < 0.9) {
      const doomed = pick(folders);
      if (doomed) site.phpDeleteTree(doomed);
    } else if (roll < 0.94) {
      // A plugin update's way: the folder moved out to an excluded place, and a new one moved in.
      const folder = pick(folders);
      const staging = `/wordpress/wp-content/upgrade/u${counter.next++}`;
      if (folder) {
        site.phpRename(folder, staging);
        site.phpWrite(`${staging}/${pick(['a.txt', 'new.txt'])!}`, `v${counter.next++}`);
        site.phpRename(staging, folder);
      }
    } else {
      mkdirs(`${FOLDER}/${pick(FOLDER_NAMES)!}`);
    }
  } catch {
    // a failed operation, as PHP would warn about
  }
}

const syncedFiles = (site: FakeSite) => site.copy().filter(([path, text]) => path.startsWith(`${FOLDER}/`) && text !== '<dir>');

describe('file sync both ways at once (folder moves, writes and deletes on both sides)', () => {
  // PG_SYNC_TWO_WAY_SEEDS=20000 for a long run.
  const seeds = Number(process.env.PG_SYNC_TWO_WAY_SEEDS ?? 60);
  it.concurrent.each(Array.from({ length: seeds }, (_, seed) => seed + 1))('converges (seed %i)', async (seed) => {
    const random = randomGenerator(seed);
    let wall = 1_000_000;
    // Each side's wall clock runs a little ahead of or behind the other's.
    const skew = Math.floor(random() * 7) - 3;
    const a = await startSide('peer-a', () => wall);
    const b = await startSide('peer-b', () => wall + skew);
    const counter = { next: 0 };
    for (let step = 0; step < 60; step++) {
      wall += 1 + Math.floor(random() * 3);
      const [side, other] = random() < 0.5 ? [a, b] : [b, a];
      const roll = random();
      if (roll < 0.6) randomOperation(side.site, random, counter);
      else if (roll < 0.8) await send(side, other);
      else for (let n = 1 + Math.floor(random() * 2); n > 0; n--) await deliverOne(side, other);
    }
    for (let round = 0; round < 20 && (a.inbox.length > 0 || b.inbox.length > 0 || round === 0); round++) {
      wall += 1;
      await send(a, b);
      await send(b, a);
      while (a.inbox.length > 0 || b.inbox.length > 0) {
        await deliverOne(a, b);
        await deliverOne(b, a);
      }
      await send(a, b);
      await send(b, a);
    }
    expect(a.inbox.length + b.inbox.length).toBe(0);
    expect(syncedFiles(b.site)).toEqual(syncedFiles(a.site));
    await a.recorder.stop();
    await b.recorder.stop();
  });
});
