import * as v from 'valibot';
import { ChangeBatchSchema, type CheckedChangeBatch } from '../db';
import {
  BlobWriteSchema,
  DeleteSchema,
  FileChangeSchema,
  MkdirSchema,
  RelativePathSchema,
  RenameSchema,
  Sha256Schema,
  type BlobWriteChange,
  type FileChange,
} from '../files';
import { PeerIdSchema } from '../protocol/ids';
import { HlcStringSchema } from '../sync/hlc';
import { base64ToBytes, bytesToBase64 } from '../platform/base64';

/**
 * What one `delta` envelope carries: the file changes and the database batch of one stretch of
 * work on the sending site. Files are applied first, so a plugin's code is in place before the
 * option that activates it.
 */
export interface Delta {
  files: FileChange[];
  db: CheckedChangeBatch | null;
  /** The sender's clock when it took the changes: the version of every file change in it. */
  hlc: string;
}

/** The delta as it crosses JSON-only transports: a small file's bytes as base64, a big one as a blob the receiver pulls. */
const WireWriteSchema = v.variant('blob', [
  v.strictObject({
    op: v.literal('write'),
    path: RelativePathSchema,
    size: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    sha256: Sha256Schema,
    blob: v.optional(v.never()),
    base64: v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')),
  }),
  BlobWriteSchema,
]);
/** The same strict shapes as `FileChangeSchema`, checked where the envelope comes in. */
const WireFileChangeSchema = v.variant('op', [MkdirSchema, WireWriteSchema, DeleteSchema, RenameSchema]);

export const WireDeltaSchema = v.pipe(
  v.strictObject({
  files: v.array(WireFileChangeSchema),
  db: v.nullable(ChangeBatchSchema),
  hlc: HlcStringSchema,
  /**
   * In a group, the deltas of the other members its origin had applied when it sent it, by
   * member: it may build on them (a row of a table another member's delta created). A member
   * that fails to apply it while it lacks some of them waits for them, and tries again.
   */
  deps: v.optional(v.record(PeerIdSchema, v.pipe(v.number(), v.safeInteger(), v.minValue(0)))),
  }),
  // The numberer's renumberings (a batch of their own, `ChangeBatch.renumber`) go alone: they apply in one transaction of their own.
  v.check((delta) => delta.db?.renumber === undefined || delta.files.length === 0, 'a renumbering delta carries nothing else'),
);
export type WireDelta = v.InferOutput<typeof WireDeltaSchema>;

export function encodeDelta(delta: Delta): WireDelta {
  return {
    db: delta.db,
    hlc: delta.hlc,
    files: delta.files.map((change) =>
      change.op === 'write' && !change.blob
        ? { op: 'write', path: change.path, size: change.size, sha256: change.sha256, base64: bytesToBase64(change.bytes) }
        : change,
    ),
  };
}

/** Turns a validated wire delta back into changes, each checked against the file schema. */
export function decodeDelta(wire: WireDelta): { ok: true; delta: Delta } | { ok: false; error: string } {
  const files: FileChange[] = [];
  for (const change of wire.files) {
    const inline = change.op === 'write' && !change.blob;
    const candidate = inline ? { ...change, base64: undefined, bytes: base64ToBytes(String(change.base64)) } : change;
    if (inline) delete (candidate as { base64?: unknown }).base64;
    const parsed = v.safeParse(FileChangeSchema, candidate);
    if (!parsed.success) return { ok: false, error: `Rejected file change: ${parsed.issues[0].message}` };
    files.push(parsed.output);
  }
  return { ok: true, delta: { files, db: wire.db, hlc: wire.hlc } };
}

/** The writes of a wire delta whose bytes travel as blobs. */
export function blobWritesOf(wire: WireDelta): BlobWriteChange[] {
  return wire.files.filter((change): change is BlobWriteChange => change.op === 'write' && change.blob === true);
}

export function isEmptyDelta(delta: Delta): boolean {
  return (
    delta.files.length === 0 &&
    (delta.db === null || (delta.db.rows.length === 0 && delta.db.ddl.length === 0 && delta.db.renumber === undefined))
  );
}
