import { describe, expect, it } from 'vitest';
import type { SiteState } from '../harness/site-state';
import { LOCAL_ONLY_RULES, compareSiteStates, formatDifferences, wpTable, type IgnoreRule } from '../harness/state-compare';

const aUrl = 'https://playground.wordpress.net/scope:a/';
const bUrl = 'https://playground.wordpress.net/scope:peer-b/';
const A = 'https://playground.wordpress.net/scope:a';
const B = 'https://playground.wordpress.net/scope:peer-b';

const optionColumns = ['option_id', 'option_name', 'option_value', 'autoload'].map((name) => ({
  name,
  type: name === 'option_id' ? 'INTEGER' : 'TEXT',
  notNull: true,
  default: null,
  pk: name === 'option_id' ? 1 : 0,
}));

function state(options: Array<[number, string, string]>, files: Record<string, string> = {}): SiteState {
  return {
    tables: {
      wp_options: options.map(([option_id, option_name, option_value]) => ({ option_id, option_name, option_value, autoload: 'yes' })),
      wp_term_relationships: [],
    },
    schema: {
      wp_options: { columns: optionColumns, primaryKey: ['option_id'] },
      wp_term_relationships: { columns: [], primaryKey: [] },
    },
    files,
    databasePath: '/wordpress/wp-content/database/.ht.sqlite',
    excludedFromFiles: ['/wordpress/wp-content/database'],
  };
}

const hash = (n: number) => n.toString(16).padStart(64, '0');

describe('compareSiteStates', () => {
  it('sees no difference when only the sites’ own URLs differ, serialized lengths included', () => {
    const a = state([
      [1, 'siteurl', A],
      [2, 'widget', `a:1:{s:3:"url";s:${A.length + 3}:"${A}/x/";}`],
      [3, 'json', `{"u":"${A.replaceAll('/', '\\/')}\\/y"}`],
    ]);
    const b = state([
      [1, 'siteurl', B],
      [2, 'widget', `a:1:{s:3:"url";s:${B.length + 3}:"${B}/x/";}`],
      [3, 'json', `{"u":"${B.replaceAll('/', '\\/')}\\/y"}`],
    ]);
    expect(compareSiteStates(a, b, { aUrl, bUrl })).toEqual([]);
  });

  it('reports a peer URL left behind, a changed cell, a missing row and files, one line each', () => {
    const a = state(
      [
        [1, 'siteurl', A],
        [2, 'blogname', 'Site A'],
        [3, 'only_a', 'x'],
      ],
      { 'wp-content/a.txt': hash(1), 'wp-content/same.txt': hash(2), 'wp-content/changed.txt': hash(3) },
    );
    const b = state(
      [
        [1, 'siteurl', A],
        [2, 'blogname', 'Site B'],
      ],
      { 'wp-content/same.txt': hash(2), 'wp-content/changed.txt': hash(4), 'wp-content/b.txt': hash(5) },
    );
    const differences = compareSiteStates(a, b, { aUrl, bUrl });
    expect(differences.map((difference) => difference.where)).toEqual([
      'wp_options[option_id=1].option_value',
      'wp_options[option_id=2].option_value',
      'wp_options[option_id=3]',
      'file wp-content/a.txt',
      'file wp-content/b.txt',
      'file wp-content/changed.txt',
    ]);
    expect(formatDifferences(differences).split('\n')[0]).toBe(
      `wp_options[option_id=1].option_value: a="{{SITE_URL}}" ≠ b="${A}"`,
    );
    expect(differences[2]?.description).toMatch(/^wp_options\[option_id=3\]: only on a \(row /);
    expect(differences[3]?.description).toMatch(/^file wp-content\/a\.txt: only on a/);
  });

  it('leaves out what the ignore rules describe, on either side', () => {
    const a = state([
      [1, '_transient_doing_cron', '1'],
      [2, 'cron', 'a:0:{}'],
      [3, 'blogname', 'same'],
    ]);
    const b = state([
      [2, 'cron', 'a:1:{i:1;b:1;}'],
      [3, 'blogname', 'same'],
      [4, '_site_transient_update_core', 'x'],
    ]);
    expect(compareSiteStates(a, b, { aUrl, bUrl })).toHaveLength(3);
    expect(compareSiteStates(a, b, { aUrl, bUrl, ignore: LOCAL_ONLY_RULES })).toEqual([]);
    const columnRule: IgnoreRule = { kind: 'column', table: wpTable('options'), columns: ['option_value'], why: 'test' };
    const fileRule: IgnoreRule = { kind: 'file', path: /\.log$/, why: 'test' };
    const c = state([[3, 'blogname', 'other']], { 'x.log': hash(1) });
    const d = state([[3, 'blogname', 'same']], {});
    expect(compareSiteStates(c, d, { aUrl, bUrl, ignore: [columnRule, fileRule] })).toEqual([]);
  });

  it('matches rows of tables without a primary key by content, duplicates included', () => {
    const a = state([]);
    const b = state([]);
    const relationship = { object_id: 1, term_taxonomy_id: 1, term_order: 0 };
    const withRows = (s: SiteState, count: number): SiteState => ({
      ...s,
      tables: { ...s.tables, wp_term_relationships: Array.from({ length: count }, () => relationship) },
    });
    expect(compareSiteStates(withRows(a, 2), withRows(b, 2), { aUrl, bUrl })).toEqual([]);
    expect(compareSiteStates(withRows(a, 2), withRows(b, 1), { aUrl, bUrl }).map((d) => d.kind)).toEqual(['row']);
  });

  it('compares binary cells by their bytes and reports missing tables and schema changes', () => {
    const a = state([[1, 'x', 'y']]);
    const b = state([[1, 'x', 'y']]);
    const withBlob = (s: SiteState, data: string, extraColumn: boolean): SiteState => ({
      ...s,
      tables: { ...s.tables, wp_blobs: [{ id: 1, data: { $blob: data } }] },
      schema: {
        ...s.schema,
        wp_blobs: {
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'INTEGER', notNull: false, default: null, pk: 1 },
            ...(extraColumn ? [{ name: 'extra', type: 'TEXT', notNull: false, default: null, pk: 0 }] : []),
          ],
        },
      },
    });
    expect(compareSiteStates(withBlob(a, 'AAEC', false), withBlob(b, 'AAEC', false), { aUrl, bUrl })).toEqual([]);
    expect(
      compareSiteStates(withBlob(a, 'AAEC', true), withBlob(b, 'AAED', false), { aUrl, bUrl }).map((d) => d.where),
    ).toEqual(['schema wp_blobs.extra', 'wp_blobs[id=1].data']);
    expect(compareSiteStates(withBlob(a, 'AAEC', false), b, { aUrl, bUrl }).map((d) => d.description)).toEqual([
      'table wp_blobs: only on a (rows 1)',
    ]);
  });
});
