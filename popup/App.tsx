import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JournalEntry } from '../src/protocol/journal-entry';
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
import { focusedElement, useFocusKeeper, type FocusTarget } from './focus';
import { Journal } from './Journal';
import { NoticeLine } from './NoticeLine';
import { lastChangeAt } from './labels';
import { LocalOnlyPanel } from './LocalOnlyPanel';
import { PinHint } from './PinHint';
import { checkPair, currentSelection, pairedTabIds, preselection, toggleSelection } from './pair-selection';
import { PairControls } from './PairControls';
import { PairingCard } from './PairingCard';
import { displayNames, listNames } from './site-names';
import { goToTab, openPlaygroundTabs } from './tab-actions';
import { TabList } from './TabList';
import { commandKey, useCommands } from './use-commands';
import { useJournal } from './use-journal';
import { useJournalSites } from './use-journal-sites';
import { useNow } from './use-now';
import { usePinHint } from './use-pin-hint';
import { useSessionValue } from './use-session-value';

const noEntries: readonly JournalEntry[] = [];
/** How long a notice stays before it goes on its own. */
const NOTICE_MS = 10_000;
/** Where focus goes when what had it is gone and nothing better is known: the popup's title. */
const TITLE = '#popup-title';
/** The journal looks after its own focus (its rewrite, issue 12). */
const JOURNAL = '[data-testid="journal"]';

interface DifferQuestion {
  tabIds: number[];
  sides: DifferSide[];
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
  // Keyboard users keep their place: the button that opened the differ panel gets focus back when
  // it closes, and when a click removes what had focus (a dismissed line, an unpaired card) focus
  // goes to the first of `focusAfter` that exists, never to <body>.
  const differOpener = useRef<HTMLElement | null>(null);
  const focusAfter = useRef<readonly FocusTarget[]>([]);
  useFocusKeeper(() => [...focusAfter.current, TITLE], JOURNAL);
  const focusNextAfter = (...targets: FocusTarget[]) => (focusAfter.current = targets);

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
  const journalSites = useJournalSites(registry, pairings, commands);

  /** `paired`: the sites as a pairing knows them (scope and name when paired), for tabs that may have moved on since. */
  const namesOf = (tabIds: readonly number[], paired: readonly { scope: string; name: string }[] = []) =>
    displayNames(
      tabIds.map((tabId, index) => {
        const site = registry?.[tabId]?.site;
        const scope = paired[index]?.scope ?? site?.scope;
        // A reloaded tab runs another site: the tab's name is only this site's while the scope matches.
        return { tabId, scope, name: site && site.scope === scope ? site.name : paired[index]?.name };
      }),
    );

  /** `opener`: the control that asked (focus goes back to it if the differ panel opens and is cancelled). */
  const pair = (tabIds: number[], keep?: number, opener: HTMLElement | null = focusedElement()) => {
    setNotice(undefined);
    if (keep === undefined) differOpener.current = opener;
    void commands.run({ type: 'popup/pair', tabIds, ...(keep === undefined ? {} : { keep }) }, (outcome) => {
      if (outcome.kind === 'differ') {
        setDiffer({ tabIds, sides: outcome.sides });
      } else if (outcome.kind === 'ok') {
        // The pairing's card is what to look at next (until it is drawn, the tab list's heading).
        focusNextAfter('#pairings-title', '#tabs-title');
        setDiffer(undefined);
        setPicked(null);
        const names = namesOf(tabIds);
        if (keep === undefined) {
          setNotice(
            names.length === 2
              ? `Paired ${names[0]} and ${names[1]}: changes now sync both ways.`
              : `Syncing ${listNames(names)}: a change in any of them reaches all.`,
          );
        } else {
          const kept = names[tabIds.indexOf(keep)];
          const replaced = names.filter((_, index) => tabIds[index] !== keep);
          setNotice(`Keeping ${kept}: ${listNames(replaced)} ${replaced.length > 1 ? 'are' : 'is'} replaced by a copy of it (progress below).`);
        }
      }
    });
  };

  const setSync = (pairing: Pairing, on: boolean) => commands.run({ type: 'popup/set-sync', pairId: pairing.pairId, on });
  const setLowIds = (pairing: Pairing, on: boolean) => commands.run({ type: 'popup/set-low-ids', pairId: pairing.pairId, on });
  const addTab = (pairing: Pairing, tabId: number) => {
    setNotice(undefined);
    void commands.run({ type: 'popup/add-tab', pairId: pairing.pairId, tabId }, (outcome) => {
      if (outcome.kind === 'ok') setNotice(`Adding ${namesOf([tabId])[0]}: its site is replaced by a copy of the group's (progress below).`);
    });
  };
  const removeTab = (pairing: Pairing, tabId: number) => {
    setNotice(undefined);
    focusNextAfter('#pairings-title', '#tabs-title');
    void commands.run({ type: 'popup/remove-tab', pairId: pairing.pairId, tabId });
  };
  const unpair = (pairing: Pairing) => {
    setNotice(undefined);
    // The card goes: another pairing, else the tabs it leaves (ticked again, so Pair is next).
    focusNextAfter('#pairings-title', '[data-testid="pair"]', '#tabs-title');
    void commands.run({ type: 'popup/unpair', pairId: pairing.pairId });
  };

  // The errored pairing goes, then the same two tabs pair afresh (asking which site to keep if they differ).
  const pairAgain = (pairing: Pairing) => {
    const tabIds = pairing.sides.map((side) => side.tabId);
    const opener = focusedElement();
    setNotice(undefined);
    focusNextAfter('#pairings-title', '[data-testid="pair"]', '#tabs-title');
    void commands.run({ type: 'popup/unpair', pairId: pairing.pairId }, (outcome) => {
      if (outcome.kind === 'ok') pair(tabIds, undefined, opener);
    });
  };
  const isReady = (tabId: number) => registry?.[tabId]?.status === 'ready';
  const showTab = (tabId: number) => void goToTab(tabId).catch(() => setNotice('That tab is gone.'));

  const pairBusy = commands.isBusy(commandKey({ type: 'popup/pair' }));
  /** The differ panel closes without an answer (Cancel, Esc): back to what opened it, else to Pair. */
  const cancelDiffer = () => {
    focusNextAfter(differOpener.current, '[data-testid="pair"]', '#tabs-title');
    setDiffer(undefined);
  };
  /** A line at the top goes: the next line's dismiss button, else the title. */
  const dismissing =
    <Args extends unknown[]>(dismiss: (...args: Args) => void) =>
    (...args: Args) => {
      focusNextAfter('.line__close');
      dismiss(...args);
    };

  return (
    <main>
      <header class="header">
        <h1 id="popup-title" tabIndex={-1}>
          Playground Sync
        </h1>
      </header>

      {pinHint.show ? <PinHint onDismiss={dismissing(pinHint.dismiss)} /> : null}
      {commands.failure ? <ErrorLine failure={commands.failure} onDismiss={dismissing(commands.dismiss)} /> : null}
      {notice ? <NoticeLine text={notice} onDismiss={dismissing(() => setNotice(undefined))} /> : null}
      <EndedNotices ended={ended} onDismiss={dismissing((pairId: string) => void commands.run({ type: 'popup/dismiss-ended', pairId }))} />

      {differ ? (
        <DifferPanel
          sides={differ.sides}
          names={namesOf(differ.sides.map((side) => side.tabId))}
          busy={pairBusy}
          onKeep={(tabId) => pair(differ.tabIds, tabId)}
          onCancel={cancelDiffer}
        />
      ) : null}

      {pairings.length > 0 ? (
        <section aria-labelledby="pairings-title">
          <h2 id="pairings-title" tabIndex={-1}>
            Paired sites
          </h2>
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
                lowIdsBusy={commands.isBusy(commandKey({ type: 'popup/set-low-ids', pairId: pairing.pairId }))}
                unpairBusy={commands.isBusy(commandKey({ type: 'popup/unpair', pairId: pairing.pairId })) || pairBusy}
                canPairAgain={pairing.sides.every((side) => isReady(side.tabId))}
                currentUrls={pairing.sides.map((side) => registry?.[side.tabId]?.site?.siteUrl)}
                addable={unpaired
                  .filter((tab) => tab.status === 'ready' && tab.site)
                  .map((tab) => ({ tabId: tab.tabId, name: namesOf([tab.tabId])[0]! }))}
                membersBusy={
                  commands.isBusy(commandKey({ type: 'popup/add-tab', pairId: pairing.pairId })) ||
                  commands.isBusy(commandKey({ type: 'popup/remove-tab', pairId: pairing.pairId }))
                }
                onAddTab={(tabId) => addTab(pairing, tabId)}
                onRemoveTab={(tabId) => removeTab(pairing, tabId)}
                onSetSync={(on) => setSync(pairing, on)}
                onSetLowIds={(on) => setLowIds(pairing, on)}
                onUnpair={() => unpair(pairing)}
                onPairAgain={() => pairAgain(pairing)}
                onGoToTab={showTab}
              />
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="tabs-title">
        <h2 id="tabs-title" tabIndex={-1}>
          {pairings.length > 0 ? 'Other Playground tabs' : 'Playground tabs'}
        </h2>
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

      <Journal journal={journal} now={now} {...journalSites} />
    </main>
  );
}

