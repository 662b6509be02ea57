import { runBounded, type BoundedRunClient } from '../platform/bounded-run';

/**
 * Where this site's SQLite database is, asked of WordPress itself: sqlite-database-integration
 * 3.1+ randomizes it (`wp-content/database/.ht.<hex>/.ht.sqlite`, published as `DB_PATH` once
 * WordPress has loaded), 3.0.x publishes `FQDB`, older setups only `FQDBDIR`. Loads WordPress with
 * SHORTINIT (database layer only: no plugins, no hooks, nothing that writes). Null when none of
 * these constants is defined.
 */
export async function findDatabasePath(client: BoundedRunClient, root: string): Promise<string | null> {
  const response = await runBounded(client, {
    code: `<?php
define( 'SHORTINIT', true );
ob_start();
require_once getenv( 'PG_SYNC_ROOT' ) . '/wp-load.php';
ob_end_clean();
if ( defined( 'DB_PATH' ) ) {
	echo DB_PATH;
} elseif ( defined( 'FQDB' ) ) {
	echo FQDB;
} elseif ( defined( 'FQDBDIR' ) ) {
	echo rtrim( FQDBDIR, '/' ) . '/' . ( defined( 'DB_FILE' ) ? DB_FILE : '.ht.sqlite' );
}`,
    env: { PG_SYNC_ROOT: root.replace(/\/+$/, '') },
  });
  if (response.exitCode !== 0 || response.errors) {
    throw new Error(`Could not find the database path: ${response.errors || `PHP exit code ${response.exitCode}`}`);
  }
  const path = response.text.trim();
  return path === '' ? null : path;
}
