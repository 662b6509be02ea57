import { describe, expect, it } from 'vitest';
import {
  ENGINE_TABLE_PREFIX,
  LOCAL_ONLY,
  classifyTable,
  isLocalOnlyRow,
  localOnlyPhpArray,
  localOnlySqlPredicate,
} from '../../src/sync/local-only';

describe('classifyTable', () => {
  it.each([
    ['_wp_sqlite_global_variables', 'wp_'],
    ['_wp_sqlite_mysql_information_schema_tables', 'wp_'],
    [`${ENGINE_TABLE_PREFIX}changelog`, 'wp_'],
    [`${ENGINE_TABLE_PREFIX}changelog`, 'custom_'],
    ['sqlite_sequence', 'wp_'],
    ['sqlite_stat1', 'wp_'],
    ['_mysql_data_types_cache', 'wp_'],
  ])('never syncs %s (prefix %s)', (table, prefix) => {
    expect(classifyTable(table, prefix)).toEqual({ sync: 'never' });
  });

  it.each([
    ['wp_options', 'wp_', 'options', null],
    ['wp_2_options', 'wp_', 'options', 2],
    ['wp_17_postmeta', 'wp_', null, null],
    ['wp_sitemeta', 'wp_', 'sitemeta', null],
    ['wp_usermeta', 'wp_', 'usermeta', null],
    ['site7_options', 'site7_', 'options', null],
    ['site7_3_options', 'site7_', 'options', 3],
    ['WP_options', 'WP_', 'options', null],
  ])('filters rows of %s (prefix %s)', (table, prefix, ruleTable, blogId) => {
    const result = classifyTable(table, prefix);
    if (ruleTable === null) {
      expect(result).toEqual({ sync: 'all' });
      return;
    }
    expect(result).toMatchObject({ sync: 'filtered', rule: { table: ruleTable }, blogId });
  });

  it.each([
    ['wp_posts', 'wp_'],
    ['wp_postmeta', 'wp_'],
    ['wp_options', 'custom_'], // another install's table: not ours to interpret
    ['wp_2_sitemeta', 'wp_'], // sitemeta is network-wide: no per-blog copy exists
    ['wp_2_usermeta', 'wp_'],
    ['wp_0_options', 'wp_'],
    ['wp_x_options', 'wp_'],
    ['wp_options_backup', 'wp_'],
    ['wp_woocommerce_sessions', 'wp_'],
    ['wp_wp_sqlite_x', 'wp_'],
  ])('syncs %s whole (prefix %s)', (table, prefix) => {
    expect(classifyTable(table, prefix)).toEqual({ sync: 'all' });
  });

  it.each(['', 'wp-', 'wp_;DROP', "wp_'"])('refuses the table prefix %j', (prefix) => {
    expect(() => classifyTable('wp_options', prefix)).toThrow(RangeError);
  });
});

describe('isLocalOnlyRow', () => {
  const option = (name: unknown) => ({ option_id: 1, option_name: name, option_value: 'x', autoload: 'yes' });

  it.each([
    'cron',
    'doing_cron',
    'rewrite_rules',
    'siteurl',
    'home',
    'recently_activated',
    'recovery_keys',
    'db_version',
    'db_upgraded',
    'auth_key',
    'nonce_salt',
    'logged_in_key',
    'secure_auth_salt',
    '_transient_doing_cron',
    '_transient_timeout_feed_abc',
    '_site_transient_update_plugins',
    '_site_transient_timeout_theme_roots',
    'auto_updater.lock',
    'core_updater.lock',
    'term_split.lock',
    'update_comment_type.lock',
    '_wp_session_3f2a',
    '_wp_session_expires_3f2a',
  ])('keeps the option %s local', (name) => {
    expect(isLocalOnlyRow('wp_options', 'wp_', option(name))).toBe(true);
    expect(isLocalOnlyRow('wp_5_options', 'wp_', option(name))).toBe(true);
  });

  it.each([
    'blogname',
    'active_plugins',
    'template',
    'stylesheet',
    'permalink_structure',
    'widget_block',
    'theme_mods_twentytwentyfour',
    'Cron', // names are matched exactly
    'crons',
    'my_cron',
    'homepage',
    'transient_x',
    'x_transient_y',
    '.lockfile',
    'wp_lock',
    'sidebars_widgets',
    'initial_db_version',
  ])('syncs the option %s', (name) => {
    expect(isLocalOnlyRow('wp_options', 'wp_', option(name))).toBe(false);
  });

  it('matches meta tables on meta_key', () => {
    const meta = (key: unknown) => ({ umeta_id: 3, user_id: 1, meta_key: key, meta_value: 'a:0:{}' });
    expect(isLocalOnlyRow('wp_usermeta', 'wp_', meta('session_tokens'))).toBe(true);
    expect(isLocalOnlyRow('wp_usermeta', 'wp_', meta('wp_capabilities'))).toBe(false);
    expect(isLocalOnlyRow('wp_sitemeta', 'wp_', meta('_site_transient_update_core'))).toBe(true);
    expect(isLocalOnlyRow('wp_sitemeta', 'wp_', meta('siteurl'))).toBe(true);
    expect(isLocalOnlyRow('wp_sitemeta', 'wp_', meta('active_sitewide_plugins'))).toBe(false);
    // Synced on purpose: see the comment in local-only.ts.
    expect(isLocalOnlyRow('wp_postmeta', 'wp_', meta('_edit_lock'))).toBe(false);
  });

  it('treats a missing or non-string name as synced, and local-only tables wholesale', () => {
    expect(isLocalOnlyRow('wp_options', 'wp_', { option_id: 1 })).toBe(false);
    expect(isLocalOnlyRow('wp_options', 'wp_', option(null))).toBe(false);
    expect(isLocalOnlyRow('wp_options', 'wp_', option(42))).toBe(false);
    expect(isLocalOnlyRow('sqlite_sequence', 'wp_', { name: 'wp_posts', seq: 5 })).toBe(true);
    expect(isLocalOnlyRow('wp_posts', 'wp_', { ID: 1, post_title: 'cron' })).toBe(false);
  });

  it('does not read inherited properties as columns', () => {
    const row = Object.create({ option_name: 'cron' }) as Record<string, unknown>;
    expect(isLocalOnlyRow('wp_options', 'wp_', row)).toBe(false);
  });
});

describe('localOnlySqlPredicate', () => {
  it('is constant for whole tables', () => {
    expect(localOnlySqlPredicate('_wp_sqlite_global_variables', 'wp_', 'NEW')).toBe('1');
    expect(localOnlySqlPredicate('wp_posts', 'wp_', 'NEW')).toBe('0');
  });

  it('tests exact names, prefixes and suffixes without LIKE wildcards', () => {
    const sql = localOnlySqlPredicate('wp_3_options', 'wp_', 'OLD');
    expect(sql.startsWith('(OLD."option_name" IS NOT NULL AND (OLD."option_name" IN (\'cron\', ')).toBe(true);
    expect(sql).toContain("substr(OLD.\"option_name\", 1, 11) = '_transient_'");
    expect(sql).toContain("substr(OLD.\"option_name\", 1, 16) = '_site_transient_'");
    expect(sql).toContain("substr(OLD.\"option_name\", -5) = '.lock'");
    expect(sql).not.toMatch(/LIKE/i);
  });

  it('uses meta_key for usermeta', () => {
    expect(localOnlySqlPredicate('wp_usermeta', 'wp_', 'NEW')).toBe(
      `(NEW."meta_key" IS NOT NULL AND (NEW."meta_key" IN ('session_tokens')))`,
    );
  });

  it('quotes what it embeds', () => {
    const list = {
      ...LOCAL_ONLY,
      rows: [{ ...LOCAL_ONLY.rows[0]!, column: 'we"ird', exact: ["it's"], prefixes: [], suffixes: [] }],
    };
    expect(localOnlySqlPredicate('wp_options', 'wp_', 'NEW', list)).toBe(
      `(NEW."we""ird" IS NOT NULL AND (NEW."we""ird" IN ('it''s')))`,
    );
  });

  it.each(['NEW; DROP TABLE x', 'new.row', '', '1NEW'])('refuses the row alias %j', (alias) => {
    expect(() => localOnlySqlPredicate('wp_options', 'wp_', alias)).toThrow(RangeError);
  });
});

describe('the list itself', () => {
  it('is plain ASCII, so JS, PHP and SQLite measure and compare it alike', () => {
    const strings = [
      ...LOCAL_ONLY.tablePrefixes,
      ...LOCAL_ONLY.tables,
      ...LOCAL_ONLY.rows.flatMap((rule) => [rule.column, ...rule.exact, ...rule.prefixes, ...rule.suffixes]),
    ];
    for (const text of strings) expect(text).toMatch(/^[\x20-\x7e]+$/);
  });

  it('covers the engine tables with the never-synced prefixes', () => {
    expect(LOCAL_ONLY.tablePrefixes.some((prefix) => ENGINE_TABLE_PREFIX.startsWith(prefix))).toBe(true);
  });

  it('renders as a PHP array expression with escaped literals', () => {
    const php = localOnlyPhpArray({
      tablePrefixes: ["a'b"],
      tables: ['c\\d'],
      rows: [],
    });
    expect(php).toBe(`['tablePrefixes' => ['a\\'b'], 'tables' => ['c\\\\d'], 'rows' => []]`);
    expect(localOnlyPhpArray()).toContain(`'perBlog' => true`);
  });
});
