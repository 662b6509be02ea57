import { describe, expect, it } from 'vitest';
import {
  CHANGES_NOTED_REPLY,
  CHANGES_READY_TYPE,
  CHANGES_SIGNAL_PATH,
  ChangeBatchSchema,
  ENGINE_TABLES,
  ENGINE_TRIGGER_PREFIX,
  parseChangesReady,
  type ChangeBatch,
} from '../../src/db';
import { parseMessage } from '../../src/protocol/validate';
import { ENGINE_PHP_FILES, ENGINE_PRELOAD_PHP } from '../../src/db/php-sources';
import { ENGINE_TABLE_PREFIX, classifyTable } from '../../src/sync/local-only';

const batch: ChangeBatch = {
  v: 1,
  peer: 'peer-a',
  seq: 3,
  id: '0123456789abcdef0123456789abcdef01234567',
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
    // A unique-key eviction: versioned as the row that won, not as the batch.
    { op: 'delete', table: 'wp_options', key: { option_id: 1100000004 }, hlc: '019ab3c4d5e0.0000.peer-c' },
  ],
};

const parseBatch = (value: unknown) => parseMessage(ChangeBatchSchema, value, 'batch');

describe('ChangeBatchSchema', () => {
  it('accepts a well-formed batch', () => {
    expect(parseBatch(batch)).toEqual({ ok: true, value: batch });
  });

  const renumbering = { ...batch, ddl: [], rows: [], renumber: [{ table: 'wp_posts', high: 1000000003, low: 36, title: 'Hello', postType: 'post' }] };

  it('accepts a batch of the numberer’s renumberings, alone', () => {
    expect(parseBatch(renumbering)).toEqual({ ok: true, value: renumbering });
  });

  it.each([
    ['renumberings beside rows', { ...renumbering, rows: batch.rows }, /nothing else/],
    ['renumberings beside schema changes', { ...renumbering, ddl: batch.ddl }, /nothing else/],
    ['an empty list of renumberings', { ...renumbering, renumber: [] }, /renumber/],
    ['a renumbering to a higher ID', { ...renumbering, renumber: [{ table: 'wp_posts', high: 36, low: 1000000003 }] }, /low ID/],
    ['a float cell (REAL must be tagged)', { ...batch, rows: [{ op: 'delete', table: 't', key: { id: 1.5 } }] }, /rows/],
    ['an upsert without its row', { ...batch, rows: [{ op: 'upsert', table: 't', key: { id: 1 } }] }, /rows/],
    ['an unknown cell tag', { ...batch, rows: [{ op: 'delete', table: 't', key: { id: { $raw: 'x' } } }] }, /rows/],
    ['a bad clock', { ...batch, hlc: 'yesterday' }, /hlc/],
    ['a bad clock on an evicted row', { ...batch, rows: [{ op: 'delete', table: 't', key: { id: 1 }, hlc: 'yesterday' }] }, /rows/],
    ['a clock of its own on an upsert', { ...batch, rows: [{ op: 'upsert', table: 't', key: { id: 1 }, row: { id: 1 }, hlc: '019ab3c4d5e0.0000.peer-c' }] }, /rows/],
    ['seq 0', { ...batch, seq: 0 }, /seq/],
    ['a bad peer id', { ...batch, peer: 'peer a' }, /peer/],
    ['another format version', { ...batch, v: 2 }, /v/],
    ['no content id', { ...batch, id: undefined }, /id/],
    ['a content id that is not a sha1', { ...batch, id: 'abc' }, /id/],
  ])('rejects %s with a readable reason', (_, value, where) => {
    const parsed = parseBatch(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(where);
  });
});

describe('parseChangesReady', () => {
  const ready = (value: object) => JSON.stringify({ type: CHANGES_READY_TYPE, peer: 'peer-a', ...value });

  it('accepts the drain signal, with or without the cause of a failed drain', () => {
    expect(parseChangesReady(ready({}))).toEqual({ ok: true, value: { type: CHANGES_READY_TYPE, peer: 'peer-a' } });
    expect(parseChangesReady(ready({ error: 'disk I/O error' }))).toMatchObject({ ok: true, value: { error: 'disk I/O error' } });
  });

  it('ignores other message types and non-JSON', () => {
    expect(parseChangesReady(JSON.stringify({ type: 'playground-url-change', url: '/' }))).toBeNull();
    expect(parseChangesReady('not json')).toBeNull();
  });

  it.each([
    ['a bad peer id', ready({ peer: 'peer a' }), /peer/],
    ['an unknown field', ready({ batch: {} }), /batch/],
    ['an endless cause', ready({ error: 'x'.repeat(2001) }), /error/],
  ])('rejects %s with a readable reason', (_, data, where) => {
    const parsed = parseChangesReady(data);
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
    expect(ENGINE_PHP_FILES['capture-drain.php']).toContain(`return '${CHANGES_READY_TYPE}';`);
    expect(ENGINE_PHP_FILES['capture-drain.php']).toContain(`return '${CHANGES_NOTED_REPLY}';`);
    expect(CHANGES_SIGNAL_PATH).toBe('/internal/shared/playground-sync/changes-waiting.ndjson');
    expect(ENGINE_PHP_FILES['capture-drain.php']).toContain(`return pgsync_dir() . '/changes-waiting.ndjson';`);
  });
});
