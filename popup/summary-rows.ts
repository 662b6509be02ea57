import type { ContentSummary } from '../src/protocol/runtime';

export interface SummaryRow {
  label: string;
  /** One per site, in the order given. */
  values: string[];
  /** Full text where the shown value is shortened (the plugin list). */
  titles: string[];
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

/** The sites' summaries side by side, for the "which site to keep" question. */
export function summaryRows(summaries: readonly ContentSummary[]): SummaryRow[] {
  const row = (label: string, values: string[], titles: string[] = values): SummaryRow => ({
    label,
    values,
    titles,
    differs: new Set(titles).size > 1,
  });
  const plugins = (summary: ContentSummary) => [...summary.plugins].sort();
  return [
    ...COUNTS.map(([label, key]) => row(label, summaries.map((summary) => String(summary[key])))),
    row(
      'Active plugins',
      summaries.map((summary) => formatPlugins(plugins(summary))),
      summaries.map((summary) => plugins(summary).join(', ') || 'None'),
    ),
    row('Theme', summaries.map((summary) => summary.theme || 'None')),
  ];
}
