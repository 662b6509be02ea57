import { useLayoutEffect, useRef } from 'preact/hooks';
import type { DifferSide } from './command-reply';
import { listNames } from './site-names';
import { summaryRows } from './summary-rows';
import { SummaryTable } from './SummaryTable';

interface DifferPanelProps {
  sides: readonly DifferSide[];
  names: readonly string[];
  busy: boolean;
  onKeep: (tabId: number) => void;
  onCancel: () => void;
}

/**
 * Which site to keep. It asks for an answer, so focus moves to its heading when it opens (a screen
 * reader reads the question; Tab reaches "Keep …" next), and Esc answers Cancel. Where focus goes
 * when it closes is the App's business (back to the button that opened it).
 */
export function DifferPanel({ sides, names, busy, onKeep, onCancel }: DifferPanelProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => heading.current?.focus(), []);
  const rows = summaryRows(sides.map((side) => side.summary));
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || busy) return;
    // This Esc is used up here: nothing else (an enclosing panel, the browser) should act on it too.
    event.preventDefault();
    event.stopPropagation();
    onCancel();
  };
  return (
    <section class="card differ" data-testid="differ" aria-labelledby="differ-title" onKeyDown={onKeyDown}>
      <h2 id="differ-title" tabIndex={-1} ref={heading}>
        These sites already hold different content
      </h2>
      <p>
        Only one can be kept. The site you keep is copied over the {sides.length > 2 ? 'others' : 'other one'}: their posts, pages, users,
        plugins and files are <strong>replaced</strong>, then {sides.length > 2 ? `all ${sides.length}` : 'the two'} stay in sync.
      </p>
      <SummaryTable names={names} rows={rows} />
      {!rows.some((row) => row.differs) && (
        <p class="differ__unseen" data-testid="differ-unseen">
          The counts match, but what is in them differs (post text, settings or theme files, for example).
        </p>
      )}
      <div class="differ__choices">
        {sides.map((side, index) => (
          <div class="differ__choice" key={side.tabId}>
            <button
              type="button"
              class="button button--primary"
              data-testid={`keep-${side.tabId}`}
              disabled={busy}
              onClick={() => onKeep(side.tabId)}
            >
              Keep {names[index]}
            </button>
            <span class="differ__explain">Replaces {listNames(names.filter((_, other) => other !== index))} with a copy of it</span>
          </div>
        ))}
      </div>
      <div class="differ__cancel">
        <button type="button" class="button" data-testid="differ-cancel" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
