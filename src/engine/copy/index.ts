/**
 * Full-state copy: bring a site to its peer's state in one step (database file and synced
 * files), for pairing two sites that already differ and for a peer that lost its state.
 */
export { captureCopy, type CaptureCopyOptions } from './capture';
export { planFileChanges } from './file-plan';
export { refusalFor } from './compatibility';
export { decodeCopyHeader, encodeCopyHeader } from './header';
export { installCopy, type InstallCopyOptions, type CopyInstallation } from './install';
export { readSiteFacts, type SiteFacts } from './site-facts';
export {
  COPY_FORMAT_VERSION,
  CopyMetaSchema,
  CopyRefusal,
  copyBlobs,
  type PackedFile,
  type SiteCopy,
  type HandedOverDelta,
  type CopyFiles,
  type CopyMeta,
} from './site-copy';
export { fileHashes, readSyncedTree, siteFileHashes, type SyncedTree } from './synced-tree';
export {
  MAX_COPY_HEADER_BYTES,
  CopyReassembler,
  copyToEnvelopes,
  type EnvelopeHeader,
  type CopyBegin,
  type CopyChunk,
  type CopyEnd,
  type CopyEnvelope,
  type CopyTransferOptions,
} from './transfer';
