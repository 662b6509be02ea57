import { useMemo, useState } from 'preact/hooks';
import { JOURNAL_KINDS, JOURNAL_STATUSES, type JournalEntry } from '../src/journal/entry';
import { countByStatus, toNdjson } from '../src/journal/journal';
import { downloadText } from './download';
import { JournalDetail } from './JournalDetail';
import { JournalRow } from './JournalRow';
import { exportFilename, filterValues, KIND_LABELS, STATUS_LABELS, visibleJournal } from './journal-view';

interface JournalProps {
  journal: readonly JournalEntry[];
  clearing: boolean;
  onClear: () => void;
}

export function Journal({ journal, clearing, onClear }: JournalProps) {
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [openId, setOpenId] = useState<string>();

  const view = useMemo(
    () => visibleJournal(journal, { kinds: filterValues(kind, JOURNAL_KINDS), statuses: filterValues(status, JOURNAL_STATUSES) }),
    [journal, kind, status],
  );
  const counts = useMemo(() => countByStatus(journal), [journal]);
  const open = openId === undefined ? undefined : journal.find((entry) => entry.id === openId);

  const exportEntries = () => downloadText(exportFilename(new Date()), toNdjson(view.matching), 'application/x-ndjson');

  return (
    <section class="journal" data-testid="journal" aria-labelledby="journal-title">
      <div class="section-head">
        <h2 id="journal-title">Journal</h2>
        <div class="journal__actions">
          <button type="button" class="button button--small" data-testid="export" disabled={view.matching.length === 0} onClick={exportEntries}>
            Export NDJSON
          </button>
          <button
            type="button"
            class="button button--small"
            data-testid="clear-journal"
            disabled={journal.length === 0 || clearing}
            onClick={onClear}
          >
            {clearing ? 'Clearing…' : 'Clear'}
          </button>
        </div>
      </div>

      {open ? (
        <JournalDetail entry={open} onBack={() => setOpenId(undefined)} />
      ) : (
        <>
          <ul class="counts" data-testid="journal-counts" aria-label="Entries by status">
            {JOURNAL_STATUSES.map((name) => (
              <li key={name} class={`chip chip--${name}${counts[name] === 0 ? ' chip--none' : ''}`} data-status={name} data-count={counts[name]}>
                {STATUS_LABELS[name]} {counts[name]}
              </li>
            ))}
          </ul>

          <div class="filters">
            <label>
              Kind
              <select data-testid="filter-kind" value={kind} onChange={(event) => setKind(event.currentTarget.value)}>
                <option value="">All kinds</option>
                {JOURNAL_KINDS.map((name) => (
                  <option key={name} value={name}>
                    {KIND_LABELS[name]}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Status
              <select data-testid="filter-status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
                <option value="">All statuses</option>
                {JOURNAL_STATUSES.map((name) => (
                  <option key={name} value={name}>
                    {STATUS_LABELS[name]}
                  </option>
                ))}
              </select>
            </label>
          </div>

          {view.entries.length === 0 ? (
            <p class="hint" data-testid="journal-empty">
              {journal.length === 0 ? 'Nothing synced yet: changes show up here as they flow.' : 'No entries match these filters.'}
            </p>
          ) : (
            <ol class="journal__list" data-testid="journal-list">
              {view.entries.map((entry) => (
                <JournalRow key={entry.id} entry={entry} onOpen={() => setOpenId(entry.id)} />
              ))}
            </ol>
          )}
          {view.hidden > 0 ? (
            <p class="hint" data-testid="journal-hidden">
              Showing the newest {view.entries.length} of {view.matching.length} matching entries; {view.hidden} older ones are hidden.
              Export to see them all.
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}
