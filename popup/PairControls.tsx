import type { PairCheck } from './pair-selection';

interface PairControlsProps {
  check: PairCheck;
  busy: boolean;
  /** Another question (which site to keep) is open. */
  blocked: boolean;
  onPair: (tabIds: number[]) => void;
}

export function PairControls({ check, busy, blocked, onPair }: PairControlsProps) {
  return (
    <div class="pair-controls">
      <button
        type="button"
        class="button button--primary"
        data-testid="pair"
        disabled={!check.ok || busy || blocked}
        onClick={() => check.ok && onPair(check.tabIds)}
      >
        {busy ? 'Pairing…' : check.ok && check.tabIds.length > 2 ? `Sync ${check.tabIds.length} tabs` : 'Pair'}
      </button>
      {check.ok ? null : (
        <p class={`pair-controls__reason${check.why === 'refused' ? ' pair-controls__reason--refused' : ''}`} data-testid="pair-reason">
          {check.reason}
        </p>
      )}
    </div>
  );
}
