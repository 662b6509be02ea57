import { describe, expect, it } from 'vitest';
import { CHANGES_MESSAGE_TYPE, ENGINE_TABLES, ENGINE_TRIGGER_PREFIX, parseChangesMessage, type ChangeBatch } from '../../src/db';
import { ENGINE_PHP_FILES, ENGINE_PRELOAD_PHP } from '../../src/db/php-sources';
import { ENGINE_TABLE_PREFIX, classifyTable } from '../../src/sync/local-only';

const batch: ChangeBatch = {
  v: 1,
  peer: 'peer-a',
  seq: 3,
  hlc: '019ab3c4d5e6.0001.peer-a',
  siteUrl: 'https://playground.wordpress.net/scope:a',
  ddl: [{ table: 'wp_log', sql: 'CREATE TABLE wp_log (id int)' }],
  rows: [
    {
      op: 'upsert',
      table: 'wp_posts',
      key: { ID: 4 },
      row: { ID: 4, post_title: 'é', bin: { $blob: 'AP8=' }, odd: { $b64: 'YcMo' }, big: { $int: '9007199254740993' }, f: { $real: '1.5' }, n: null },
    },
    { op: 'delete', table: 'wp_postmeta', key: { meta_id: 9 } },
  ],
};

const message = (value: unknown) => JSON.stringify({ type: CHANGES_MESSAGE_TYPE, batch: value });

describe('parseChangesMessage', () => {
  it('accepts a well-formed batch', () => {
    expect(parseChangesMessage(message(batch))).toEqual({ ok: true, value: batch });
  });

  it('ignores other message types and non-JSON', () => {
    expect(parseChangesMessage(JSON.stringify({ type: 'playground-url-change', url: '/' }))).toBeNull();
    expect(parseChangesMessage('not json')).toBeNull();
  });

  it.each([
    ['a float cell (REAL must be tagged)', { ...batch, rows: [{ op: 'delete', table: 't', key: { id: 1.5 } }] }, /rows/],
    ['an upsert without its row', { ...batch, rows: [{ op: 'upsert', table: 't', key: { id: 1 } }] }, /rows/],
    ['an unknown cell tag', { ...batch, rows: [{ op: 'delete', table: 't', key: { id: { $raw: 'x' } } }] }, /rows/],
    ['a bad clock', { ...batch, hlc: 'yesterday' }, /hlc/],
    ['seq 0', { ...batch, seq: 0 }, /seq/],
    ['a bad peer id', { ...batch, peer: 'peer a' }, /peer/],
    ['another format version', { ...batch, v: 2 }, /v/],
  ])('rejects %s with a readable reason', (_, value, where) => {
    const parsed = parseChangesMessage(message(value));
    expect(parsed?.ok).toBe(false);
    if (parsed?.ok === false) expect(parsed.error).toMatch(where);
  });
});

describe('engine tables and PHP', () => {
  it('keeps every engine table and trigger under the prefix the local-only list never syncs', () => {
    for (const name of [...Object.values(ENGINE_TABLES), `${ENGINE_TRIGGER_PREFIX}i_wp_posts`]) {
      expect(name.startsWith(ENGINE_TABLE_PREFIX)).toBe(true);
      expect(classifyTable(name, 'wp_')).toEqual({ sync: 'never' });
    }
  });

  it('loads every PHP file as it is', () => {
    for (const source of [...Object.values(ENGINE_PHP_FILES), ENGINE_PRELOAD_PHP]) expect(source.startsWith('<?php\n')).toBe(true);
    expect(ENGINE_PHP_FILES['capture-common.php']).toContain(`return '${ENGINE_TABLE_PREFIX}' . $name;`);
    expect(ENGINE_PHP_FILES['capture-drain.php']).toContain(`return '${CHANGES_MESSAGE_TYPE}';`);
  });
});
