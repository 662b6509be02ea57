/** The file half of the sync engine: record file changes on one site, apply them on the other. */
export { applyFileChanges, type ApplyFailure, type ApplyOptions, type ApplyReport, type EchoRegistry } from './applier';
export { ChangeTracker, type PeerCheckpoint, type TrackedOp } from './change-tracker';
export { applyFileChangesAtomically, type FileTransaction, type UndoableEcho } from './file-transaction';
export { findDatabasePath } from './database-path';
export { ENGINE_SCRATCH_AREA, Exclusions, STATIC_EXCLUSIONS, databaseExclusions, type ExclusionRule } from './exclusions';
export {
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
  type WriteChange,
} from './file-change';
export { buildManifest, diffManifests, listTree, type BuiltManifest, type PlannedChange } from './manifest';
export { FileRecorder, type FileRecorderOptions, type RecorderStats } from './recorder';
export { sha256Hex } from './sha256';
export type { FileState, TreeManifest } from './tree-manifest';
