import * as v from 'valibot';

/**
 * A path relative to the synced root (`/wordpress`), e.g. `wp-content/plugins/demo/demo.php`.
 * Relative so two sites with different roots can still pair, and strict so a forged batch can
 * never reach outside the root (`..`, absolute paths, empty or `.` segments, NUL, backslashes).
 */
export const RelativePathSchema = v.pipe(
  v.string(),
  v.minLength(1, 'empty path'),
  v.maxLength(4096, 'path longer than 4096 characters'),
  v.check(
    (path) => !path.includes('\0') && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
    'not a clean relative path (no leading or trailing slash, no empty, "." or ".." segment, NUL or backslash)',
  ),
);

const NodeTypeSchema = v.picklist(['file', 'directory']);
export const Sha256Schema = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a lowercase hex sha256'));

export const MkdirSchema = v.strictObject({ op: v.literal('mkdir'), path: RelativePathSchema });

const writeFields = {
  op: v.literal('write'),
  path: RelativePathSchema,
  size: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  sha256: Sha256Schema,
};

/**
 * The whole content of a file, as it was when its write was recorded. Replaces what is there.
 * Small files carry their `bytes`; a big one is a `blob`: its bytes wait in the sending site's
 * blob store under its sha256, and the receiver pulls them before applying (blob-transfer.ts).
 */
/** A write whose bytes wait in the sender's blob store: the same on the wire as in memory. */
export const BlobWriteSchema = v.strictObject({ ...writeFields, blob: v.literal(true) });

const WriteSchema = v.variant('blob', [
  v.pipe(
    v.strictObject({
      ...writeFields,
      blob: v.optional(v.never()),
      bytes: v.custom<Uint8Array>((input) => input instanceof Uint8Array, 'bytes must be a Uint8Array'),
    }),
    v.check((change) => change.bytes.byteLength === change.size, 'size does not match the number of bytes'),
  ),
  BlobWriteSchema,
]);

/** Removes a file, or a directory with everything in it. */
export const DeleteSchema = v.strictObject({ op: v.literal('delete'), path: RelativePathSchema, nodeType: NodeTypeSchema });

export const RenameSchema = v.strictObject({
  op: v.literal('rename'),
  path: RelativePathSchema,
  toPath: RelativePathSchema,
  nodeType: NodeTypeSchema,
});

export const FileChangeSchema = v.variant('op', [MkdirSchema, WriteSchema, DeleteSchema, RenameSchema]);

/**
 * Changes to apply in order: structural ones (mkdir, rename, delete) in the order they happened,
 * then the writes, each carrying the file's final bytes.
 */
export const FileChangeBatchSchema = v.strictObject({ changes: v.array(FileChangeSchema) });

export type FileChange = v.InferOutput<typeof FileChangeSchema>;
export type FileChangeBatch = v.InferOutput<typeof FileChangeBatchSchema>;
export type WriteChange = Extract<FileChange, { op: 'write' }>;
export type BlobWriteChange = Extract<WriteChange, { blob: true }>;
export type NodeType = v.InferOutput<typeof NodeTypeSchema>;

/** One line for logs and error reports. */
export function describeChange(change: FileChange): string {
  switch (change.op) {
    case 'mkdir':
      return `mkdir ${change.path}`;
    case 'write':
      return `write ${change.path} (${change.size} bytes${change.blob ? ', as a blob' : ''})`;
    case 'delete':
      return `delete ${change.nodeType} ${change.path}`;
    case 'rename':
      return `rename ${change.nodeType} ${change.path} → ${change.toPath}`;
  }
}
