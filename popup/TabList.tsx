import type { TabEntry } from '../src/registry/tab-registry';
import { describeStorage, describeTabStatus } from './labels';
import { MAX_SELECTED, tabAvailability } from './pair-selection';

interface TabListProps {
  /** Playground tabs not in a pairing. */
  tabs: readonly TabEntry[];
  selected: readonly number[];
  onToggle: (tabId: number) => void;
  onGoToTab: (tabId: number) => void;
  /** Opens this many new Playground tabs. */
  onOpenTabs: (count: number) => void;
  /** Whether any tab is paired (then no open tab to pair is not a first run). */
  anyPaired: boolean;
}

/** The Playground tabs that can be paired, one line per site; a way to open them when there are not two. */
export function TabList({ tabs, selected, onToggle, onGoToTab, onOpenTabs, anyPaired }: TabListProps) {
  // Tabs to open so that two can be paired (a group may take more, but two is what it starts from).
  const missing = Math.max(0, 2 - tabs.length);
  const opener =
    missing > 0 ? (
      <div class="open-tabs" data-testid="no-tabs">
        <p class="hint">
          {tabs.length === 0
            ? anyPaired
              ? 'No other Playground tab is open.'
              : 'Pair two WordPress Playground sites: open two Playground tabs, then pick them here.'
            : anyPaired
              ? 'Add it to a group above (Add to group), or open one more Playground tab to pair it with.'
              : 'Open one more Playground tab to pair it with this one.'}
        </p>
        <button type="button" class="button" data-testid="open-tabs" onClick={() => onOpenTabs(missing)}>
          {missing === 2 ? 'Open two Playground tabs' : 'Open a Playground tab'}
        </button>
      </div>
    ) : null;
  if (tabs.length === 0) return opener;
  const full = selected.length >= MAX_SELECTED;
  return (
    <>
      <ul class="tabs" data-testid="tab-list">
        {tabs.map((tab) => (
          <TabRow
            key={tab.tabId}
            tab={tab}
            checked={selected.includes(tab.tabId)}
            selectionFull={full}
            availability={tabAvailability(tab, new Set())}
            onToggle={() => onToggle(tab.tabId)}
            onGoToTab={() => onGoToTab(tab.tabId)}
          />
        ))}
      </ul>
      {opener}
    </>
  );
}

interface TabRowProps {
  tab: TabEntry;
  checked: boolean;
  selectionFull: boolean;
  availability: ReturnType<typeof tabAvailability>;
  onToggle: () => void;
  onGoToTab: () => void;
}

function TabRow({ tab, checked, selectionFull, availability, onToggle, onGoToTab }: TabRowProps) {
  const site = tab.site;
  const name = site?.name ?? 'A Playground tab';
  const disabled = !availability.selectable || (!checked && selectionFull);
  const why = !availability.selectable ? availability.reason : disabled ? `${MAX_SELECTED} tabs are selected, as many as a group takes: unselect one first` : `Select ${name} to pair it`;
  return (
    <li class={`tab tab--${tab.status}${checked ? ' tab--selected' : ''}`} data-testid="tab" data-tab-id={tab.tabId} data-scope={site?.scope ?? ''}>
      <div class="tab__line">
        <label class="tab__select" title={why}>
          <input type="checkbox" data-testid="select-tab" checked={checked} disabled={disabled} onChange={onToggle} />
          <span class="tab__name" title={site?.siteUrl}>
            {name}
          </span>
        </label>
        {site ? (
          <span class="tab__facts" title={`WordPress ${site.wordpressVersion}, PHP ${site.phpVersion}, ${describeStorage(site.storage).toLowerCase()}`}>
            WP <span data-testid="wp-version">{site.wordpressVersion}</span> · PHP <span data-testid="php-version">{site.phpVersion}</span> ·{' '}
            <span data-testid="storage">{describeStorage(site.storage)}</span>
          </span>
        ) : null}
        {tab.status === 'ready' ? null : <span class={`status status--${tab.status}`}>{describeTabStatus(tab.status)}</span>}
        <button type="button" class="link tab__go" data-testid="go-to-tab" onClick={onGoToTab}>
          Go to tab<span class="visually-hidden"> of {name}</span>
        </button>
      </div>
      {tab.detail ? <p class="tab__detail">{tab.detail}</p> : null}
    </li>
  );
}
