<?php
/**
 * Playground Sync preload (installed as /internal/shared/preload/zz-playground-sync.php, runs
 * before WordPress on every PHP request). Registers the DDL watcher as the last `query` filter
 * and a drain that runs after everything else at shutdown, WordPress's `shutdown` action
 * included: a shutdown function registered while shutdown functions run goes to the end of the
 * queue. Requests that never load WordPress are left alone (the extension's pull captures their changes).
 * The one request the engine makes after installing a copy carries the tab's login over (session-carry.php).
 */
if ( is_file( '/internal/shared/playground-sync/config.json' ) && function_exists( 'playground_add_filter' ) ) {
	require_once '/internal/shared/playground-sync/local-only.php';
	require_once '/internal/shared/playground-sync/capture-common.php';
	require_once '/internal/shared/playground-sync/capture-triggers.php';
	require_once '/internal/shared/playground-sync/capture-ddl.php';
	require_once '/internal/shared/playground-sync/capture-drain.php';
	playground_add_filter( 'query', 'pgsync_on_query', PHP_INT_MAX, 1 );
	register_shutdown_function(
		function () {
			register_shutdown_function( 'pgsync_drain_at_shutdown' );
		}
	);
	if ( isset( $_GET['playground-sync-carry-session'] ) ) {
		require_once '/internal/shared/playground-sync/session-carry.php';
		playground_add_filter( 'plugins_loaded', 'pgsync_carry_session', 0, 0 );
	}
}
