/**
 * Full-state copy: bring a site to its peer's state in one step (database file and synced
 * files), for pairing two sites that already differ and for a peer that lost its state.
 */
export { captureSnapshot, type CaptureSnapshotOptions } from './capture';
export { planFileChanges } from './file-plan';
export { refusalFor } from './compatibility';
export { decodeSnapshotHeader, encodeSnapshotHeader } from './header';
export { installSnapshot, type InstallSnapshotOptions, type SnapshotInstallation } from './install';
export { readSiteFacts, type SiteFacts } from './site-facts';
export {
  SNAPSHOT_FORMAT_VERSION,
  SnapshotMetaSchema,
  SnapshotRefusal,
  snapshotBlobs,
  type PackedFile,
  type SiteSnapshot,
  type SnapshotFiles,
  type SnapshotMeta,
} from './snapshot';
export { fileHashes, readSyncedTree, siteFileHashes, type SyncedTree } from './synced-tree';
export {
  MAX_SNAPSHOT_BYTES,
  SnapshotReassembler,
  snapshotToEnvelopes,
  type EnvelopeHeader,
  type SnapshotBegin,
  type SnapshotChunk,
  type SnapshotEnd,
  type SnapshotEnvelope,
  type SnapshotTransferOptions,
} from './transfer';
