import type { ContentSummary } from '../src/protocol/runtime';

export interface SummaryRow {
  label: string;
  values: [string, string];
  /** Full text where the shown value is shortened (the plugin list). */
  titles: [string, string];
  differs: boolean;
}

const SHOWN_PLUGINS = 3;

export function formatPlugins(plugins: readonly string[]): string {
  if (plugins.length === 0) return 'None';
  if (plugins.length <= SHOWN_PLUGINS) return plugins.join(', ');
  return `${plugins.slice(0, SHOWN_PLUGINS).join(', ')} +${plugins.length - SHOWN_PLUGINS} more`;
}

const COUNTS = [
  ['Posts', 'posts'],
  ['Pages', 'pages'],
  ['Comments', 'comments'],
  ['Users', 'users'],
  ['Media', 'media'],
  ['Database rows', 'rows'],
  ['Files', 'files'],
] as const;

/** Both sites' summaries side by side, for the "which site to keep" question. */
export function summaryRows(left: ContentSummary, right: ContentSummary): SummaryRow[] {
  const row = (label: string, a: string, b: string, titles: [string, string] = [a, b]): SummaryRow => ({
    label,
    values: [a, b],
    titles,
    differs: titles[0] !== titles[1],
  });
  const plugins = (summary: ContentSummary) => [...summary.plugins].sort();
  return [
    ...COUNTS.map(([label, key]) => row(label, String(left[key]), String(right[key]))),
    row('Active plugins', formatPlugins(plugins(left)), formatPlugins(plugins(right)), [
      plugins(left).join(', ') || 'None',
      plugins(right).join(', ') || 'None',
    ]),
    row('Theme', left.theme || 'None', right.theme || 'None'),
  ];
}
