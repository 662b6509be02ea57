import { useMemo, useRef } from 'preact/hooks';
import { localOnlyGroups } from './local-only-view';

/**
 * "What does not sync": the local-only rules with their reasons, folded away until asked for. Esc
 * folds it again from anywhere inside, focus back on its summary (the control that opened it).
 */
export function LocalOnlyPanel() {
  const groups = useMemo(localOnlyGroups, []);
  const details = useRef<HTMLDetailsElement>(null);
  const summary = useRef<HTMLElement>(null);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !details.current?.open) return;
    // This Esc is used up here: nothing else (an enclosing panel, the browser) should act on it too.
    event.preventDefault();
    event.stopPropagation();
    details.current.open = false;
    summary.current?.focus();
  };
  return (
    <details class="local-only" data-testid="local-only" ref={details} onKeyDown={onKeyDown}>
      <summary ref={summary}>What does not sync</summary>
      <p class="hint">Each site keeps these to itself: they are never sent, and never overwritten by the other site.</p>
      {groups.map((group) => (
        <section key={group.title} aria-label={group.title}>
          <h3>{group.title}</h3>
          <ul class="local-only__list">
            {group.items.map((item) => (
              <li key={item.what}>
                <code class="local-only__what">{item.what}</code>
                <span class="local-only__why">{item.why}</span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </details>
  );
}
