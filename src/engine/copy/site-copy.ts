import * as v from 'valibot';
import type { TreeManifest } from '../../files';
import { HlcStringSchema } from '../../sync/hlc';
import { PeerIdSchema } from '../../protocol/ids';
import type { WireDelta } from '../delta';
import type { FileVersionEntry } from '../file-versions';

/** 4: the header carries the deltas its source kept for relaying (3: the source's file versions). */
export const COPY_FORMAT_VERSION = 4;

const counter = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a lowercase hex sha256'));
const BlobSchema = v.strictObject({ size: counter, sha256 });

/**
 * What a copy says about its source: enough for a target to refuse it before receiving the
 * bytes (versions) and to become the source's peer after installing it (URL, peer, sequence).
 * Travels as the `meta` of `copy-begin`, so it stays small: the file list is in the header.
 * The bytes are two blobs the target pulls from the source's blob store: the database file and
 * the pack of the shipped files.
 */
export const CopyMetaSchema = v.strictObject({
  format: v.literal(COPY_FORMAT_VERSION),
  /** `$wp_version`: the target must run exactly this. */
  wordpressVersion: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  /** `PHP_VERSION`: the target must run the same major.minor. */
  phpVersion: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  /** The SQLite driver class: an AST-driver database is not a legacy-driver one. */
  databaseDriver: v.pipe(v.string(), v.maxLength(200)),
  sqliteDriverVersion: v.nullable(v.pipe(v.string(), v.maxLength(100))),
  /** The source's site URL, no trailing slash: rewritten to the target's in every string cell. */
  siteUrl: v.pipe(v.string(), v.maxLength(500), v.url(), v.regex(/^https?:\/\/.*[^/]$/, 'an http(s) URL without trailing slash')),
  /** The source's peer id, when capture runs there: the target's cursor for it is `lastBatchSeq`. */
  sourcePeerId: v.nullable(PeerIdSchema),
  /** The source's database file relative to its document root (informational: the target keeps its own). */
  dbPathRelative: v.nullable(v.pipe(v.string(), v.maxLength(1000))),
  /** The source's last drained batch: every change up to it is in the copy. */
  lastBatchSeq: counter,
  /** The source's clock when the copy was taken. */
  hlc: v.nullable(HlcStringSchema),
  /** Wall-clock milliseconds at capture. */
  capturedAt: counter,
  database: BlobSchema,
  /** The shipped files' bytes one after another (see `CopyFiles.packed`); null when none are shipped. */
  pack: v.nullable(BlobSchema),
  /** How many files the manifest lists and how many of them carry bytes. */
  fileCount: counter,
  shippedFileCount: counter,
});
export type CopyMeta = v.InferOutput<typeof CopyMetaSchema>;

/** One file's bytes in the pack. */
export interface PackedFile {
  readonly sha256: string;
  readonly size: number;
}

export interface CopyFiles {
  /** The source's synced tree (relative paths, exclusions left out). */
  readonly manifest: TreeManifest;
  /**
   * The pack's index, in pack order, each sha256 once: every file of the manifest, or only those
   * the target was known to lack (see `captureCopy`'s `targetFiles`).
   */
  readonly packed: readonly PackedFile[];
  /** Paths the source could not list or read: the target keeps whatever it has there. */
  readonly unreadable: readonly string[];
  /**
   * The source's file versions when it was copied (`FileVersions`): the target judges the changes
   * that come after the copy by them, as the source does.
   */
  readonly versions: readonly FileVersionEntry[];
}

/** A delta of a group member's (`origin`) that the copy holds, as its origin sent it. */
export interface HandedOverDelta {
  readonly origin: string;
  readonly seq: number;
  readonly siteUrl: string;
  readonly payload: WireDelta;
}

/**
 * One site's full state: its description and file list; the bytes (database file, pack) are
 * blobs named in `meta`, in the source's blob store and, once pulled, in the target's.
 */
export interface SiteCopy {
  readonly meta: CopyMeta;
  readonly files: CopyFiles;
  /**
   * In a group, the deltas of the members (the target's own old ones too) the copy holds that its
   * source kept for relaying, since some member may lack them: the target keeps them in its turn.
   */
  readonly kept?: readonly HandedOverDelta[];
}

/** The blobs that hold a copy's bytes: the database file, then the pack (if any). */
export function copyBlobs(meta: CopyMeta): PackedFile[] {
  return meta.pack === null ? [meta.database] : [meta.database, meta.pack];
}

/** A copy refused before anything was changed; `code` says why, `message` in words. */
export class CopyRefusal extends Error {
  override readonly name = 'CopyRefusal';
  constructor(
    readonly code: 'driver-mismatch' | 'missing-bytes' | 'corrupt' | 'transfer',
    message: string,
  ) {
    super(message);
  }
}
