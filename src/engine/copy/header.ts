import * as v from 'valibot';
import { RelativePathSchema, type FileState } from '../../files';
import { HlcStringSchema } from '../../sync/hlc';
import { PeerIdSchema } from '../../protocol/ids';
import { WireDeltaSchema } from '../delta';
import { CopyMetaSchema, CopyRefusal, type SiteCopy } from './site-copy';

/**
 * A copy's header, the part that travels in copy envelopes: UTF-8 JSON of the meta, the
 * file list, the directories, the pack's index, what the source could not read, its file
 * versions and the deltas it kept for relaying. The bytes (database, pack) travel as blobs. Decoding checks the structure and that
 * the index fits the pack; content hashes are checked where bytes are used (each blob as it
 * arrives, each file as it is unpacked).
 */
const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a lowercase hex sha256'));
const size = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

const HeaderSchema = v.strictObject({
  meta: CopyMetaSchema,
  files: v.array(v.tuple([RelativePathSchema, size, sha256])),
  directories: v.array(RelativePathSchema),
  /** The pack's index in pack order. */
  packed: v.array(v.tuple([sha256, size])),
  unreadable: v.array(RelativePathSchema),
  /** [path, changed, removed, cleared]: see FileVersions. */
  versions: v.array(v.tuple([RelativePathSchema, HlcStringSchema, v.boolean(), v.nullable(HlcStringSchema)])),
  /** See SiteCopy.kept. */
  kept: v.array(
    v.strictObject({
      origin: PeerIdSchema,
      seq: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
      siteUrl: v.pipe(v.string(), v.maxLength(2000)),
      payload: WireDeltaSchema,
    }),
  ),
});

export function encodeCopyHeader(copy: SiteCopy): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      meta: copy.meta,
      files: [...copy.files.manifest.files].map(([path, state]) => [path, state.size, state.sha256]),
      directories: [...copy.files.manifest.directories],
      packed: copy.files.packed.map((file) => [file.sha256, file.size]),
      unreadable: copy.files.unreadable,
      versions: copy.files.versions,
      kept: copy.kept ?? [],
    }),
  );
}

/** Throws `CopyRefusal('corrupt')` with the reason when the bytes are not a well-formed copy header. */
export function decodeCopyHeader(bytes: Uint8Array): SiteCopy {
  const corrupt = (why: string) => new CopyRefusal('corrupt', `Not a valid copy: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw corrupt('header is not JSON');
  }
  const parsed = v.safeParse(HeaderSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw corrupt(`${issue.path?.map((item) => String(item.key)).join('.') ?? 'header'}: ${issue.message}`);
  }
  const header = parsed.output;
  const packBytes = header.packed.reduce((sum, [, length]) => sum + length, 0);
  if (header.meta.pack === null ? header.packed.length > 0 : header.meta.pack.size !== packBytes) {
    throw corrupt(`the pack's index holds ${packBytes} bytes, the pack ${header.meta.pack?.size ?? 'none'}`);
  }
  const files = new Map<string, FileState>(header.files.map(([path, fileSize, hash]) => [path, { size: fileSize, sha256: hash }]));
  return {
    meta: header.meta,
    files: {
      manifest: { files, directories: new Set(header.directories) },
      packed: header.packed.map(([hash, length]) => ({ sha256: hash, size: length })),
      unreadable: header.unreadable,
      versions: header.versions,
    },
    kept: header.kept,
  };
}
