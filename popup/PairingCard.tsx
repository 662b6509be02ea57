import { useState } from 'preact/hooks';
import type { Pairing, PairedSide } from '../src/pairing/pairings';
import { readableError } from './command-reply';
import { copyPercent, describeCopyAmount } from './copy-progress';
import { describeAgo, describePending, describePhase, inSiteNames, isStalled } from './labels';
import { SyncSwitch } from './SyncSwitch';

interface PairingCardProps {
  pairing: Pairing;
  /** Display names of the two sides, in `pairing.sides` order. */
  names: [string, string];
  /** When a change last crossed between the two sites, if one has. */
  lastChange: number | undefined;
  now: number;
  syncBusy: boolean;
  unpairBusy: boolean;
  /** Both tabs are still open and ready: the pairing can be made again after an error. */
  canPairAgain: boolean;
  /** The site URL each side's tab reports now (another one after a reload), to name it in errors. */
  currentUrls: [string | undefined, string | undefined];
  onSetSync: (on: boolean) => Promise<void>;
  onUnpair: () => void;
  onPairAgain: () => void;
  onGoToTab: (tabId: number) => void;
}

/**
 * One pairing, status first: "Lively River ⇄ Daring Lagoon" with its switch, then how it is
 * (Live · last change 5 s ago; a copy's progress; an error with the action that fixes it), then
 * one line per side.
 */
export function PairingCard(props: PairingCardProps) {
  const { pairing, names, syncBusy, unpairBusy, onSetSync, onUnpair } = props;
  // The switch follows the click at once; storage confirms (or the reply's failure reverts) it.
  const [wanted, setWanted] = useState<boolean>();
  const syncOn = wanted ?? pairing.syncOn;
  const copying = pairing.phase === 'copying';

  const toggle = async (on: boolean) => {
    setWanted(on);
    await onSetSync(on);
    setWanted(undefined);
  };

  const statusClass = pairing.phase === 'live' && !pairing.syncOn ? 'paused' : isStalled(pairing) ? 'stalled' : pairing.phase;
  return (
    <li class={`card pairing pairing--${pairing.phase}`} data-testid="pairing" data-pair-id={pairing.pairId} data-phase={pairing.phase}>
      <div class="pairing__head">
        {/* Read as "A and B": an aria-label on the arrow's bare span is not allowed (axe: aria-prohibited-attr). */}
        <h3 class="pairing__names" aria-label={`${names[0]} and ${names[1]}`}>
          {names[0]} ⇄ {names[1]}
        </h3>
        {pairing.phase === 'error' ? null : (
          <SyncSwitch
            on={syncOn}
            disabled={syncBusy || copying}
            disabledReason="Sync starts once the copy is done"
            label={`Sync ${names[0]} and ${names[1]}`}
            onChange={(on) => void toggle(on)}
          />
        )}
      </div>
      <p class="pairing__status">
        <span class={`status status--${statusClass}`} data-testid="phase">
          {describePhase(pairing)}
        </span>
        {pairing.phase === 'live' ? (
          <span class="pairing__last" data-testid="last-change">
            {props.lastChange === undefined ? 'no change yet' : `last change ${describeAgo(props.lastChange, props.now)}`}
          </span>
        ) : null}
      </p>

      {copying ? <CopyBlock pairing={pairing} names={names} /> : null}
      {pairing.phase === 'error' ? <ErrorBlock {...props} /> : null}

      <ul class="pairing__sides">
        {pairing.sides.map((side, index) => (
          <SideLine key={side.tabId} pairing={pairing} side={side} name={names[index]!} onGoToTab={props.onGoToTab} />
        ))}
      </ul>

      {pairing.phase === 'error' ? null : (
        <div class="pairing__actions">
          <button type="button" class="button" data-testid="unpair" disabled={unpairBusy} onClick={onUnpair}>
            {unpairBusy ? 'Unpairing…' : 'Unpair'}
            <span class="visually-hidden"> {names[0]} and {names[1]}</span>
          </button>
        </div>
      )}
    </li>
  );
}

function CopyBlock({ pairing, names }: { pairing: Pairing; names: [string, string] }) {
  const copy = pairing.copy;
  const nameOf = (tabId: number) => names[pairing.sides.findIndex((side) => side.tabId === tabId)] ?? 'the other site';
  return (
    <div class="copy">
      <div class="copy__label" data-testid="copy-label">
        {copy ? `Copying ${nameOf(copy.fromTabId)} → ${nameOf(copy.toTabId)}: ${describeCopyAmount(copy)}` : 'Preparing the copy…'}
      </div>
      {/* Without a known total the bar is indeterminate (it moves) instead of sitting at 0 %. */}
      {copy && copy.total > 0 ? (
        <progress data-testid="copy-progress" max={100} value={copyPercent(copy)} aria-label="Copy progress" />
      ) : (
        <progress data-testid="copy-progress" aria-label="Copy progress" />
      )}
      {copy?.reason === 'restore' ? <p class="hint">A tab was reloaded and lost its site; it gets the other site's content back.</p> : null}
    </div>
  );
}

function ErrorBlock({ pairing, names, currentUrls, canPairAgain, unpairBusy, onPairAgain, onUnpair }: PairingCardProps) {
  const urls = pairing.sides.map((side, index) => [side.siteUrl, currentUrls[index]]);
  const message = pairing.error ? inSiteNames(readableError(pairing.error), urls, names) : 'Sync stopped.';
  return (
    <div class="pairing__error" role="alert">
      <p data-testid="pairing-error">{message}</p>
      <div class="pairing__actions">
        {canPairAgain ? (
          <button type="button" class="button button--primary" data-testid="pair-again" disabled={unpairBusy} onClick={onPairAgain}>
            Pair again<span class="visually-hidden">: {names[0]} and {names[1]}</span>
          </button>
        ) : null}
        <button type="button" class="button" data-testid="unpair" disabled={unpairBusy} onClick={onUnpair}>
          {unpairBusy ? 'Unpairing…' : 'Unpair'}
          <span class="visually-hidden"> {names[0]} and {names[1]}</span>
        </button>
      </div>
    </div>
  );
}

function SideLine({ pairing, side, name, onGoToTab }: { pairing: Pairing; side: PairedSide; name: string; onGoToTab: (tabId: number) => void }) {
  // During a copy a side is its source or the one being replaced; up to date or pending only while live.
  const role = pairing.copy ? (pairing.copy.fromTabId === side.tabId ? 'Source' : 'Being replaced') : pairing.phase === 'copying' ? 'Copying' : null;
  const state = pairing.phase === 'error' ? null : (role ?? describePending(side.pending));
  return (
    <li class="side" data-tab-id={side.tabId}>
      <span class="side__name" title={side.siteUrl}>
        {name}
      </span>
      {state === null ? null : (
        <span class={`side__pending${side.pending > 0 && !role ? ' side__pending--some' : ''}`} data-testid="pending" data-tab-id={side.tabId}>
          {state}
        </span>
      )}
      <button type="button" class="link" data-testid="go-to-tab" onClick={() => onGoToTab(side.tabId)}>
        Go to tab<span class="visually-hidden"> of {name}</span>
      </button>
      {side.problem ? (
        <p class="side__problem" data-testid="side-problem" data-tab-id={side.tabId}>
          {side.problem}
        </p>
      ) : null}
    </li>
  );
}
