import type { ContentSummary } from '../src/protocol/runtime';
import { summaryRows } from './summary-rows';

export function SummaryTable({ names, summaries }: { names: [string, string]; summaries: [ContentSummary, ContentSummary] }) {
  return (
    <table class="summary" data-testid="summary">
      <colgroup>
        <col class="summary__labels" />
        <col />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">
            <span class="visually-hidden">Content</span>
          </th>
          <th scope="col">{names[0]}</th>
          <th scope="col">{names[1]}</th>
        </tr>
      </thead>
      <tbody>
        {summaryRows(summaries[0], summaries[1]).map((row) => (
          <tr key={row.label} class={row.differs ? 'summary__row--differs' : undefined}>
            <th scope="row">{row.label}</th>
            <td title={row.titles[0]}>{row.values[0]}</td>
            <td title={row.titles[1]}>{row.values[1]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
