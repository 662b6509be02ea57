import { useMemo } from 'preact/hooks';
import type { JournalEntry } from '../src/protocol/journal-entry';
import { JournalItem, type JournalItemProps } from './JournalItem';
import { peopleJournal } from './journal-people';
import { openJournalPage } from './tab-actions';
import { useTechnicalEntries } from './use-technical-entries';

/** Entries the popup shows: the latest few; the journal's page has them all. */
export const POPUP_JOURNAL_ENTRIES = 5;

interface JournalProps extends Pick<JournalItemProps, 'nameOf' | 'onOpenInTabs' | 'canOpenInTabs' | 'onRetry' | 'canRetry' | 'now'> {
  journal: readonly JournalEntry[];
}

/** The latest changes, said for people, and the way to the full journal. */
export function Journal({ journal, ...item }: JournalProps) {
  const [technical, setTechnical] = useTechnicalEntries();
  const entries = useMemo(() => peopleJournal(journal, { technical }), [journal, technical]);
  const latest = entries.slice(-POPUP_JOURNAL_ENTRIES).reverse();
  return (
    <section class="journal" data-testid="journal" aria-labelledby="journal-title">
      <div class="section-head">
        <h2 id="journal-title">Latest changes</h2>
        <button type="button" class="link" data-testid="open-journal" onClick={() => void openJournalPage()}>
          Open full journal{entries.length > POPUP_JOURNAL_ENTRIES ? ` (${entries.length})` : ''}
        </button>
      </div>
      <label class="journal__technical">
        <input type="checkbox" data-testid="show-technical" checked={technical} onChange={(event) => setTechnical(event.currentTarget.checked)} />
        Show technical entries
      </label>
      {latest.length === 0 ? (
        <p class="hint" data-testid="journal-empty">
          Nothing synced yet: each change shows up here as it reaches the other site.
        </p>
      ) : (
        <ol class="journal__list" data-testid="journal-list">
          {latest.map((entry) => (
            <JournalItem key={entry.id} entry={entry} {...item} />
          ))}
        </ol>
      )}
    </section>
  );
}
