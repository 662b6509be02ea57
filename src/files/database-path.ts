import * as v from 'valibot';
import type { BoundedRunClient } from '../platform/bounded-run';
import { runPhpScript } from '../platform/php-script';

/**
 * Where this site's SQLite database is, asked of WordPress itself: sqlite-database-integration
 * 3.1+ randomizes it (`wp-content/database/.ht.<hex>/.ht.sqlite`, published as `DB_PATH` once
 * WordPress has loaded), 3.0.x publishes `FQDB`, older setups only `FQDBDIR`. Loads WordPress with
 * SHORTINIT (database layer only: no plugins, no hooks, nothing that writes). Null when none of
 * these constants is defined.
 */
export async function findDatabasePath(client: BoundedRunClient, root: string): Promise<string | null> {
  const path = await runPhpScript(
    client,
    {
      what: 'database path lookup',
      code: `<?php
define( 'SHORTINIT', true );
require_once getenv( 'PG_SYNC_ROOT' ) . '/wp-load.php';
if ( defined( 'DB_PATH' ) ) {
	pgsync_answer( DB_PATH );
} elseif ( defined( 'FQDB' ) ) {
	pgsync_answer( FQDB );
} elseif ( defined( 'FQDBDIR' ) ) {
	pgsync_answer( rtrim( FQDBDIR, '/' ) . '/' . ( defined( 'DB_FILE' ) ? DB_FILE : '.ht.sqlite' ) );
} else {
	pgsync_answer( null );
}`,
      env: { PG_SYNC_ROOT: root.replace(/\/+$/, '') },
    },
    v.nullable(v.string()),
  );
  return path === '' ? null : path;
}
