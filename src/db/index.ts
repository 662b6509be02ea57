/**
 * The database half of the sync engine: capture (triggers + DDL watcher + drain at request end)
 * and transactional replay, between two real WordPress Playground sites.
 */
export { applyBatch, applyCheckedBatch, ApplyResultSchema, type ApplyBatchOptions, type ApplyConflict, type ApplyResult } from './apply-batch';
export {
  BATCH_FORMAT_VERSION,
  CHANGES_MESSAGE_TYPE,
  CHANGES_STORED_REPLY,
  CellSchema,
  ChangeBatchSchema,
  RowChangeSchema,
  SchemaChangeSchema,
  parseChangesMessage,
  type Cell,
  type ChangeBatch,
  type CheckedChangeBatch,
  type RowChange,
  type SchemaChange,
} from './batch';
export { drainNow } from './drain-now';
export { ENGINE_TABLES, ENGINE_TRIGGER_PREFIX } from './engine-tables';
export { EngineTaskError } from './engine-task';
export { installCapture, type CaptureInstallation, type InstallCaptureOptions } from './install-capture';
export { uninstallCapture, type CaptureRemoval } from './uninstall-capture';
