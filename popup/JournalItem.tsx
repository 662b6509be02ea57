import { useRef, useState } from 'preact/hooks';
import { isTechnical, type PeopleEntry } from './journal-people';
import { withSiteNames } from './site-names';
import { describeAgo } from './labels';
import { directionText, formatClock, formatDateTime, STATUS_LABELS } from './journal-view';

export interface JournalItemProps {
  entry: PeopleEntry;
  now: number;
  nameOf: (siteUrl: string) => string;
  /** Opens `path` in the tabs of both sites, when they are still paired. */
  onOpenInTabs?: ((entry: PeopleEntry) => void) | undefined;
  canOpenInTabs?: ((entry: PeopleEntry) => boolean) | undefined;
  /** Applies again what could not be applied (the user fixed its cause). */
  onRetry?: ((entry: PeopleEntry) => void) | undefined;
  canRetry?: ((entry: PeopleEntry) => boolean) | undefined;
}

/** "Lively River → Daring Lagoon", or the site a line is about ("Sent by Lively River" for a technical line). */
export function routeOf(entry: PeopleEntry, nameOf: (siteUrl: string) => string): string {
  const from = entry.from === 'extension' ? 'Playground Sync' : nameOf(entry.from);
  if (entry.kind === 'change') return `${from} → ${entry.to.length > 0 ? entry.to.map(nameOf).join(', ') : 'the paired site'}`;
  const line = entry.lines[0]!;
  return isTechnical(line) ? directionText({ direction: line.direction, site: from }) : from;
}

/** One journal entry: what happened, between which sites, how it ended; its details open in place. */
export function JournalItem({ entry, now, nameOf, onOpenInTabs, canOpenInTabs, onRetry, canRetry }: JournalItemProps) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const detailId = `journal-detail-${entry.id}`;
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !open) return;
    event.preventDefault();
    event.stopPropagation();
    close();
  };
  const keptBy = entry.lines.find((line) => line.status === 'conflict' && line.kind === 'change')?.site;
  return (
    <li
      class={`journal-entry journal-entry--${entry.status}`}
      data-testid="journal-entry"
      data-status={entry.status}
      data-kind={entry.kind}
      data-entry-id={entry.id}
      onKeyDown={onKeyDown}
    >
      <button type="button" class="journal-entry__button" ref={button} aria-expanded={open} aria-controls={detailId} onClick={() => setOpen(!open)}>
        <span class="journal-entry__summary" data-testid="journal-summary">
          {withSiteNames(entry.summary, nameOf)}
          {entry.count > 1 ? <span class="journal-entry__count"> ×{entry.count}</span> : null}
        </span>
        <span class="journal-entry__meta">
          <span class="journal-entry__route" data-testid="journal-route">
            {routeOf(entry, nameOf)}
          </span>
          <time class="journal-entry__time" dateTime={new Date(entry.time).toISOString()} title={formatDateTime(entry.time)}>
            {describeAgo(entry.time, now)}
          </time>
          <span class={`chip chip--${entry.status}`}>{STATUS_LABELS[entry.status]}</span>
        </span>
      </button>
      {open ? (
        <div class="journal-entry__detail" id={detailId} data-testid="journal-detail">
          {entry.conflict && entry.conflict.length > 0 ? (
            <table class="conflict" data-testid="journal-conflict">
              <caption>Both sites changed this at once. The later change is kept on both sites; the other is overwritten.</caption>
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Kept{keptBy ? ` (${nameOf(keptBy)})` : ''}</th>
                  <th scope="col">Overwritten{entry.from ? ` (${nameOf(entry.from)})` : ''}</th>
                </tr>
              </thead>
              <tbody>
                {entry.conflict.map((value, index) => (
                  <tr key={index}>
                    <th scope="row">{value.field}</th>
                    <td data-testid="conflict-kept">{value.kept}</td>
                    <td data-testid="conflict-lost">{value.lost}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {entry.detail ? (
            <pre class="journal-entry__text" data-testid="journal-detail-text">
              {entry.detail}
            </pre>
          ) : null}
          <ul class="journal-entry__lines" aria-label="What each site did">
            {entry.lines
              .filter((line) => !isTechnical(line))
              .map((line) => (
              <li key={line.id}>
                {directionText({ direction: line.direction, site: line.site === 'extension' ? 'Playground Sync' : nameOf(line.site) })} · {formatClock(line.time)} ·{' '}
                {STATUS_LABELS[line.status]}
              </li>
            ))}
          </ul>
          <div class="journal-entry__actions">
            {onRetry && canRetry?.(entry) ? (
              <button type="button" class="button button--small" data-testid="retry" onClick={() => onRetry(entry)}>
                Try again
              </button>
            ) : null}
            {entry.openPath && onOpenInTabs && canOpenInTabs?.(entry) ? (
              <button type="button" class="button button--small" data-testid="open-in-tabs" onClick={() => onOpenInTabs(entry)}>
                Open in both tabs
              </button>
            ) : null}
            <button type="button" class="button button--small" data-testid="journal-close" onClick={close}>
              Close
            </button>
          </div>
        </div>
      ) : null}
    </li>
  );
}
