<?php
/**
 * Playground Sync: one engine task per run() call from the extension. PGSYNC_TASK names it
 * (install | pull | apply | uninstall | reclaim-ids | renumber | find-high-ids), PGSYNC_INPUT is a JSON file with its input: data never travels
 * inside PHP source. It answers through src/php/answer.php (put before the run's code), so whatever
 * WordPress prints while loading cannot corrupt the answer.
 *
 * Only `install`, `uninstall` and schema-changing `apply` load WordPress, and then only its database layer
 * (SHORTINIT: no plugins, hooks, cron or option writes): a full boot would make local changes.
 */
require_once __DIR__ . '/local-only.php';
require_once __DIR__ . '/url-rewrite.php';
require_once __DIR__ . '/capture-common.php';
require_once __DIR__ . '/capture-triggers.php';
require_once __DIR__ . '/capture-ddl.php';
require_once __DIR__ . '/capture-drain.php';
require_once __DIR__ . '/apply-batch.php';
require_once __DIR__ . '/id-rewrite.php';
require_once __DIR__ . '/renumber.php';

$pgsync_task  = (string) getenv( 'PGSYNC_TASK' );
$pgsync_input = json_decode( (string) file_get_contents( (string) getenv( 'PGSYNC_INPUT' ) ), true, 512, JSON_THROW_ON_ERROR );
if ( 'install' === $pgsync_task || 'uninstall' === $pgsync_task || ( 'apply' === $pgsync_task && ! empty( $pgsync_input['batch']['ddl'] ) )
	|| ( 'pull' === $pgsync_task && pgsync_pull_catches_up() ) ) {
	// Replayed schema changes are the peer's: the DDL watcher must not record them as ours.
	$GLOBALS['pgsync_applying'] = 'apply' === $pgsync_task;
	define( 'SHORTINIT', true );
	require_once rtrim( (string) getenv( 'PGSYNC_DOCROOT' ), '/' ) . '/wp-load.php';
}

/**
 * Whether a pull finds schema work nobody recorded (see pgsync_missed_schema()): it then loads the
 * database layer too, to read the CREATE TABLE of tables made meanwhile.
 */
function pgsync_pull_catches_up() {
	$config = pgsync_config();
	if ( null === $config ) {
		return false;
	}
	try {
		return pgsync_schema_unrecorded( pgsync_open_pdo( $config['dbPath'] ) );
	} catch ( Throwable $unreadable ) {
		return false; // The pull itself reports it.
	}
}

/** install: engine tables, triggers, config.json. Idempotent. */
function pgsync_task_install( array $input ) {
	global $wpdb, $table_prefix;
	$pdo = pgsync_wpdb_pdo();
	if ( ! $pdo ) {
		throw new RuntimeException( 'No SQLite database behind $wpdb (' . get_class( $wpdb ) . ')' );
	}
	$config = array(
		'peerId'      => $input['peerId'],
		'siteUrl'     => $input['siteUrl'],
		'tablePrefix' => $table_prefix,
		'dbPath'      => defined( 'DB_PATH' ) ? DB_PATH : ( defined( 'FQDB' ) ? FQDB : WP_CONTENT_DIR . '/database/.ht.sqlite' ),
	);
	// A reinstall (the engine's files were gone) catches up on the schema work it missed; a peer
	// starting afresh does not: the pairing copies the site's state.
	$missed = empty( $input['discardOutbox'] ) ? pgsync_missed_schema( $pdo, $wpdb, $config['tablePrefix'], pgsync_local_only_rules() ) : null;
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		pgsync_create_engine_tables( $pdo );
		pgsync_meta_set( $pdo, 'peer', $config['peerId'] );
		if ( ! empty( $input['discardOutbox'] ) ) {
			// A peer starting afresh: what an earlier run left unacknowledged is in the site's state, which the pairing copies.
			$pdo->exec( 'DELETE FROM ' . pgsync_quote_id( pgsync_engine_table( 'outbox' ) ) );
		}
		$triggers = pgsync_ensure_triggers( $pdo, $config['tablePrefix'], pgsync_local_only_rules(), true );
		if ( null !== $missed ) {
			pgsync_log_missed_schema( $pdo, $missed, $config['tablePrefix'], pgsync_local_only_rules() );
		} else {
			pgsync_record_schema( $pdo );
		}
		$pdo->exec( 'COMMIT' );
	} catch ( Throwable $error ) {
		pgsync_rollback_quietly( $pdo );
		throw $error;
	}
	file_put_contents( pgsync_dir() . '/config.json', pgsync_json( $config ) );
	return $config + $triggers + array(
		'missed' => null === $missed ? null : array(
			'created' => array_keys( $missed['created'] ),
			'dropped' => $missed['dropped'],
			'rebuilt' => $missed['rebuilt'],
		),
	);
}

/** pull: forgets refused rows, captures, releases acknowledged batches, answers the outbox (see pgsync_pull()). */
function pgsync_task_pull( array $input ) {
	$config  = pgsync_config();
	$discard = isset( $input['discard'] ) && is_array( $input['discard'] ) ? array_map( 'intval', $input['discard'] ) : array();
	return pgsync_pull( pgsync_open_pdo( $config['dbPath'] ), $config, (int) $input['after'], (int) $input['release'], (int) $input['maxBytes'], ! isset( $input['capture'] ) || false !== $input['capture'], $discard );
}

/** apply: one peer's batch, all or nothing. Only schema changes need the driver. */
function pgsync_task_apply( array $input ) {
	global $wpdb;
	$config = pgsync_config();
	if ( empty( $input['batch']['ddl'] ) ) {
		return pgsync_apply( pgsync_open_pdo( $config['dbPath'] ), null, $config, $input );
	}
	$wpdb->suppress_errors( true );
	return pgsync_apply( pgsync_wpdb_pdo(), $wpdb, $config, $input );
}

/** reclaim-ids: the numberer's pass (see renumber-pass.php). */
function pgsync_task_reclaim_ids( array $input ) {
	require_once __DIR__ . '/renumber-pass.php';
	$config = pgsync_config();
	return pgsync_reclaim_low_ids( pgsync_open_pdo( $config['dbPath'] ), $config, $input );
}

/** renumber: the numberer's mappings, on this site. */
function pgsync_task_renumber( array $input ) {
	$config = pgsync_config();
	return pgsync_renumber( pgsync_open_pdo( $config['dbPath'] ), $config, $input );
}

/** find-high-ids: the checker. */
function pgsync_task_find_high_ids( array $input ) {
	require_once __DIR__ . '/renumber-pass.php';
	require_once __DIR__ . '/renumber-check.php';
	$config = pgsync_config();
	return pgsync_find_high_ids( pgsync_open_pdo( $config['dbPath'] ), $config, $input );
}

/**
 * uninstall: the capture triggers and every table under the engine's prefix (ID shards' and any
 * other part's included) in one short transaction, then config.json. The caller removed the
 * preloads first, so nothing captures into what this drops.
 */
function pgsync_task_uninstall( array $input ) {
	$pdo = pgsync_wpdb_pdo();
	if ( ! $pdo ) {
		throw new RuntimeException( 'No SQLite database behind $wpdb' );
	}
	$owned = $pdo->prepare( 'SELECT name FROM sqlite_master WHERE type = ? AND substr(name, 1, ?) = ? ORDER BY name' );
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		$dropped = array();
		foreach ( array( 'trigger' => pgsync_trigger_prefix(), 'table' => pgsync_engine_table( '' ) ) as $type => $prefix ) {
			$owned->execute( array( $type, strlen( $prefix ), $prefix ) );
			$dropped[ $type ] = $owned->fetchAll( PDO::FETCH_COLUMN );
			$owned->closeCursor();
			foreach ( $dropped[ $type ] as $name ) {
				$pdo->exec( 'DROP ' . strtoupper( $type ) . ' IF EXISTS ' . pgsync_quote_id( $name ) );
			}
		}
		$pdo->exec( 'COMMIT' );
	} catch ( Throwable $error ) {
		try {
			$pdo->exec( 'ROLLBACK' );
		} catch ( Throwable $ignored ) { // The real cause is $error; SQLite may have rolled back already.
		}
		throw $error;
	}
	if ( is_file( pgsync_dir() . '/config.json' ) ) {
		unlink( pgsync_dir() . '/config.json' );
	}
	return array(
		'triggers' => $dropped['trigger'],
		'tables'   => $dropped['table'],
	);
}

try {
	$pgsync_tasks = array( 'install', 'pull', 'apply', 'uninstall', 'reclaim-ids', 'renumber', 'find-high-ids' );
	if ( ! in_array( $pgsync_task, $pgsync_tasks, true ) ) {
		throw new InvalidArgumentException( 'Unknown task ' . $pgsync_task );
	}
	// Uninstall also cleans a site whose config was lost (rotation, reload of a saved site).
	if ( ! in_array( $pgsync_task, array( 'install', 'uninstall' ), true ) && null === pgsync_config() ) {
		throw new RuntimeException( 'Capture is not installed on this site' );
	}
	pgsync_answer( call_user_func( 'pgsync_task_' . str_replace( '-', '_', $pgsync_task ), $pgsync_input ) );
} catch ( Throwable $error ) {
	pgsync_answer_error( $error );
}
