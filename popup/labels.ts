import type { StorageKind } from '../src/protocol/site';
import type { TabStatus } from '../src/registry/tab-registry';
import type { Pairing, PairingPhase } from '../src/pairing/pairings';

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

const PHASE_LABELS: Record<PairingPhase, string> = { copying: 'Copying', live: 'Live', error: 'Error' };

export const describeTabStatus = (status: TabStatus) => STATUS_LABELS[status];
export const describeStorage = (storage: StorageKind) => STORAGE_LABELS[storage];

export const describePhase = (pairing: Pick<Pairing, 'phase' | 'syncOn'>) =>
  pairing.phase === 'live' ? (pairing.syncOn ? 'Live' : 'Paused') : PHASE_LABELS[pairing.phase];

export function describePending(pending: number): string {
  if (pending <= 0) return 'Up to date';
  return `${pending} change${pending === 1 ? '' : 's'} pending`;
}
