import type { JournalEntry } from '../src/journal/entry';
import { journalRowView } from './journal-view';

export function JournalRow({ entry, onOpen }: { entry: JournalEntry; onOpen: () => void }) {
  const row = journalRowView(entry);
  return (
    <li class="journal-entry" data-testid="journal-entry" data-status={row.status} data-kind={row.kind} data-entry-id={row.id}>
      <button type="button" class="journal-entry__button" onClick={onOpen} title="Show details">
        <span class="journal-entry__meta">
          <time class="journal-entry__time">{row.clock}</time>
          <span class="journal-entry__direction" title={row.direction} aria-label={row.direction}>
            {row.arrow}
          </span>
          <span class="journal-entry__kind">{row.kindLabel}</span>
          <span class="journal-entry__target" title={row.target}>
            {row.target}
          </span>
          <span class={`chip chip--${row.status}`}>{row.statusLabel}</span>
        </span>
        <span class="journal-entry__summary">{row.summary}</span>
      </button>
    </li>
  );
}
