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

/** True when a live pairing does not flow: a side reported a problem (its engine files lost, a change it cannot apply). */
export const isStalled = (pairing: Pick<Pairing, 'phase' | 'syncOn' | 'sides'>) =>
  pairing.phase === 'live' && pairing.syncOn && pairing.sides.some((side) => side.problem !== undefined);

export const describePhase = (pairing: Pick<Pairing, 'phase' | 'syncOn' | 'sides'>) =>
  pairing.phase === 'live' ? (!pairing.syncOn ? 'Paused' : isStalled(pairing) ? 'Stalled' : 'Live') : PHASE_LABELS[pairing.phase];

export function describePending(pending: number): string {
  if (pending <= 0) return 'Up to date';
  return `${pending} change${pending === 1 ? '' : 's'} pending`;
}
