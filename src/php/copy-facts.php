<?php
/**
 * Playground Sync, full-state copy: what a site is (versions, database driver and path, the
 * engine's identity and sequence) and, when PGSYNC_COPY_DATABASE_TO is set, a copy of its
 * database file taken inside one read transaction, so the bytes and the sequence number
 * reported next to them belong together (a writer cannot commit while the SHARED lock is held;
 * in the browser, where PHP instances may not share file locks, this is best effort).
 *
 * Env: PGSYNC_DOCROOT; optional PGSYNC_COPY_DATABASE_TO (absolute path of the copy).
 * Loads WordPress with SHORTINIT (database layer only: nothing runs that writes).
 * Answers through src/php/answer.php.
 */
define( 'SHORTINIT', true );

/**
 * Copies $from to $to with the copy sized once up front (PHP's copy() grows it a few kilobytes
 * at a time, and Emscripten's in-memory file system copies a growing file whole each time).
 */
function pgsync_copy_database( string $from, string $to ): bool {
	$in  = @fopen( $from, 'rb' );
	$out = false === $in ? false : @fopen( $to, 'wb' );
	if ( false === $out ) {
		if ( $in ) {
			fclose( $in );
		}
		return false;
	}
	$size = (int) filesize( $from );
	ftruncate( $out, $size );
	rewind( $out );
	$copied = stream_copy_to_stream( $in, $out );
	fclose( $in );
	return fclose( $out ) && $copied === $size;
}

function pgsync_copy_facts_engine( PDO $pdo ) {
	$has = $pdo->query( "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_wp_sqlite_pgsync_meta', '_wp_sqlite_pgsync_cursor')" )->fetchColumn();
	if ( 2 !== (int) $has ) {
		return null;
	}
	$meta = array();
	foreach ( $pdo->query( 'SELECT name, value FROM "_wp_sqlite_pgsync_meta"' )->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$meta[ $row[0] ] = $row[1];
	}
	$cursors = array();
	foreach ( $pdo->query( 'SELECT peer, applied_up_to FROM "_wp_sqlite_pgsync_cursor" ORDER BY peer' )->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$cursors[ $row[0] ] = (int) $row[1];
	}
	return array(
		'peerId'       => isset( $meta['peer'] ) ? $meta['peer'] : null,
		'hlc'          => isset( $meta['hlc'] ) ? $meta['hlc'] : null,
		'lastBatchSeq' => isset( $meta['last_batch_seq'] ) ? (int) $meta['last_batch_seq'] : 0,
		'cursors'      => (object) $cursors,
	);
}

try {
	require_once rtrim( (string) getenv( 'PGSYNC_DOCROOT' ), '/' ) . '/wp-load.php';
	global $wpdb, $wp_version, $wp_db_version;
	$pgsync_db_path = defined( 'DB_PATH' ) ? DB_PATH : ( defined( 'FQDB' ) ? FQDB : null );
	if ( null === $pgsync_db_path || ! is_file( $pgsync_db_path ) ) {
		throw new RuntimeException( 'No SQLite database file found (DB_PATH / FQDB)' );
	}
	if ( method_exists( $wpdb, 'get_driver' ) ) {
		$pgsync_driver = get_class( $wpdb->get_driver() );
	} elseif ( isset( $wpdb->dbh ) && is_object( $wpdb->dbh ) ) {
		$pgsync_driver = get_class( $wpdb->dbh );
	} else {
		$pgsync_driver = get_class( $wpdb );
	}

	$pgsync_pdo = new PDO( 'sqlite:' . $pgsync_db_path );
	$pgsync_pdo->setAttribute( PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION );
	$pgsync_pdo->setAttribute( PDO::ATTR_TIMEOUT, 10 );
	$pgsync_journal_mode = strtolower( (string) $pgsync_pdo->query( 'PRAGMA journal_mode' )->fetchColumn() );
	if ( 'wal' === $pgsync_journal_mode ) {
		// The main file alone misses what sits in the WAL: fold it in first.
		$pgsync_pdo->query( 'PRAGMA wal_checkpoint(TRUNCATE)' )->fetchAll();
	}
	$pgsync_copy_to = (string) getenv( 'PGSYNC_COPY_DATABASE_TO' );
	$pgsync_pdo->exec( 'BEGIN' );
	try {
		// The first read takes the SHARED lock that keeps writers out until COMMIT.
		$pgsync_engine = pgsync_copy_facts_engine( $pgsync_pdo );
		$pgsync_copy   = null;
		if ( '' !== $pgsync_copy_to ) {
			if ( 'wal' === $pgsync_journal_mode && is_file( $pgsync_db_path . '-wal' ) && filesize( $pgsync_db_path . '-wal' ) > 0 ) {
				throw new RuntimeException( 'The database is in WAL mode and its WAL could not be checkpointed: try again when the site is idle' );
			}
			if ( ! pgsync_copy_database( $pgsync_db_path, $pgsync_copy_to ) ) {
				throw new RuntimeException( "Could not copy the database to $pgsync_copy_to" );
			}
			$pgsync_copy = array(
				'size'   => filesize( $pgsync_copy_to ),
				'sha256' => hash_file( 'sha256', $pgsync_copy_to ),
			);
		}
		$pgsync_pdo->exec( 'COMMIT' );
	} catch ( Throwable $error ) {
		$pgsync_pdo->exec( 'ROLLBACK' );
		throw $error;
	}
	pgsync_answer(
		array(
			'wordpressVersion'    => (string) $wp_version,
			'wordpressDbVersion'  => (int) $wp_db_version,
			'phpVersion'          => PHP_VERSION,
			'databaseDriver'      => $pgsync_driver,
			'sqliteDriverVersion' => defined( 'SQLITE_DRIVER_VERSION' ) ? (string) SQLITE_DRIVER_VERSION : null,
			'databasePath'        => $pgsync_db_path,
			'journalMode'         => $pgsync_journal_mode,
			'tablePrefix'         => (string) $wpdb->prefix,
			'engine'              => $pgsync_engine,
			'copy'                => $pgsync_copy,
		),
		JSON_INVALID_UTF8_SUBSTITUTE
	);
} catch ( Throwable $error ) {
	pgsync_answer_error( $error );
}
