import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JournalEntry } from '../src/journal/entry';
import {
  ENDED_PAIRINGS_STORAGE_KEY,
  noEndedPairings,
  noPairings,
  PAIRINGS_STORAGE_KEY,
  type EndedPairings,
  type Pairing,
  type Pairings,
} from '../src/pairing/pairings';
import { emptyRegistry, listTabs, REGISTRY_STORAGE_KEY, type TabRegistry } from '../src/registry/tab-registry';
import type { DifferSide } from './command-reply';
import { DifferPanel } from './DifferPanel';
import { EndedNotices } from './EndedNotices';
import { ErrorLine } from './ErrorLine';
import { Journal } from './Journal';
import { NoticeLine } from './NoticeLine';
import { checkPair, currentSelection, pairedTabIds, toggleSelection } from './pair-selection';
import { PairControls } from './PairControls';
import { PairingCard } from './PairingCard';
import { displayNames } from './site-names';
import { TabList } from './TabList';
import { commandKey, useCommands } from './use-commands';
import { useJournal } from './use-journal';
import { useSessionValue } from './use-session-value';

const noEntries: readonly JournalEntry[] = [];

interface DifferQuestion {
  tabIds: [number, number];
  sides: [DifferSide, DifferSide];
}

export function App() {
  const registry = useSessionValue<TabRegistry>(REGISTRY_STORAGE_KEY, emptyRegistry);
  const pairings = useSessionValue<Pairings>(PAIRINGS_STORAGE_KEY, noPairings) ?? noPairings;
  const journal = useJournal() ?? noEntries;
  const ended = useSessionValue<EndedPairings>(ENDED_PAIRINGS_STORAGE_KEY, noEndedPairings) ?? noEndedPairings;
  const commands = useCommands();
  const [picked, setPicked] = useState<number[]>([]);
  const [differ, setDiffer] = useState<DifferQuestion>();
  const [notice, setNotice] = useState<string>();

  // A pairing that ends on its own while the popup is open makes what it last said about pairing stale.
  const newestEnd = ended.reduce((newest, entry) => Math.max(newest, entry.at), 0);
  const seenEnd = useRef(newestEnd);
  useEffect(() => {
    if (newestEnd > seenEnd.current) setNotice(undefined);
    seenEnd.current = newestEnd;
  }, [newestEnd]);

  const tabs = useMemo(() => listTabs(registry ?? emptyRegistry), [registry]);
  const paired = useMemo(() => pairedTabIds(pairings), [pairings]);
  const selected = currentSelection(picked, tabs, paired);
  const check = checkPair(selected, tabs);

  const namesOf = (tabIds: readonly number[], scopes: readonly (string | undefined)[] = []) =>
    displayNames(
      tabIds.map((tabId, index) => {
        const site = registry?.[tabId]?.site;
        const scope = scopes[index] ?? site?.scope;
        // A reloaded tab runs another site: its name is only ours while the scope matches.
        return { tabId, scope, name: site && site.scope === scope ? site.name : undefined };
      }),
    ) as [string, string];

  const pair = (tabIds: [number, number], keep?: number) => {
    setNotice(undefined);
    void commands.run({ type: 'popup/pair', tabIds, ...(keep === undefined ? {} : { keep }) }, (outcome) => {
      if (outcome.kind === 'differ') {
        setDiffer({ tabIds, sides: outcome.sides });
      } else if (outcome.kind === 'ok') {
        setDiffer(undefined);
        setPicked([]);
        const names = namesOf(tabIds);
        if (keep === undefined) {
          setNotice(`Paired ${names[0]} and ${names[1]}: changes now sync both ways.`);
        } else {
          const [kept, replaced] = keep === tabIds[0] ? names : [names[1], names[0]];
          setNotice(`Keeping ${kept}: ${replaced} is replaced by a copy of it (progress below).`);
        }
      }
    });
  };

  const setSync = (pairing: Pairing, on: boolean) => commands.run({ type: 'popup/set-sync', pairId: pairing.pairId, on });
  const unpair = (pairing: Pairing) => {
    setNotice(undefined);
    void commands.run({ type: 'popup/unpair', pairId: pairing.pairId });
  };

  const pairBusy = commands.isBusy(commandKey({ type: 'popup/pair' }));

  return (
    <main>
      <header class="header">
        <h1>Playground Sync</h1>
        {pairings.length > 0 ? (
          <span class="header__summary">
            {pairings.length} pairing{pairings.length === 1 ? '' : 's'}
          </span>
        ) : null}
      </header>

      {commands.failure ? <ErrorLine failure={commands.failure} onDismiss={commands.dismiss} /> : null}
      {notice ? <NoticeLine text={notice} onDismiss={() => setNotice(undefined)} /> : null}
      <EndedNotices ended={ended} onDismiss={(pairId) => void commands.run({ type: 'popup/dismiss-ended', pairId })} />

      {differ ? (
        <DifferPanel
          sides={differ.sides}
          names={namesOf(differ.sides.map((side) => side.tabId))}
          busy={pairBusy}
          onKeep={(tabId) => pair(differ.tabIds, tabId)}
          onCancel={() => setDiffer(undefined)}
        />
      ) : null}

      {pairings.length > 0 ? (
        <section aria-labelledby="pairings-title">
          <h2 id="pairings-title">Paired sites</h2>
          <ul class="pairings" data-testid="pairings">
            {pairings.map((pairing) => (
              <PairingCard
                key={pairing.pairId}
                pairing={pairing}
                names={namesOf(
                  pairing.sides.map((side) => side.tabId),
                  pairing.sides.map((side) => side.scope),
                )}
                syncBusy={commands.isBusy(commandKey({ type: 'popup/set-sync', pairId: pairing.pairId }))}
                unpairBusy={commands.isBusy(commandKey({ type: 'popup/unpair', pairId: pairing.pairId }))}
                onSetSync={(on) => setSync(pairing, on)}
                onUnpair={() => unpair(pairing)}
              />
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="tabs-title">
        <h2 id="tabs-title">Playground tabs</h2>
        {registry === undefined ? (
          <p class="hint">Loading…</p>
        ) : (
          <>
            <TabList tabs={tabs} paired={paired} selected={selected} onToggle={(tabId) => setPicked(toggleSelection(selected, tabId))} />
            {tabs.length > 0 ? <PairControls check={check} busy={pairBusy} blocked={differ !== undefined} onPair={pair} /> : null}
          </>
        )}
      </section>

      <Journal
        journal={journal}
        clearing={commands.isBusy(commandKey({ type: 'popup/clear-journal' }))}
        onClear={() => void commands.run({ type: 'popup/clear-journal' })}
      />
    </main>
  );
}
