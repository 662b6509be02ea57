import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import {
  PROJECT_ROOT,
  artifactFingerprint,
  type SqliteDriverId,
  type WordPressVersionId,
} from './artifacts';
import type { WordPressSnapshot } from './snapshot';

/**
 * Where installed-site snapshots are kept: in memory for this process, and on disk under
 * `.cache/node-sites/` (git-ignored) so later test files and runs skip the installer too.
 *
 * The disk file name carries a fingerprint of everything the installed site depends on (both
 * archives' sha256, the boot packages' versions, the PHP version, this format's version), so a
 * changed input can never load a stale snapshot. A file that does not parse is deleted and
 * ignored. `PG_SYNC_SNAPSHOT_CACHE=off` turns the disk cache off.
 */

const FORMAT_VERSION = 1;
const MAGIC = 'PGSNAP01';
const CACHE_DIR = path.join(PROJECT_ROOT, '.cache', 'node-sites');

const memory = new Map<string, WordPressSnapshot>();

function memoryKey(wp: WordPressVersionId, driver: SqliteDriverId): string {
  return `${wp}/${driver}`;
}

function diskCacheEnabled(): boolean {
  return process.env['PG_SYNC_SNAPSHOT_CACHE'] !== 'off';
}

async function cacheFile(wp: WordPressVersionId, driver: SqliteDriverId): Promise<string> {
  return path.join(CACHE_DIR, `wp-${wp}-${driver}-${await artifactFingerprint(wp, driver, FORMAT_VERSION)}.snapshot`);
}

const HeaderSchema = v.strictObject({
  wp: v.picklist(['6.5', 'nightly']),
  driver: v.picklist(['ast', 'legacy']),
  siteUrl: v.string(),
  directories: v.array(v.string()),
  files: v.array(v.tuple([v.string(), v.number()])),
});

function encode(snapshot: WordPressSnapshot): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      wp: snapshot.wp,
      driver: snapshot.driver,
      siteUrl: snapshot.siteUrl,
      directories: snapshot.directories,
      files: [...snapshot.files].map(([file, bytes]) => [file, bytes.length]),
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from(MAGIC), length, header, ...snapshot.files.values()]);
}

function decode(data: Buffer): WordPressSnapshot {
  if (data.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error('not a snapshot file');
  const headerLength = data.readUInt32LE(MAGIC.length);
  let offset = MAGIC.length + 4;
  const header = v.parse(HeaderSchema, JSON.parse(data.subarray(offset, offset + headerLength).toString()));
  offset += headerLength;
  const files = new Map<string, Uint8Array>();
  for (const [file, size] of header.files) {
    if (offset + size > data.length) throw new Error('truncated snapshot file');
    files.set(file, new Uint8Array(data.subarray(offset, offset + size)));
    offset += size;
  }
  if (offset !== data.length) throw new Error('trailing bytes in snapshot file');
  return { wp: header.wp, driver: header.driver, siteUrl: header.siteUrl, directories: header.directories, files };
}

export type SnapshotSource = 'memory-snapshot' | 'disk-snapshot';

export async function findSnapshot(
  wp: WordPressVersionId,
  driver: SqliteDriverId,
): Promise<{ snapshot: WordPressSnapshot; source: SnapshotSource } | null> {
  const cached = memory.get(memoryKey(wp, driver));
  if (cached) return { snapshot: cached, source: 'memory-snapshot' };
  if (!diskCacheEnabled()) return null;
  const file = await cacheFile(wp, driver);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return null;
  }
  try {
    const snapshot = decode(data);
    if (snapshot.wp !== wp || snapshot.driver !== driver) throw new Error('snapshot for another site kind');
    memory.set(memoryKey(wp, driver), snapshot);
    return { snapshot, source: 'disk-snapshot' };
  } catch {
    await rm(file, { force: true });
    return null;
  }
}

/** Keeps the snapshot in memory and, best effort, on disk (written atomically). */
export async function rememberSnapshot(snapshot: WordPressSnapshot): Promise<void> {
  memory.set(memoryKey(snapshot.wp, snapshot.driver), snapshot);
  if (!diskCacheEnabled()) return;
  const file = await cacheFile(snapshot.wp, snapshot.driver);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(CACHE_DIR, { recursive: true });
    await writeFile(temporary, encode(snapshot));
    await rename(temporary, file);
    // Snapshots of the same site kind made from other inputs can never be used again.
    const prefix = `wp-${snapshot.wp}-${snapshot.driver}-`;
    for (const name of await readdir(CACHE_DIR)) {
      if (name.startsWith(prefix) && name.endsWith('.snapshot') && name !== path.basename(file)) {
        await rm(path.join(CACHE_DIR, name), { force: true });
      }
    }
  } catch (error) {
    await rm(temporary, { force: true });
    console.warn(`Playground Sync harness: could not cache the snapshot on disk (${String(error)})`);
  }
}

/** Forgets in-memory snapshots (tests of the install path). The disk cache is left alone. */
export function forgetSnapshotsInMemory(): void {
  memory.clear();
}
