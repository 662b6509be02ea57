import { TabList } from './TabList';
import { useTabs } from './use-registry';

export function App() {
  const tabs = useTabs();
  return (
    <main>
      <header>
        <h1>Playground Sync</h1>
      </header>
      {tabs === undefined ? <p class="hint">Loading…</p> : <TabList tabs={tabs} />}
    </main>
  );
}
