import { useMemo, useState } from 'preact/hooks';
import { JOURNAL_KINDS, JOURNAL_STATUSES, TECHNICAL_KINDS } from '../src/protocol/journal-entry';
import { countByStatus, toNdjson } from '../src/journal/journal';
import { emptyRegistry, REGISTRY_STORAGE_KEY, type TabRegistry } from '../src/registry/tab-registry';
import { noPairings, PAIRINGS_STORAGE_KEY, type Pairings } from '../src/pairing/pairings';
import { downloadText } from './download';
import { ErrorLine } from './ErrorLine';
import { JournalItem } from './JournalItem';
import { peopleJournal } from './journal-people';
import { exportFilename, exportLines, filterValues, KIND_LABELS, STATUS_LABELS, visibleJournal } from './journal-view';
import { commandKey, useCommands } from './use-commands';
import { useJournal } from './use-journal';
import { useJournalSites } from './use-journal-sites';
import { useNow } from './use-now';
import { useSessionValue } from './use-session-value';
import { useTechnicalEntries } from './use-technical-entries';

const technicalKinds: readonly string[] = TECHNICAL_KINDS;

/** The whole journal on a page of its own: every entry, filters, details and the export. */
export function JournalPage() {
  const journal = useJournal();
  const registry = useSessionValue<TabRegistry>(REGISTRY_STORAGE_KEY, emptyRegistry);
  const pairings = useSessionValue<Pairings>(PAIRINGS_STORAGE_KEY, noPairings) ?? noPairings;
  const commands = useCommands();
  const sites = useJournalSites(registry, pairings, commands);
  const [technical, setTechnical] = useTechnicalEntries();
  const [status, setStatus] = useState('');
  const [kind, setKind] = useState('');
  const [site, setSite] = useState('');
  const [text, setText] = useState('');
  const now = useNow(5000);

  const entries = useMemo(() => peopleJournal(journal ?? [], { technical }), [journal, technical]);
  const siteUrls = useMemo(() => [...new Set(entries.flatMap((entry) => [entry.from, ...entry.to]).filter((url) => url.startsWith('http')))], [entries]);
  const kinds = JOURNAL_KINDS.filter((name) => technical || !technicalKinds.includes(name));
  const view = visibleJournal(entries, { statuses: filterValues(status, JOURNAL_STATUSES), kinds: filterValues(kind, kinds), site, text });
  const counts = useMemo(() => countByStatus(entries), [entries]);

  const exportEntries = () => downloadText(exportFilename(new Date()), toNdjson(exportLines(view.matching)), 'application/x-ndjson');

  return (
    <main class="journal-page">
      <header class="journal-page__head">
        <h1>Playground Sync journal</h1>
        <div class="journal__actions">
          <button type="button" class="button" data-testid="export" disabled={view.matching.length === 0} onClick={exportEntries}>
            Export NDJSON
          </button>
          <button
            type="button"
            class="button"
            data-testid="clear-journal"
            disabled={entries.length === 0 || commands.isBusy(commandKey({ type: 'popup/clear-journal' }))}
            onClick={() => void commands.run({ type: 'popup/clear-journal' })}
          >
            Clear
          </button>
        </div>
      </header>
      {commands.failure ? <ErrorLine failure={commands.failure} onDismiss={commands.dismiss} /> : null}

      <ul class="counts" data-testid="journal-counts" aria-label="Entries by status">
        {JOURNAL_STATUSES.map((name) => (
          <li key={name} class={`chip chip--${name}${counts[name] === 0 ? ' chip--none' : ''}`} data-status={name} data-count={counts[name]}>
            {STATUS_LABELS[name]} {counts[name]}
          </li>
        ))}
      </ul>

      <form class="filters" role="search" aria-label="Filter the journal" onSubmit={(event) => event.preventDefault()}>
        <FilterSelect label="Status" testId="filter-status" value={status} onChange={setStatus} options={JOURNAL_STATUSES.map((name) => [name, STATUS_LABELS[name]])} />
        <FilterSelect label="Kind" testId="filter-kind" value={kind} onChange={setKind} options={kinds.map((name) => [name, KIND_LABELS[name]])} />
        <FilterSelect label="Site" testId="filter-site" value={site} onChange={setSite} options={siteUrls.map((url) => [url, sites.nameOf(url)])} />
        <label>
          Search
          <input type="search" data-testid="filter-text" value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
        <label class="journal__technical">
          <input type="checkbox" data-testid="show-technical" checked={technical} onChange={(event) => setTechnical(event.currentTarget.checked)} />
          Show technical entries
        </label>
      </form>

      {journal === undefined ? null : view.entries.length === 0 ? (
        <p class="hint" data-testid="journal-empty">
          {entries.length === 0 ? 'Nothing synced yet: each change shows up here as it reaches the other site.' : 'No entries match these filters.'}
        </p>
      ) : (
        <ol class="journal__list journal__list--page" data-testid="journal-list" aria-label="Journal entries, newest first">
          {view.entries.map((entry) => (
            <JournalItem key={entry.id} entry={entry} now={now} {...sites} />
          ))}
        </ol>
      )}
      {view.hidden > 0 ? (
        <p class="hint" data-testid="journal-hidden">
          Showing the newest {view.entries.length} of {view.matching.length} matching entries. Export to see them all.
        </p>
      ) : null}
    </main>
  );
}

interface FilterSelectProps {
  label: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  /** Value and label of each choice besides "All". */
  options: readonly (readonly [string, string])[];
}

function FilterSelect({ label, testId, value, onChange, options }: FilterSelectProps) {
  return (
    <label>
      {label}
      <select data-testid={testId} value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        <option value="">All</option>
        {options.map(([choice, text]) => (
          <option key={choice} value={choice}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
