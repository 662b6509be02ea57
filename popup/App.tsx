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
import { lastChangeAt } from './labels';
import { LocalOnlyPanel } from './LocalOnlyPanel';
import { PinHint } from './PinHint';
import { checkPair, currentSelection, pairedTabIds, preselection, toggleSelection } from './pair-selection';
import { PairControls } from './PairControls';
import { PairingCard } from './PairingCard';
import { displayNames } from './site-names';
import { goToTab, openPlaygroundTabs } from './tab-actions';
import { TabList } from './TabList';
import { commandKey, useCommands } from './use-commands';
import { useJournal } from './use-journal';
import { usePinHint } from './use-pin-hint';
import { useSessionValue } from './use-session-value';

const noEntries: readonly JournalEntry[] = [];
/** How long a notice stays before it goes on its own. */
const NOTICE_MS = 10_000;

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
  const pinHint = usePinHint();
  // Until the user ticks or unticks a tab, exactly two ready tabs are picked for them.
  const [picked, setPicked] = useState<number[] | null>(null);
  const [differ, setDiffer] = useState<DifferQuestion>();
  const [notice, setNotice] = useState<string>();

  // A pairing that ends on its own while the popup is open makes what it last said about pairing stale.
  const newestEnd = ended.reduce((newest, entry) => Math.max(newest, entry.at), 0);
  const seenEnd = useRef(newestEnd);
  // A notice confirms a click; the pairing's card says how things stand from then on (a name in an
  // old notice may not even exist any more: a reloaded temporary site comes back under a new one).
  useEffect(() => {
    if (notice === undefined) return;
    const timer = setTimeout(() => setNotice(undefined), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  useEffect(() => {
    if (newestEnd > seenEnd.current) setNotice(undefined);
    seenEnd.current = newestEnd;
  }, [newestEnd]);

  const tabs = useMemo(() => listTabs(registry ?? emptyRegistry), [registry]);
  const paired = useMemo(() => pairedTabIds(pairings), [pairings]);
  const unpaired = useMemo(() => tabs.filter((tab) => !paired.has(tab.tabId)), [tabs, paired]);
  const selected = currentSelection(picked ?? preselection(unpaired), tabs, paired);
  const check = checkPair(selected, tabs);
  const now = useNow(1000);

  /** `paired`: the sites as a pairing knows them (scope and name when paired), for tabs that may have moved on since. */
  const namesOf = (tabIds: readonly number[], paired: readonly { scope: string; name: string }[] = []) =>
    displayNames(
      tabIds.map((tabId, index) => {
        const site = registry?.[tabId]?.site;
        const scope = paired[index]?.scope ?? site?.scope;
        // A reloaded tab runs another site: the tab's name is only this site's while the scope matches.
        return { tabId, scope, name: site && site.scope === scope ? site.name : paired[index]?.name };
      }),
    ) as [string, string];

  const pair = (tabIds: [number, number], keep?: number) => {
    setNotice(undefined);
    void commands.run({ type: 'popup/pair', tabIds, ...(keep === undefined ? {} : { keep }) }, (outcome) => {
      if (outcome.kind === 'differ') {
        setDiffer({ tabIds, sides: outcome.sides });
      } else if (outcome.kind === 'ok') {
        setDiffer(undefined);
        setPicked(null);
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

  // The errored pairing goes, then the same two tabs pair afresh (asking which site to keep if they differ).
  const pairAgain = (pairing: Pairing) => {
    const tabIds = pairing.sides.map((side) => side.tabId) as [number, number];
    setNotice(undefined);
    void commands.run({ type: 'popup/unpair', pairId: pairing.pairId }, (outcome) => {
      if (outcome.kind === 'ok') pair(tabIds);
    });
  };
  const isReady = (tabId: number) => registry?.[tabId]?.status === 'ready';
  const showTab = (tabId: number) => void goToTab(tabId).catch(() => setNotice('That tab is gone.'));

  const pairBusy = commands.isBusy(commandKey({ type: 'popup/pair' }));

  return (
    <main>
      <header class="header">
        <h1>Playground Sync</h1>
      </header>

      {pinHint.show ? <PinHint onDismiss={pinHint.dismiss} /> : null}
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
                  pairing.sides,
                )}
                lastChange={lastChangeAt(pairing, journal)}
                now={now}
                syncBusy={commands.isBusy(commandKey({ type: 'popup/set-sync', pairId: pairing.pairId }))}
                unpairBusy={commands.isBusy(commandKey({ type: 'popup/unpair', pairId: pairing.pairId })) || pairBusy}
                canPairAgain={pairing.sides.every((side) => isReady(side.tabId))}
                currentUrls={[registry?.[pairing.sides[0].tabId]?.site?.siteUrl, registry?.[pairing.sides[1].tabId]?.site?.siteUrl]}
                onSetSync={(on) => setSync(pairing, on)}
                onUnpair={() => unpair(pairing)}
                onPairAgain={() => pairAgain(pairing)}
                onGoToTab={showTab}
              />
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="tabs-title">
        <h2 id="tabs-title">{pairings.length > 0 ? 'Other Playground tabs' : 'Playground tabs'}</h2>
        {registry === undefined ? (
          <p class="hint">Loading…</p>
        ) : (
          <>
            <TabList
              tabs={unpaired}
              selected={selected}
              anyPaired={pairings.length > 0}
              onToggle={(tabId) => setPicked(toggleSelection(selected, tabId))}
              onGoToTab={showTab}
              onOpenTabs={(count) => void openPlaygroundTabs(count)}
            />
            {unpaired.length > 0 ? <PairControls check={check} busy={pairBusy} blocked={differ !== undefined} onPair={pair} /> : null}
          </>
        )}
      </section>

      <LocalOnlyPanel />

      <Journal
        journal={journal}
        clearing={commands.isBusy(commandKey({ type: 'popup/clear-journal' }))}
        onClear={() => void commands.run({ type: 'popup/clear-journal' })}
      />
    </main>
  );
}

/** The current time, renewed every `everyMs` while the popup is open ("last change 5 s ago" moves on). */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
