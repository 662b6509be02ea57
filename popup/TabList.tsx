import type { TabEntry } from '../src/registry/tab-registry';
import { describeStorage, describeTabStatus } from './labels';
import { MAX_SELECTED, tabAvailability } from './pair-selection';

interface TabListProps {
  tabs: readonly TabEntry[];
  paired: ReadonlySet<number>;
  selected: readonly number[];
  onToggle: (tabId: number) => void;
}

export function TabList({ tabs, paired, selected, onToggle }: TabListProps) {
  if (tabs.length === 0) {
    return (
      <p class="hint" data-testid="no-tabs">
        No Playground tabs yet. Open <strong>playground.wordpress.net</strong> in two tabs to pair them.
      </p>
    );
  }
  const full = selected.length >= MAX_SELECTED;
  return (
    <ul class="tabs" data-testid="tab-list">
      {tabs.map((tab) => (
        <TabRow
          key={tab.tabId}
          tab={tab}
          paired={paired.has(tab.tabId)}
          checked={selected.includes(tab.tabId)}
          selectionFull={full}
          availability={tabAvailability(tab, paired)}
          onToggle={() => onToggle(tab.tabId)}
        />
      ))}
    </ul>
  );
}

interface TabRowProps {
  tab: TabEntry;
  paired: boolean;
  checked: boolean;
  selectionFull: boolean;
  availability: ReturnType<typeof tabAvailability>;
  onToggle: () => void;
}

function TabRow({ tab, paired, checked, selectionFull, availability, onToggle }: TabRowProps) {
  const site = tab.site;
  const name = site?.name ?? `Tab ${tab.tabId}`;
  const disabled = !availability.selectable || (!checked && selectionFull);
  const why = !availability.selectable ? availability.reason : disabled ? 'Two tabs are selected: unselect one first' : `Select ${name} to pair it`;
  return (
    <li
      class={`tab tab--${tab.status}${checked ? ' tab--selected' : ''}${paired ? ' tab--paired' : ''}`}
      data-testid="tab"
      data-tab-id={tab.tabId}
      data-scope={site?.scope ?? ''}
    >
      <div class="tab__title">
        <label class="tab__select" title={why}>
          <input type="checkbox" data-testid="select-tab" checked={checked} disabled={disabled} onChange={onToggle} />
          <span class="tab__name">{name}</span>
        </label>
        <span class="tab__chips">
          {paired ? (
            <span class="chip chip--paired" data-testid="paired">
              Paired
            </span>
          ) : null}
          <span class={`status status--${tab.status}`}>{describeTabStatus(tab.status)}</span>
        </span>
      </div>
      {site ? (
        <dl class="facts">
          <dt>Scope</dt>
          <dd data-testid="scope">{site.scope}</dd>
          <dt>Site</dt>
          <dd class="tab__url" title={site.siteUrl}>
            {site.siteUrl}
          </dd>
          <dt>WordPress</dt>
          <dd data-testid="wp-version">{site.wordpressVersion}</dd>
          <dt>PHP</dt>
          <dd data-testid="php-version">{site.phpVersion}</dd>
          <dt>Storage</dt>
          <dd data-testid="storage">{describeStorage(site.storage)}</dd>
        </dl>
      ) : null}
      {tab.detail ? <p class="tab__detail">{tab.detail}</p> : null}
    </li>
  );
}
