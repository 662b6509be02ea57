/**
 * The database half of the sync engine: capture (triggers + DDL watcher + drain into the outbox at request end, pulled by `ChangeFeed`)
 * and transactional replay, between two real WordPress Playground sites.
 */
export { applyBatch, applyCheckedBatch, ApplyResultSchema, type ApplyBatchOptions, type ApplyConflict, type ApplyResult } from './apply-batch';
export {
  BATCH_FORMAT_VERSION,
  MAX_RENUMBERINGS_PER_BATCH,
  CellSchema,
  ChangeBatchSchema,
  RowChangeSchema,
  SchemaChangeSchema,
  type Cell,
  type ChangeBatch,
  type CheckedChangeBatch,
  type RowChange,
  type SchemaChange,
} from './batch';
export {
  CHANGES_NOTED_REPLY,
  CHANGES_READY_TYPE,
  CHANGES_SIGNAL_PATH,
  ChangeFeed,
  ChangesReadySchema,
  checkOutboxEntry,
  OutboxEntrySchema,
  PullAnswerSchema,
  parseChangesReady,
  pullChanges,
  type ChangeFeedOptions,
  type ChangesReady,
  type OutboxEntry,
  type PullOptions,
  type PullResult,
} from './change-feed';
export { ENGINE_TABLES, ENGINE_TRIGGER_PREFIX } from './engine-tables';
export { lostWithRuntime } from './engine-task';
export { installCapture, type CaptureInstallation, type InstallCaptureOptions } from './install-capture';
export { uninstallCapture, type CaptureRemoval } from './uninstall-capture';
export {
  RenumberingSchema,
  findHighIds,
  reclaimLowIds,
  renumberSite,
  type FindHighIdsOptions,
  type HighIdReport,
  type ReclaimOptions,
  type ReclaimResult,
  type Renumbering,
  type RenumberResult,
} from './renumber';
