import { useMemo } from 'preact/hooks';
import { localOnlyGroups } from './local-only-view';

/** "What does not sync": the local-only rules with their reasons, folded away until asked for. */
export function LocalOnlyPanel() {
  const groups = useMemo(localOnlyGroups, []);
  return (
    <details class="local-only" data-testid="local-only">
      <summary>What does not sync</summary>
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
