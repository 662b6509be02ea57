import type { JournalEntry } from '../src/journal/entry';
import { directionText, formatDateTime, KIND_LABELS, STATUS_LABELS } from './journal-view';

export function JournalDetail({ entry, onBack }: { entry: JournalEntry; onBack: () => void }) {
  return (
    <div class="journal-detail" data-testid="journal-detail" data-entry-id={entry.id}>
      <button type="button" class="button button--small" data-testid="journal-back" onClick={onBack}>
        ← Back
      </button>
      <dl class="facts journal-detail__facts">
        <dt>Time</dt>
        <dd>
          <time dateTime={new Date(entry.time).toISOString()}>{formatDateTime(entry.time)}</time>
        </dd>
        <dt>Direction</dt>
        <dd>{directionText(entry)}</dd>
        <dt>Site</dt>
        <dd>{entry.site}</dd>
        <dt>Kind</dt>
        <dd>{KIND_LABELS[entry.kind]}</dd>
        <dt>Target</dt>
        <dd class="journal-detail__wrap">{entry.target}</dd>
        <dt>Status</dt>
        <dd>
          <span class={`chip chip--${entry.status}`}>{STATUS_LABELS[entry.status]}</span>
        </dd>
        <dt>Summary</dt>
        <dd class="journal-detail__wrap">{entry.summary}</dd>
        <dt>ID</dt>
        <dd class="journal-detail__wrap">{entry.id}</dd>
      </dl>
      <h3>Detail</h3>
      {entry.detail ? (
        <pre class="journal-detail__text" data-testid="journal-detail-text">
          {entry.detail}
        </pre>
      ) : (
        <p class="hint">No further detail.</p>
      )}
    </div>
  );
}
