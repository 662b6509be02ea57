import { describe, expect, it } from 'vitest';
import {
  ID_SHARDS_BYPASS_GLOBAL,
  ID_SHARDS_INSTALL_PHP,
  ID_SHARDS_LIBRARY_PATH,
  ID_SHARDS_PHP,
  ID_SHARDS_PRELOAD_PATH,
  ID_SHARDS_PRELOAD_PHP,
} from '../../src/ids/id-shards-php';
import { ENGINE_TABLE_PREFIX } from '../../src/sync/local-only';

// The three PHP sources must agree with each other and with the paths the TS side writes them to.
describe('ID shard PHP sources', () => {
  it('loads them as text', () => {
    for (const source of [ID_SHARDS_PHP, ID_SHARDS_PRELOAD_PHP, ID_SHARDS_INSTALL_PHP]) {
      expect(source.startsWith('<?php\n')).toBe(true);
    }
  });

  it('registers the library filter from a preload file that Playground runs after env.php', () => {
    expect(ID_SHARDS_PRELOAD_PATH).toMatch(/^\/internal\/shared\/preload\/zz-[a-z0-9-]+\.php$/);
    expect(ID_SHARDS_PRELOAD_PHP).toContain(`require_once '${ID_SHARDS_LIBRARY_PATH}';`);
    expect(ID_SHARDS_PRELOAD_PHP).toContain("'query', 'playground_sync_id_shards_filter', PHP_INT_MAX");
    expect(ID_SHARDS_PHP).toContain('function playground_sync_id_shards_filter( $query )');
    expect(ID_SHARDS_INSTALL_PHP).toContain(`require_once '${ID_SHARDS_LIBRARY_PATH}';`);
    expect(ID_SHARDS_LIBRARY_PATH.startsWith('/wordpress')).toBe(false);
  });

  it('keeps its tables in the engine namespace and names the bypass global the filter checks', () => {
    for (const table of ['id_ranges', 'id_plan']) {
      expect(ID_SHARDS_PHP).toContain(`'${ENGINE_TABLE_PREFIX}${table}'`);
    }
    expect(ID_SHARDS_PHP).toContain(`$GLOBALS['${ID_SHARDS_BYPASS_GLOBAL}']`);
  });
});
