import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Where the offline WordPress and SQLite-driver archives live in node_modules.
 *
 * `@wp-playground/wordpress-builds` is not importable as a module: its zips are read by path.
 * Nothing here downloads anything.
 */

/** 6.4 only where an older database is upgraded for real (its `db_version` is 56657, 6.5's and nightly's 57155): not in the matrix. */
export type WordPressVersionId = '6.4' | '6.5' | 'nightly';
export type SqliteDriverId = 'ast' | 'legacy';

export const WORDPRESS_VERSION_IDS: readonly WordPressVersionId[] = ['6.5', 'nightly'];
export const SQLITE_DRIVER_IDS: readonly SqliteDriverId[] = ['ast', 'legacy'];

/** The PHP version every harness site runs (the one playground.wordpress.net defaults to). */
export const PHP_VERSION = '8.3';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_MODULES = path.join(PROJECT_ROOT, 'node_modules');

export interface WordPressArtifact {
  readonly id: WordPressVersionId;
  readonly zipPath: string;
  /** What `$wp_version` reports once unpacked (checked at boot). */
  readonly expectedVersion: string;
}

export interface SqliteDriverArtifact {
  readonly id: SqliteDriverId;
  readonly zipPath: string;
  /** The `Version:` header of the plugin's load.php (checked at boot). */
  readonly expectedPluginVersion: string;
  /** `get_class()` of the object that runs the SQL (AST: `$wpdb->get_driver()`; legacy: `$wpdb->dbh`). */
  readonly driverClass: string;
}

const WORDPRESS: Record<WordPressVersionId, WordPressArtifact> = {
  '6.4': {
    id: '6.4',
    zipPath: path.join(NODE_MODULES, '@wp-playground/wordpress-builds/src/wordpress/wp-6.4.zip'),
    expectedVersion: '6.4.5',
  },
  '6.5': {
    id: '6.5',
    zipPath: path.join(NODE_MODULES, '@wp-playground/wordpress-builds/src/wordpress/wp-6.5.zip'),
    expectedVersion: '6.5.5',
  },
  nightly: {
    id: 'nightly',
    zipPath: path.join(NODE_MODULES, '@wp-playground/wordpress-builds/src/wordpress/wp-nightly.zip'),
    expectedVersion: '6.7-alpha-58716',
  },
};

const SQLITE_DRIVERS: Record<SqliteDriverId, SqliteDriverArtifact> = {
  // sqlite-database-integration 3.0.2, bundled by @wp-playground/cli: the AST driver the live site runs.
  ast: {
    id: 'ast',
    zipPath: path.join(NODE_MODULES, '@wp-playground/cli/sqlite-database-integration.zip'),
    expectedPluginVersion: '3.0.2',
    driverClass: 'WP_MySQL_On_SQLite',
  },
  // sqlite-database-integration 2.1.11 ("sqlite-database-integration-main"): the legacy regex translator.
  legacy: {
    id: 'legacy',
    zipPath: path.join(
      NODE_MODULES,
      '@wp-playground/wordpress-builds/src/sqlite-database-integration/sqlite-database-integration.zip',
    ),
    expectedPluginVersion: '2.1.11',
    driverClass: 'WP_SQLite_Translator',
  },
};

export function wordPressArtifact(id: WordPressVersionId): WordPressArtifact {
  return WORDPRESS[id];
}

export function sqliteDriverArtifact(id: SqliteDriverId): SqliteDriverArtifact {
  return SQLITE_DRIVERS[id];
}

/** Reads an archive as the `File` that `bootWordPress` expects. */
export async function readArchive(zipPath: string): Promise<File> {
  return new File([await readFile(zipPath)], path.basename(zipPath), { type: 'application/zip' });
}

async function sha256OfFile(filePath: string): Promise<string> {
  return createHash('sha256').update(await readFile(filePath)).digest('hex');
}

async function packageVersion(name: string): Promise<string> {
  const json: unknown = JSON.parse(await readFile(path.join(NODE_MODULES, name, 'package.json'), 'utf8'));
  if (typeof json === 'object' && json !== null && 'version' in json && typeof json.version === 'string') {
    return json.version;
  }
  throw new Error(`No version in ${name}/package.json`);
}

/**
 * Everything an installed site depends on: both archives' bytes, the boot code's versions, the PHP
 * version and the harness's own snapshot format. Used as the on-disk snapshot cache key.
 */
export async function artifactFingerprint(
  wp: WordPressVersionId,
  driver: SqliteDriverId,
  formatVersion: number,
): Promise<string> {
  const parts = [
    `format=${formatVersion}`,
    `php=${PHP_VERSION}`,
    `wp=${wp}:${await sha256OfFile(WORDPRESS[wp].zipPath)}`,
    `sqlite=${driver}:${await sha256OfFile(SQLITE_DRIVERS[driver].zipPath)}`,
    `@wp-playground/wordpress=${await packageVersion('@wp-playground/wordpress')}`,
    `@php-wasm/node=${await packageVersion('@php-wasm/node')}`,
    `@php-wasm/universal=${await packageVersion('@php-wasm/universal')}`,
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}
