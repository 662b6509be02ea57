import type { Cell, Row, SiteState } from './site-state';
import { replaceSiteUrl, siteUrlBase } from './site-url';

/**
 * Compares two sites' states the way a convergence test needs it: each site's own URL is first
 * replaced by one placeholder (see site-url.ts for the spellings and the PHP-serialized case), then
 * tables, columns, rows (matched by primary key), cells and file hashes are compared. Every
 * difference comes back as one readable line naming table/key/column or path.
 *
 * What is left out is data: pass `ignore` rules (e.g. `LOCAL_ONLY_RULES`) rather than special
 * cases. File contents are compared by hash only, so URLs inside files are not normalized.
 */

export const SITE_URL_PLACEHOLDER = '{{SITE_URL}}';

/** Matches a WordPress table name with any prefix, multisite blog prefixes included (wp_2_options). */
export function wpTable(name: string): RegExp {
  return new RegExp(`^[A-Za-z0-9_]*?_(?:\\d+_)?${name}$`);
}

export type ValueMatcher = string | RegExp;

export type IgnoreRule =
  | { readonly kind: 'table'; readonly table: RegExp; readonly why: string }
  | {
      readonly kind: 'row';
      readonly table: RegExp;
      /** Every listed column must match (strings exactly, RegExps by test), on either site's row. */
      readonly where: Readonly<Record<string, ValueMatcher>>;
      readonly why: string;
    }
  | { readonly kind: 'column'; readonly table: RegExp; readonly columns: readonly string[]; readonly why: string }
  | { readonly kind: 'file'; readonly path: ValueMatcher; readonly why: string };

/**
 * Rows and files each Playground keeps for itself: a sync engine must not copy them and a
 * convergence test must not expect them to match. Extend by adding data here, not code.
 */
export const LOCAL_ONLY_RULES: readonly IgnoreRule[] = [
  {
    kind: 'row',
    table: wpTable('options'),
    where: { option_name: /^_(?:site_)?transient_/ },
    why: 'transients are caches (doing_cron, update checks, feeds), rebuilt by each site',
  },
  { kind: 'row', table: wpTable('options'), where: { option_name: 'cron' }, why: 'scheduled events run per site' },
  {
    kind: 'row',
    table: wpTable('usermeta'),
    where: { meta_key: 'session_tokens' },
    why: 'login sessions belong to the browser tab that logged in',
  },
  {
    kind: 'row',
    table: wpTable('usermeta'),
    where: { meta_key: /^[A-Za-z0-9_]*user-settings(?:-time)?$/ },
    why: 'wp-admin UI settings mirrored from the wp-settings cookies of each tab',
  },
  {
    kind: 'row',
    table: wpTable('options'),
    where: { option_name: /^(?:auth|secure_auth|logged_in|nonce)_(?:key|salt)$/ },
    why: 'cookie and nonce secrets generated lazily by each site',
  },
];

export interface StateDifference {
  readonly kind: 'table' | 'schema' | 'row' | 'cell' | 'file';
  /** e.g. `wp_posts[ID=4].post_title`, `wp_posts[ID=4]`, `file wp-content/a.txt`. */
  readonly where: string;
  readonly table?: string;
  readonly key?: string;
  readonly column?: string;
  readonly path?: string;
  /** The normalized values; `undefined` where one side has nothing. */
  readonly a: unknown;
  readonly b: unknown;
  /** One readable line: where, then what a has and what b has. */
  readonly description: string;
}

export interface CompareOptions {
  /** Site A's URL (any form, e.g. `https://playground.wordpress.net/scope:a/`). */
  readonly aUrl: string;
  readonly bUrl: string;
  readonly ignore?: readonly IgnoreRule[];
}

export function compareSiteStates(a: SiteState, b: SiteState, options: CompareOptions): StateDifference[] {
  const rules = options.ignore ?? [];
  const aBase = siteUrlBase(options.aUrl);
  const bBase = siteUrlBase(options.bUrl);
  return [
    ...compareTables(a, b, (cell) => normalizeCell(cell, aBase), (cell) => normalizeCell(cell, bBase), rules),
    ...compareFiles(a.files, b.files, rules),
  ];
}

export function formatDifferences(differences: readonly StateDifference[]): string {
  return differences.map((difference) => difference.description).join('\n');
}

function normalizeCell(cell: Cell, base: string): Cell {
  return typeof cell === 'string' ? replaceSiteUrl(cell, base, SITE_URL_PLACEHOLDER) : cell;
}

function matches(matcher: ValueMatcher, value: string): boolean {
  return typeof matcher === 'string' ? matcher === value : matcher.test(value);
}

function cellText(cell: Cell | undefined): string | undefined {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number') return String(cell);
  return undefined;
}

function rowIgnored(table: string, row: Row, rules: readonly IgnoreRule[]): boolean {
  return rules.some((rule) => {
    if (rule.kind !== 'row' || !rule.table.test(table)) return false;
    return Object.entries(rule.where).every(([column, matcher]) => {
      const text = cellText(row[column]);
      return text !== undefined && matches(matcher, text);
    });
  });
}

function ignoredColumns(table: string, rules: readonly IgnoreRule[]): Set<string> {
  const columns = new Set<string>();
  for (const rule of rules) {
    if (rule.kind === 'column' && rule.table.test(table)) rule.columns.forEach((column) => columns.add(column));
  }
  return columns;
}

/** JSON with sorted keys: equal values give equal text. */
function stableJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : item,
  );
}

function rowKey(row: Row, primaryKey: readonly string[]): string {
  if (primaryKey.length === 0) return `#${stableJson(row)}`;
  return primaryKey.map((column) => `${column}=${cellText(row[column]) ?? stableJson(row[column])}`).join(',');
}

/** Rows by key; tables without a primary key get an occurrence counter so duplicates are kept. */
function indexRows(rows: readonly Row[], primaryKey: readonly string[]): Map<string, Row> {
  const index = new Map<string, Row>();
  for (const row of rows) {
    const base = rowKey(row, primaryKey);
    let key = base;
    for (let n = 2; index.has(key); n += 1) key = `${base}#${n}`;
    index.set(key, row);
  }
  return index;
}

function compareTables(
  a: SiteState,
  b: SiteState,
  normalizeA: (cell: Cell) => Cell,
  normalizeB: (cell: Cell) => Cell,
  rules: readonly IgnoreRule[],
): StateDifference[] {
  const differences: StateDifference[] = [];
  const names = [...new Set([...Object.keys(a.tables), ...Object.keys(b.tables)])].sort();
  for (const table of names) {
    if (rules.some((rule) => rule.kind === 'table' && rule.table.test(table))) continue;
    const aRows = a.tables[table];
    const bRows = b.tables[table];
    if (aRows === undefined || bRows === undefined) {
      differences.push(
        difference({ kind: 'table', where: `table ${table}`, table, a: aRows?.length, b: bRows?.length }, 'rows'),
      );
      continue;
    }
    const skipColumns = ignoredColumns(table, rules);
    differences.push(...compareSchema(table, a, b, skipColumns));
    const primaryKey = a.schema[table]?.primaryKey ?? b.schema[table]?.primaryKey ?? [];
    // Keys of rows an ignore rule matches on either side: such a row must not show up as missing.
    const ignoredKeys = new Set<string>();
    const prepare = (rows: readonly Row[], normalize: (cell: Cell) => Cell) => {
      const kept: Row[] = [];
      for (const row of rows) {
        const normalized = Object.fromEntries(Object.entries(row).map(([column, cell]) => [column, normalize(cell)]));
        const compared = Object.fromEntries(Object.entries(normalized).filter(([column]) => !skipColumns.has(column)));
        if (rowIgnored(table, normalized, rules)) ignoredKeys.add(rowKey(compared, primaryKey));
        else kept.push(compared);
      }
      return indexRows(kept, primaryKey);
    };
    const aIndex = prepare(aRows, normalizeA);
    const bIndex = prepare(bRows, normalizeB);
    const keys = [...new Set([...aIndex.keys(), ...bIndex.keys()])].filter((key) => !ignoredKeys.has(key));
    for (const key of keys) {
      const aRow = aIndex.get(key);
      const bRow = bIndex.get(key);
      const where = `${table}[${key}]`;
      if (aRow === undefined || bRow === undefined) {
        differences.push(difference({ kind: 'row', where, table, key, a: aRow, b: bRow }, 'row'));
        continue;
      }
      for (const column of [...new Set([...Object.keys(aRow), ...Object.keys(bRow)])]) {
        if (stableJson(aRow[column]) === stableJson(bRow[column])) continue;
        differences.push(
          difference({ kind: 'cell', where: `${where}.${column}`, table, key, column, a: aRow[column], b: bRow[column] }),
        );
      }
    }
  }
  return differences;
}

function compareSchema(table: string, a: SiteState, b: SiteState, skipColumns: Set<string>): StateDifference[] {
  const aColumns = new Map((a.schema[table]?.columns ?? []).map((column) => [column.name, column]));
  const bColumns = new Map((b.schema[table]?.columns ?? []).map((column) => [column.name, column]));
  const differences: StateDifference[] = [];
  for (const column of [...new Set([...aColumns.keys(), ...bColumns.keys()])]) {
    if (skipColumns.has(column)) continue;
    const aColumn = aColumns.get(column);
    const bColumn = bColumns.get(column);
    if (stableJson(aColumn) === stableJson(bColumn)) continue;
    differences.push(difference({ kind: 'schema', where: `schema ${table}.${column}`, table, column, a: aColumn, b: bColumn }));
  }
  return differences;
}

function compareFiles(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
  rules: readonly IgnoreRule[],
): StateDifference[] {
  const differences: StateDifference[] = [];
  const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const path of paths) {
    if (rules.some((rule) => rule.kind === 'file' && matches(rule.path, path))) continue;
    if (a[path] === b[path]) continue;
    differences.push(difference({ kind: 'file', where: `file ${path}`, path, a: a[path], b: b[path] }, 'file'));
  }
  return differences;
}

type Draft = Omit<StateDifference, 'description'>;

function difference(draft: Draft, noun?: string): StateDifference {
  let what: string;
  if (draft.a === undefined) what = `only on b${noun ? ` (${noun} ${preview(draft.b)})` : ''}`;
  else if (draft.b === undefined) what = `only on a${noun ? ` (${noun} ${preview(draft.a)})` : ''}`;
  else what = describeChange(draft.a, draft.b);
  return { ...draft, description: `${draft.where}: ${what}` };
}

const PREVIEW = 160;

function preview(value: unknown): string {
  const text = stableJson(value);
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

/** `a … ≠ b …`, centred on the first differing character for long strings. */
function describeChange(a: unknown, b: unknown): string {
  if (typeof a !== 'string' || typeof b !== 'string' || (a.length <= PREVIEW && b.length <= PREVIEW)) {
    return `a=${preview(a)} ≠ b=${preview(b)}`;
  }
  let at = 0;
  while (at < a.length && a[at] === b[at]) at += 1;
  const from = Math.max(0, at - 40);
  const window = (text: string) => `${from > 0 ? '…' : ''}${JSON.stringify(text.slice(from, at + 80))}…`;
  return `differs at char ${at}: a=${window(a)} ≠ b=${window(b)}`;
}
