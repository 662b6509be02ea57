import type { DifferSide } from './command-reply';
import { SummaryTable } from './SummaryTable';

interface DifferPanelProps {
  sides: [DifferSide, DifferSide];
  names: [string, string];
  busy: boolean;
  onKeep: (tabId: number) => void;
  onCancel: () => void;
}

export function DifferPanel({ sides, names, busy, onKeep, onCancel }: DifferPanelProps) {
  return (
    <section class="card differ" data-testid="differ" aria-labelledby="differ-title">
      <h2 id="differ-title">These sites already hold different content</h2>
      <p>
        Only one can be kept. The site you keep is copied over the other one: the other site's posts, pages, users, plugins and
        files are <strong>replaced</strong>, then the two stay in sync.
      </p>
      <SummaryTable names={names} summaries={[sides[0].summary, sides[1].summary]} />
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
            <span class="differ__explain">Replaces {names[1 - index]} with a copy of it</span>
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
