/** The file half of the sync engine: record file changes on one site, apply them on the other. */
export { applyFileChanges, type ApplyFailure, type ApplyOptions, type ApplyReport, type EchoRegistry } from './applier';
export { ChangeTracker, writeOf, type FileContent, type PeerCheckpoint, type TrackedOp } from './change-tracker';
export { applyFileChangesAtomically, type FileTransaction, type UndoableEcho } from './file-transaction';
export { findDatabasePath } from './database-path';
export { ENGINE_SCRATCH_AREA, Exclusions, STATIC_EXCLUSIONS, databaseExclusions, type ExclusionRule } from './exclusions';
export {
  BlobWriteSchema,
  FileChangeBatchSchema,
  DeleteSchema,
  FileChangeSchema,
  MkdirSchema,
  RelativePathSchema,
  RenameSchema,
  Sha256Schema,
  describeChange,
  type FileChange,
  type FileChangeBatch,
  type BlobWriteChange,
  type WriteChange,
} from './file-change';
export { BLOB_CHUNK_BYTES, BLOB_STORE_AREA, BlobStore, BlobStoreError, INLINE_FILE_MAX_BYTES, type FinishResult, type StagedBlob, type StatResult, type UnpackEntry } from './blob-store';
export { SizeAwareReader, type FileContentReader, type ReadResult } from './file-content-reader';
export { buildManifest, diffManifests, listTree, type BuiltManifest, type PlannedChange } from './manifest';
export { FileRecorder, type FileRecorderOptions, type RecorderStats } from './recorder';
export { sha256Hex } from './sha256';
export type { FileState, TreeManifest } from './tree-manifest';
