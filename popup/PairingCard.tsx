import { useState } from 'preact/hooks';
import type { Pairing } from '../src/pairing/pairings';
import { readableError } from './command-reply';
import { copyPercent, describeCopy } from './copy-progress';
import { describePending, describePhase, isStalled } from './labels';

interface PairingCardProps {
  pairing: Pairing;
  /** Display names of the two sides, in `pairing.sides` order. */
  names: [string, string];
  syncBusy: boolean;
  unpairBusy: boolean;
  onSetSync: (on: boolean) => Promise<void>;
  onUnpair: () => void;
}

export function PairingCard({ pairing, names, syncBusy, unpairBusy, onSetSync, onUnpair }: PairingCardProps) {
  // The switch follows the click at once; storage confirms (or the reply's failure reverts) it.
  const [wanted, setWanted] = useState<boolean>();
  const syncOn = wanted ?? pairing.syncOn;
  const nameOf = (tabId: number) => names[pairing.sides.findIndex((side) => side.tabId === tabId)] ?? `Tab ${tabId}`;

  const toggle = async (on: boolean) => {
    setWanted(on);
    await onSetSync(on);
    setWanted(undefined);
  };

  return (
    <li class={`card pairing pairing--${pairing.phase}`} data-testid="pairing" data-pair-id={pairing.pairId} data-phase={pairing.phase}>
      <div class="pairing__head">
        <span
          class={`status status--${pairing.phase === 'live' && !pairing.syncOn ? 'paused' : isStalled(pairing) ? 'stalled' : pairing.phase}`}
          data-testid="phase"
        >
          {describePhase(pairing)}
        </span>
        <label class="switch" title={syncOn ? 'Changes sync live; click to pause' : 'Sync is paused; click to resume'}>
          <input
            type="checkbox"
            role="switch"
            data-testid="sync-toggle"
            checked={syncOn}
            aria-checked={syncOn}
            disabled={syncBusy}
            onChange={(event) => void toggle(event.currentTarget.checked)}
          />
          <span class="switch__track" aria-hidden="true" />
          <span>Sync {syncOn ? 'on' : 'off'}</span>
        </label>
      </div>

      <div class="pairing__sides">
        {pairing.sides.map((side, index) => (
          <div class="side" key={side.tabId} data-tab-id={side.tabId}>
            <div class="side__name">{names[index]}</div>
            <div class="side__scope">{side.scope}</div>
            <div class="side__url" title={side.siteUrl}>
              {side.siteUrl}
            </div>
            <div class={`side__pending${side.pending > 0 ? ' side__pending--some' : ''}`} data-testid="pending" data-tab-id={side.tabId}>
              {describePending(side.pending)}
            </div>
            {side.problem ? (
              <div class="side__problem" data-testid="side-problem" data-tab-id={side.tabId}>
                {side.problem}
              </div>
            ) : null}
          </div>
        ))}
      </div>

      {pairing.phase === 'copying' ? (
        <div class="copy">
          {pairing.copy ? (
            <>
              <div class="copy__label" data-testid="copy-label">
                {describeCopy(pairing.copy, nameOf(pairing.copy.fromTabId), nameOf(pairing.copy.toTabId))}
              </div>
              <progress data-testid="copy-progress" max={100} value={copyPercent(pairing.copy)} />
              {pairing.copy.reason === 'restore' ? (
                <p class="hint">A tab was reloaded and lost its site; it gets the other site's content back.</p>
              ) : null}
            </>
          ) : (
            <>
              <div class="copy__label">Preparing the copy…</div>
              <progress data-testid="copy-progress" />
            </>
          )}
        </div>
      ) : null}

      {pairing.phase === 'error' ? (
        <p class="pairing__error" data-testid="pairing-error">
          {pairing.error ? readableError(pairing.error) : 'Sync stopped.'}
        </p>
      ) : null}

      <div class="pairing__actions">
        <button type="button" class="button" data-testid="unpair" disabled={unpairBusy} onClick={onUnpair}>
          {unpairBusy ? 'Unpairing…' : 'Unpair'}
        </button>
      </div>
    </li>
  );
}
