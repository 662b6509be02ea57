import type { TabEntry } from '../src/registry/tab-registry';
import { describeTabStatus, describeStorage } from './labels';

export function TabList({ tabs }: { tabs: TabEntry[] }) {
  if (tabs.length === 0) {
    return (
      <p class="hint" data-testid="no-tabs">
        No Playground tabs yet. Open <strong>playground.wordpress.net</strong> in two tabs to pair them.
      </p>
    );
  }
  return (
    <ul class="tabs" data-testid="tab-list">
      {tabs.map((tab) => (
        <TabRow key={tab.tabId} tab={tab} />
      ))}
    </ul>
  );
}

function TabRow({ tab }: { tab: TabEntry }) {
  const site = tab.site;
  return (
    <li class={`tab tab--${tab.status}`} data-testid="tab" data-tab-id={tab.tabId} data-scope={site?.scope ?? ''}>
      <div class="tab__title">
        <span class="tab__name">{site?.name ?? `Tab ${tab.tabId}`}</span>
        <span class={`status status--${tab.status}`}>{describeTabStatus(tab.status)}</span>
      </div>
      {site ? (
        <dl class="tab__facts">
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
