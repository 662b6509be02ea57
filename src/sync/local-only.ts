/**
 * The one list of data that stays local to each site and is never captured, sent or applied.
 *
 * Capture (SQLite triggers, generated in PHP), replay (defence against a peer that sends it
 * anyway) and the popup all read this list: TS code through the functions below, PHP through
 * `localOnlyPhpArray()` + src/php/local-only.php, which implements the same matching.
 */

/**
 * Tables the sync engine creates (changelog, cursors, row versions, the applying marker), always
 * through the raw SQLite PDO.
 *
 * Why inside the driver's reserved `_wp_sqlite_` namespace: the AST driver's information-schema
 * reconstructor (run whenever a newer driver version opens the database) imports every table
 * not named `_wp_sqlite_*` / `sqlite_*` as a MySQL table. Ours would then show in `SHOW TABLES`,
 * exports and `dbDelta`, and a table definition it cannot parse back would throw inside the
 * driver's configuration transaction and take the whole site down. Under the reserved prefix the
 * reconstructor skips them and the driver refuses any MySQL query naming them ("prefix is
 * reserved"), so no plugin can touch them through `$wpdb`. The distinct `pgsync_` part keeps
 * them apart from the driver's own `_wp_sqlite_mysql_information_schema_*`, `_wp_sqlite_tmp_*`
 * and `_wp_sqlite_global_variables`. Only raw PDO reaches them, which is how the engine works.
 */
export const ENGINE_TABLE_PREFIX = '_wp_sqlite_pgsync_';

/** Which WordPress table a row rule is about, by its name without `$table_prefix`. */
export type RuleTable = 'options' | 'sitemeta' | 'usermeta' | 'postmeta';

export interface KeyRule {
  readonly table: RuleTable;
  /** The column holding the name the rule matches. */
  readonly column: string;
  /** `true`: one table per blog (`wp_options`, multisite `wp_2_options`); `false`: network-wide only. */
  readonly perBlog: boolean;
  readonly exact: readonly string[];
  readonly prefixes: readonly string[];
  readonly suffixes: readonly string[];
  /** Shown in the popup next to the rule. */
  readonly why: string;
}

export interface LocalOnlyList {
  /** Whole tables, matched on the full name (no `$table_prefix`: these names are fixed). */
  readonly tablePrefixes: readonly string[];
  readonly tables: readonly string[];
  /** Rows of WordPress tables, matched on a name column. */
  readonly rows: readonly KeyRule[];
}

// wp_salt() stores these with update_site_option() when wp-config keeps the sample
// "put your unique phrase here" values, as Playground's does: per-site secrets, and a peer's
// newer one would log this tab out and void its nonces.
const SALT_OPTIONS = ['auth', 'secure_auth', 'logged_in', 'nonce'].flatMap((scheme) => [
  `${scheme}_key`,
  `${scheme}_salt`,
]);

export const LOCAL_ONLY: LocalOnlyList = {
  tablePrefixes: [
    // The SQLite driver's MySQL emulation (information schema, global variables, temp tables) and ours.
    '_wp_sqlite_',
    // SQLite's own (sqlite_sequence, sqlite_stat1, ...): triggers cannot even be attached to them.
    'sqlite_',
  ],
  // The legacy translator's column-type cache (sqlite-database-integration 2.x).
  tables: ['_mysql_data_types_cache'],
  rows: [
    {
      table: 'options',
      column: 'option_name',
      perBlog: true,
      exact: [
        'cron',
        'doing_cron',
        'rewrite_rules',
        'siteurl',
        'home',
        'recently_activated',
        'recovery_keys',
        // The schema level of this site's own WordPress: members may run different versions.
        'db_version',
        'db_upgraded',
        ...SALT_OPTIONS,
      ],
      prefixes: ['_transient_', '_site_transient_', '_wp_session'],
      // WP_Upgrader::create_lock() names its option "<name>.lock": core_updater.lock,
      // auto_updater.lock, and core's batch jobs (term_split.lock, update_comment_type.lock).
      suffixes: ['.lock'],
      why:
        'Caches, schedules, locks and secrets of this site: transients, cron, rewrite rules (regenerated), ' +
        'the site URL (differs per tab), the database version of its own WordPress, updater and batch-job locks, ' +
        'salts, recovery keys, sessions.',
    },
    {
      table: 'sitemeta',
      column: 'meta_key',
      perBlog: false,
      exact: ['siteurl', ...SALT_OPTIONS],
      prefixes: ['_site_transient_'],
      suffixes: [],
      why: 'Multisite network caches, the network URL and salts.',
    },
    {
      table: 'usermeta',
      column: 'meta_key',
      perBlog: false,
      exact: ['session_tokens'],
      prefixes: [],
      suffixes: [],
      why: "Login sessions: a peer's would overwrite this tab's and log it out.",
    },
    // postmeta `_edit_lock` is synced on purpose. It is WordPress's only signal that a post is
    // open in an editor: with different users in the two tabs it produces the "currently
    // editing" warning and takeover dialog, the one guard against last-writer-wins silently
    // dropping one side's edit; with the same user in both tabs WordPress ignores its own lock.
    // The cost is one small row per editor heartbeat.
  ],
};

export type TableClass =
  | { readonly sync: 'never' }
  | { readonly sync: 'filtered'; readonly rule: KeyRule; readonly blogId: number | null }
  | { readonly sync: 'all' };

const TABLE_PREFIX_PATTERN = /^[A-Za-z0-9_]+$/;
const SQL_ALIAS_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * How a table syncs, for a site whose `$table_prefix` (multisite: `$wpdb->base_prefix`) is
 * `tablePrefix`. Multisite blog tables are `<prefix><blog id>_<name>`.
 */
export function classifyTable(tableName: string, tablePrefix: string, list: LocalOnlyList = LOCAL_ONLY): TableClass {
  if (!TABLE_PREFIX_PATTERN.test(tablePrefix)) throw new RangeError(`Bad table prefix ${JSON.stringify(tablePrefix)}`);
  if (list.tables.includes(tableName) || list.tablePrefixes.some((prefix) => tableName.startsWith(prefix))) {
    return { sync: 'never' };
  }
  if (!tableName.startsWith(tablePrefix)) return { sync: 'all' };
  const match = /^(?:([1-9][0-9]*)_)?([a-z]+)$/.exec(tableName.slice(tablePrefix.length));
  if (!match) return { sync: 'all' };
  const blogId = match[1] === undefined ? null : Number(match[1]);
  const rule = list.rows.find((candidate) => candidate.table === match[2] && (blogId === null || candidate.perBlog));
  return rule ? { sync: 'filtered', rule, blogId } : { sync: 'all' };
}

export function isLocalOnlyKey(rule: KeyRule, key: unknown): boolean {
  if (typeof key !== 'string') return false;
  return (
    rule.exact.includes(key) ||
    rule.prefixes.some((prefix) => key.startsWith(prefix)) ||
    rule.suffixes.some((suffix) => key.endsWith(suffix))
  );
}

/** Whether a row (column name → value) of `tableName` must stay local. */
export function isLocalOnlyRow(
  tableName: string,
  tablePrefix: string,
  row: Readonly<Record<string, unknown>>,
  list: LocalOnlyList = LOCAL_ONLY,
): boolean {
  const table = classifyTable(tableName, tablePrefix, list);
  if (table.sync === 'never') return true;
  if (table.sync === 'all') return false;
  return Object.hasOwn(row, table.rule.column) && isLocalOnlyKey(table.rule, row[table.rule.column]);
}

/**
 * An SQLite expression that is 1 for local-only rows of `tableName` and 0 otherwise, over the
 * row `rowAlias` (`NEW` / `OLD` in a trigger): `'1'` for a local-only table, `'0'` for a table
 * synced whole. Case-sensitive and wildcard-free (`substr`, not `LIKE`, whose `_` matches any
 * character); a NULL name counts as synced.
 */
export function localOnlySqlPredicate(
  tableName: string,
  tablePrefix: string,
  rowAlias: string,
  list: LocalOnlyList = LOCAL_ONLY,
): string {
  if (!SQL_ALIAS_PATTERN.test(rowAlias)) throw new RangeError(`Bad row alias ${JSON.stringify(rowAlias)}`);
  const table = classifyTable(tableName, tablePrefix, list);
  if (table.sync === 'never') return '1';
  if (table.sync === 'all') return '0';
  const { rule } = table;
  const column = `${rowAlias}."${rule.column.replaceAll('"', '""')}"`;
  const tests = [
    ...(rule.exact.length > 0 ? [`${column} IN (${rule.exact.map(sqlString).join(', ')})`] : []),
    ...rule.prefixes.map((prefix) => `substr(${column}, 1, ${prefix.length}) = ${sqlString(prefix)}`),
    ...rule.suffixes.map((suffix) => `substr(${column}, -${suffix.length}) = ${sqlString(suffix)}`),
  ];
  if (tests.length === 0) return '0';
  return `(${column} IS NOT NULL AND (${tests.join(' OR ')}))`;
}

/**
 * The list as a PHP array expression, for src/php/local-only.php. Write it to a file as
 * `<?php return <expression>;` and `require` it: it is constant data from this module, never
 * anything received.
 */
export function localOnlyPhpArray(list: LocalOnlyList = LOCAL_ONLY): string {
  return phpValue({
    tablePrefixes: list.tablePrefixes,
    tables: list.tables,
    rows: list.rows.map((rule) => ({
      table: rule.table,
      column: rule.column,
      perBlog: rule.perBlog,
      exact: rule.exact,
      prefixes: rule.prefixes,
      suffixes: rule.suffixes,
    })),
  });
}

type PhpData = string | boolean | readonly PhpData[] | { readonly [key: string]: PhpData };

function phpValue(value: PhpData): string {
  if (typeof value === 'string') return phpString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (isPhpList(value)) return `[${value.map(phpValue).join(', ')}]`;
  return `[${Object.entries(value)
    .map(([key, item]) => `${phpString(key)} => ${phpValue(item)}`)
    .join(', ')}]`;
}

function isPhpList(value: PhpData): value is readonly PhpData[] {
  return Array.isArray(value);
}

/** Single-quoted PHP literal: only `\` and `'` are special inside. */
function phpString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
