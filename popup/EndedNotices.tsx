import type { EndedPairings } from '../src/pairing/pairings';

interface EndedNoticesProps {
  ended: EndedPairings;
  onDismiss: (pairId: string) => void;
}

/** Pairings that ended without the user asking, and why: shown until dismissed or the tabs are paired again. */
export function EndedNotices({ ended, onDismiss }: EndedNoticesProps) {
  if (ended.length === 0) return null;
  return (
    <ul class="ended" data-testid="ended-pairings">
      {[...ended].reverse().map((notice) => (
        <li key={notice.pairId} class="line line--warn" role="status" data-testid="ended-pairing" data-pair-id={notice.pairId}>
          <span class="line__text">
            <strong>Pairing ended.</strong> <span data-testid="ended-reason">{notice.reason}</span>
          </span>
          <button type="button" class="line__close" aria-label="Dismiss this notice" title="Dismiss" onClick={() => onDismiss(notice.pairId)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
