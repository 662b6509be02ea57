import type { StorageKind } from '../src/protocol/site';
import type { TabStatus } from '../src/registry/tab-registry';

const STATUS_LABELS: Record<TabStatus, string> = {
  connecting: 'Loading',
  waiting: 'Booting',
  ready: 'Ready',
  error: 'Error',
};

const STORAGE_LABELS: Record<StorageKind, string> = {
  temporary: 'Temporary (lost on reload)',
  opfs: 'Saved in this browser',
  'local-fs': 'Saved to a local folder',
  unknown: 'Unknown',
};

export const describeTabStatus = (status: TabStatus) => STATUS_LABELS[status];
export const describeStorage = (storage: StorageKind) => STORAGE_LABELS[storage];
