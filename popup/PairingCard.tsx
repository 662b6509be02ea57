import { useState } from 'preact/hooks';
import { givesLowIds, numbererOf, type Pairing, type PairedSide } from '../src/pairing/pairings';
import { readableError } from './command-reply';
import { copyPercent, describeCopyAmount } from './copy-progress';
import { describeAgo, describePending, describePhase, inSiteNames, isStalled } from './labels';
import { listNames } from './site-names';
import { SyncSwitch } from './SyncSwitch';

interface PairingCardProps {
  pairing: Pairing;
  /** Display names of the sides, in `pairing.sides` order. */
  names: string[];
  /** When a change last crossed between the sites, if one has. */
  lastChange: number | undefined;
  now: number;
  syncBusy: boolean;
  lowIdsBusy: boolean;
  unpairBusy: boolean;
  /** Every tab is still open and ready: the group can be made again after an error. */
  canPairAgain: boolean;
  /** The site URL each side's tab reports now (another one after a reload), to name it in errors. */
  currentUrls: (string | undefined)[];
  /** Ready tabs outside every group, which could join this one. */
  addable: { tabId: number; name: string }[];
  /** A tab is being added or removed. */
  membersBusy: boolean;
  onAddTab: (tabId: number) => void;
  onRemoveTab: (tabId: number) => void;
  onSetSync: (on: boolean) => Promise<void>;
  onSetLowIds: (on: boolean) => Promise<void>;
  onUnpair: () => void;
  onPairAgain: () => void;
  onGoToTab: (tabId: number) => void;
}

/**
 * One group, status first: "Lively River ⇄ Daring Lagoon" with its switch, then how it is
 * (Live · last change 5 s ago; copies' progress; an error with the action that fixes it), then
 * one line per side (each can be taken out of a group of three or more), then adding a tab.
 */
export function PairingCard(props: PairingCardProps) {
  const { pairing, names, syncBusy, unpairBusy, onSetSync, onUnpair } = props;
  const everyone = listNames(names);
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
        <h3 class="pairing__names" aria-label={everyone}>
          {names.join(' ⇄ ')}
        </h3>
        {pairing.phase === 'error' ? null : (
          <SyncSwitch
            on={syncOn}
            disabled={syncBusy || copying}
            disabledReason="Sync starts once the copy is done"
            label={`Sync ${everyone}`}
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
          <SideLine
            key={side.tabId}
            pairing={pairing}
            side={side}
            name={names[index]!}
            onGoToTab={props.onGoToTab}
            onRemove={pairing.sides.length > 2 && pairing.phase !== 'error' ? () => props.onRemoveTab(side.tabId) : undefined}
            busy={props.membersBusy}
          />
        ))}
      </ul>

      {pairing.phase === 'error' ? null : <LowIds pairing={pairing} names={names} busy={props.lowIdsBusy} onChange={props.onSetLowIds} />}

      {pairing.phase === 'error' ? null : (
        <div class="pairing__actions">
          {props.addable.length > 0 ? <AddTab addable={props.addable} busy={props.membersBusy || copying} onAdd={props.onAddTab} /> : null}
          <button type="button" class="button" data-testid="unpair" disabled={unpairBusy} onClick={onUnpair}>
            {unpairBusy ? 'Unpairing…' : 'Unpair'}
            <span class="visually-hidden"> {everyone}</span>
          </button>
        </div>
      )}
    </li>
  );
}

/** The group's switch for low IDs (docs/ids.md), naming the site that gives them (another takes over when it leaves). */
function LowIds({ pairing, names, busy, onChange }: { pairing: Pairing; names: string[]; busy: boolean; onChange: (on: boolean) => Promise<void> }) {
  const [wanted, setWanted] = useState<boolean>();
  const numberer = numbererOf(pairing);
  const on = numberer !== undefined && (wanted ?? givesLowIds(pairing));
  const toggle = async (next: boolean) => {
    setWanted(next);
    await onChange(next);
    setWanted(undefined);
  };
  return (
    <div class="low-ids">
      <label>
        <input type="checkbox" data-testid="low-ids" checked={on} disabled={busy || numberer === undefined} onChange={(event) => void toggle((event.target as HTMLInputElement).checked)} />
        Give new posts, media and comments low IDs
      </label>
      <p class="hint" data-testid="low-ids-hint">
        {on && numberer
          ? `Each new row gets the next free ID (like 36) once ${names[pairing.sides.indexOf(numberer)] ?? 'the first site'} has it, on every site; links to it follow. A post open in an editor keeps its ID until the editor closes (up to 2½ minutes after a reload of its tab).`
          : 'Off: new rows keep the long IDs of their site’s range (like 1000000003).'}
      </p>
    </div>
  );
}

function CopyBlock({ pairing, names }: { pairing: Pairing; names: string[] }) {
  const nameOf = (tabId: number) => names[pairing.sides.findIndex((side) => side.tabId === tabId)] ?? 'the other site';
  const copies = pairing.sides.flatMap((side) => (side.copy ? [{ to: side.tabId, ...side.copy }] : []));
  if (copies.length === 0) return <div class="copy__label" data-testid="copy-label">Preparing the copy…</div>;
  return (
    <>
      {copies.map((copy) => (
        <div class="copy" key={copy.to}>
          <div class="copy__label" data-testid="copy-label">
            {`Copying ${nameOf(copy.fromTabId)} → ${nameOf(copy.to)}: ${describeCopyAmount(copy)}`}
          </div>
          {/* Without a known total the bar is indeterminate (it moves) instead of sitting at 0 %. */}
          {copy.total > 0 ? (
            <progress data-testid="copy-progress" max={100} value={copyPercent(copy)} aria-label={`Copy progress to ${nameOf(copy.to)}`} />
          ) : (
            <progress data-testid="copy-progress" aria-label={`Copy progress to ${nameOf(copy.to)}`} />
          )}
          {copy.reason === 'restore' ? <p class="hint">A tab was reloaded and lost its site; it gets the group's content back.</p> : null}
        </div>
      ))}
    </>
  );
}

function AddTab({ addable, busy, onAdd }: { addable: { tabId: number; name: string }[]; busy: boolean; onAdd: (tabId: number) => void }) {
  const [chosen, setChosen] = useState<number>();
  const tabId = addable.some((tab) => tab.tabId === chosen) ? chosen! : addable[0]!.tabId;
  return (
    <span class="add-tab">
      <label class="visually-hidden" for="add-tab-choice">
        Tab to add
      </label>
      <select id="add-tab-choice" data-testid="add-tab-choice" value={tabId} onChange={(event) => setChosen(Number((event.target as HTMLSelectElement).value))}>
        {addable.map((tab) => (
          <option key={tab.tabId} value={tab.tabId}>
            {tab.name}
          </option>
        ))}
      </select>
      <button type="button" class="button" data-testid="add-tab" disabled={busy} onClick={() => onAdd(tabId)}>
        Add to group
      </button>
    </span>
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
            Pair again<span class="visually-hidden">: {listNames(names)}</span>
          </button>
        ) : null}
        <button type="button" class="button" data-testid="unpair" disabled={unpairBusy} onClick={onUnpair}>
          {unpairBusy ? 'Unpairing…' : 'Unpair'}
          <span class="visually-hidden"> {listNames(names)}</span>
        </button>
      </div>
    </div>
  );
}

interface SideLineProps {
  pairing: Pairing;
  side: PairedSide;
  name: string;
  onGoToTab: (tabId: number) => void;
  /** Takes the side out of the group (none: it cannot be, in a group of two). */
  onRemove: (() => void) | undefined;
  busy: boolean;
}

function SideLine({ pairing, side, name, onGoToTab, onRemove, busy }: SideLineProps) {
  // During a copy a side is its source or the one being replaced; up to date or pending only while live.
  const role = side.copy ? 'Being replaced' : pairing.sides.some((other) => other.copy?.fromTabId === side.tabId) ? 'Source' : null;
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
      {onRemove ? (
        <button type="button" class="link" data-testid="remove-tab" data-tab-id={side.tabId} disabled={busy} onClick={onRemove}>
          Remove<span class="visually-hidden"> {name} from the group</span>
        </button>
      ) : null}
      {side.problem ? (
        <p class="side__problem" data-testid="side-problem" data-tab-id={side.tabId}>
          {side.problem}
        </p>
      ) : null}
    </li>
  );
}
