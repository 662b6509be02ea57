<?php
/**
 * Playground Sync: registers the ID shard filter before WordPress loads (a Playground preload
 * file runs on every request, before wp-settings.php), so it sees the first INSERT of a request.
 * PHP_INT_MAX: it runs after every other `query` filter and sees the statement as executed.
 */
require_once '/internal/shared/playground-sync/id-shards.php';
if ( function_exists( 'playground_add_filter' ) ) {
	playground_add_filter( 'query', 'playground_sync_id_shards_filter', PHP_INT_MAX, 1 );
} else {
	$GLOBALS['wp_filter']['query'][ PHP_INT_MAX ]['playground_sync_id_shards_filter'] = array(
		'function'      => 'playground_sync_id_shards_filter',
		'accepted_args' => 1,
	);
}
