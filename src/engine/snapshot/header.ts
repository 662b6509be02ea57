import * as v from 'valibot';
import { RelativePathSchema, type FileState } from '../../files';
import { SnapshotMetaSchema, SnapshotRefusal, type SiteSnapshot } from './snapshot';

/**
 * A snapshot as one byte string, for transfer: magic, header length (uint32 BE), header JSON
 * (meta, file list, directories, blob order), the database bytes, then the shipped file blobs
 * one after another. Decoding checks the structure; content hashes are checked where bytes are
 * used (database before install, each file as it is written).
 */
const MAGIC = new TextEncoder().encode('PGSNAP01');

const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a lowercase hex sha256'));
const size = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

const HeaderSchema = v.strictObject({
  meta: SnapshotMetaSchema,
  files: v.array(v.tuple([RelativePathSchema, size, sha256])),
  directories: v.array(RelativePathSchema),
  /** Shipped blobs in stream order. */
  blobs: v.array(v.tuple([sha256, size])),
  unreadable: v.array(RelativePathSchema),
});

export function encodeSnapshot(snapshot: SiteSnapshot): Uint8Array {
  const blobs = [...snapshot.files.contents].map(([hash, bytes]): [string, number] => [hash, bytes.byteLength]);
  const header = new TextEncoder().encode(
    JSON.stringify({
      meta: snapshot.meta,
      files: [...snapshot.files.manifest.files].map(([path, state]) => [path, state.size, state.sha256]),
      directories: [...snapshot.files.manifest.directories],
      blobs,
      unreadable: snapshot.files.unreadable,
    }),
  );
  const total =
    MAGIC.length + 4 + header.length + snapshot.database.byteLength + blobs.reduce((sum, [, length]) => sum + length, 0);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length);
  let at = MAGIC.length + 4;
  out.set(header, at);
  at += header.length;
  out.set(snapshot.database, at);
  at += snapshot.database.byteLength;
  for (const bytes of snapshot.files.contents.values()) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

/** Throws `SnapshotRefusal('corrupt')` with the reason when the bytes are not a well-formed snapshot. */
export function decodeSnapshot(bytes: Uint8Array): SiteSnapshot {
  const corrupt = (why: string) => new SnapshotRefusal('corrupt', `Not a valid snapshot: ${why}`);
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((byte, index) => bytes[index] !== byte)) throw corrupt('wrong magic');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length);
  let at = MAGIC.length + 4;
  if (at + headerLength > bytes.length) throw corrupt('header runs past the end');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + headerLength)));
  } catch {
    throw corrupt('header is not JSON');
  }
  const parsed = v.safeParse(HeaderSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw corrupt(`${issue.path?.map((item) => String(item.key)).join('.') ?? 'header'}: ${issue.message}`);
  }
  const header = parsed.output;
  at += headerLength;
  const expected = header.meta.database.size + header.blobs.reduce((sum, [, length]) => sum + length, 0);
  if (bytes.length - at !== expected) throw corrupt(`expected ${expected} payload bytes, found ${bytes.length - at}`);
  const database = bytes.slice(at, at + header.meta.database.size);
  at += header.meta.database.size;
  const contents = new Map<string, Uint8Array>();
  for (const [hash, length] of header.blobs) {
    contents.set(hash, bytes.slice(at, at + length));
    at += length;
  }
  const files = new Map<string, FileState>(header.files.map(([path, fileSize, hash]) => [path, { size: fileSize, sha256: hash }]));
  return {
    meta: header.meta,
    database,
    files: { manifest: { files, directories: new Set(header.directories) }, contents, unreadable: header.unreadable },
  };
}
