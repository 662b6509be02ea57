import type { SummaryRow } from './summary-rows';

export function SummaryTable({ names, rows }: { names: readonly string[]; rows: readonly SummaryRow[] }) {
  return (
    <table class="summary" data-testid="summary">
      <colgroup>
        <col class="summary__labels" />
        {names.map((name) => (
          <col key={name} />
        ))}
      </colgroup>
      <thead>
        <tr>
          <th scope="col">
            <span class="visually-hidden">Content</span>
          </th>
          {names.map((name) => (
            <th scope="col" key={name}>
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label} class={row.differs ? 'summary__row--differs' : undefined}>
            <th scope="row">{row.label}</th>
            {row.values.map((value, index) => (
              <td key={index} title={row.titles[index]}>
                {value}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
