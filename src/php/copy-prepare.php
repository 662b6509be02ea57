<?php
/**
 * Playground Sync, full-state copy: turns a copy of the source's database (staged next to this
 * site's own database file, not yet in use) into this site's, in one transaction: the copy must
 * pass quick_check; the engine's identity becomes this site's (peer id, clock, an empty
 * changelog, cursors, its own batch sequence where the source's cursor for it stands); the ID
 * shard plan is held in this site's slot (or dropped when of an older format); every string cell
 * of every user table has the source's site URL rewritten to this site's. The applying marker
 * keeps the copied capture triggers silent meanwhile. Any error rolls it all back.
 *
 * This site's local-only rows (sessions, salts, cron, transients, its WordPress's database
 * version) replace the copy's; the copy's database version is answered (`copiedDbVersion`).
 *
 * Input (PGSYNC_COPY_INPUT, a JSON file): {dbPath, herePath (this site's database), tablePrefix,
 * engineDir, idShardsLibrary, fromUrl, toUrl, peerId, idSlot, sourcePeerId, sourceBatchSeq, targetHlc}.
 * Needs capture-common.php, url-rewrite.php and local-only.php in engineDir, and the ID shard
 * library (src/php/id-shards.php) at idShardsLibrary. Answers through src/php/answer.php.
 */

/** The later of two encoded clocks (either may be null), re-stamped with this peer. */
function pgsync_copy_later_clock( $a, $b, $peer ) {
	$best = null;
	foreach ( array( $a, $b ) as $text ) {
		$clock = null === $text ? null : pgsync_hlc_decode( $text );
		if ( $clock && ( null === $best || $clock[0] > $best[0] || ( $clock[0] === $best[0] && $clock[1] > $best[1] ) ) ) {
			$best = $clock;
		}
	}
	return null === $best ? null : pgsync_hlc_encode( $best[0], $best[1], $peer );
}

function pgsync_copy_reset_engine( PDO $pdo, array $input ) {
	$q = 'pgsync_quote_id';
	pgsync_create_engine_tables( $pdo );
	// The source's pending work is in the copy itself; none of it is this site's to send.
	foreach ( array( 'changelog', 'outbox', 'applied' ) as $table ) {
		$pdo->exec( 'DELETE FROM ' . $q( pgsync_engine_table( $table ) ) );
	}
	$cursor = $q( pgsync_engine_table( 'cursor' ) );
	// The source's cursor for this peer: batches up to it are in the copy, so ours go on from there.
	$stmt = $pdo->prepare( "SELECT applied_up_to FROM $cursor WHERE peer = ?" );
	$stmt->execute( array( $input['peerId'] ) );
	$own_seq = (int) $stmt->fetchColumn();
	$pdo->prepare( "DELETE FROM $cursor WHERE peer = ?" )->execute( array( $input['peerId'] ) );
	if ( null !== $input['sourcePeerId'] ) {
		$pdo->prepare( "INSERT INTO $cursor (peer, applied_up_to) VALUES (?, ?) ON CONFLICT(peer) DO UPDATE SET applied_up_to = excluded.applied_up_to" )
			->execute( array( $input['sourcePeerId'], (int) $input['sourceBatchSeq'] ) );
	}
	$clock = pgsync_copy_later_clock( pgsync_meta_get( $pdo, 'hlc' ), $input['targetHlc'], $input['peerId'] );
	pgsync_meta_set( $pdo, 'peer', $input['peerId'] );
	pgsync_meta_set( $pdo, 'last_batch_seq', $own_seq );
	if ( null !== $clock ) {
		pgsync_meta_set( $pdo, 'hlc', $clock );
	}
	return array(
		'ownBatchSeq' => $own_seq,
		'hlc'         => $clock,
	);
}

/**
 * The copied plan, held in this site's slot: every member holds the same plan, only the slot and
 * its range are the site's own. A plan of an older format (it names peers, not slots) gives this
 * site no range: dropped, unsharded until paired again. Null when the copy is unsharded.
 */
function pgsync_copy_reset_id_shards( PDO $pdo, $slot ) {
	if ( ! pgsync_table_exists( $pdo, PLAYGROUND_SYNC_ID_PLAN_TABLE ) ) {
		return null;
	}
	$plan = $pdo->query( 'SELECT plan FROM ' . pgsync_quote_id( PLAYGROUND_SYNC_ID_PLAN_TABLE ) . ' WHERE id = 1' )->fetchColumn();
	if ( false === $plan ) {
		return null;
	}
	$ranges = playground_sync_id_shards_slot_ranges( $plan, $slot );
	if ( null === $ranges ) {
		// Dropped, not emptied: the next install creates the tables as this version has them.
		$pdo->exec( 'DROP TABLE ' . pgsync_quote_id( PLAYGROUND_SYNC_ID_PLAN_TABLE ) );
		$pdo->exec( 'DROP TABLE IF EXISTS ' . pgsync_quote_id( PLAYGROUND_SYNC_ID_RANGES_TABLE ) );
		return array( 'plan' => null, 'dropped' => $plan );
	}
	list( $lo, $hi ) = $ranges;
	$pdo->prepare( 'UPDATE ' . pgsync_quote_id( PLAYGROUND_SYNC_ID_PLAN_TABLE ) . ' SET self_slot = ?, self_lo = ?, self_hi = ? WHERE id = 1' )
		->execute( array( $slot, $lo, $hi ) );
	if ( pgsync_table_exists( $pdo, PLAYGROUND_SYNC_ID_RANGES_TABLE ) ) {
		// The cursor is set once the rows are all in (pgsync_copy_set_range_cursor()).
		$pdo->prepare( 'UPDATE ' . pgsync_quote_id( PLAYGROUND_SYNC_ID_RANGES_TABLE ) . ' SET lo = ?, hi = ?, next = ?, refused = 0, refused_at = NULL, unsharded = 0' )
			->execute( array( $lo, $hi, $lo ) );
	}
	return array( 'plan' => $plan, 'dropped' => null );
}

/**
 * One cursor for every table (id-shards.php): this site's allocator goes on past every ID of its
 * range that any table holds, the copy's rows and the local rows it kept, so no ID keys rows in
 * two tables (a row of an earlier life of this site came with the copy in one table, and a new
 * row would take its ID in another).
 */
function pgsync_copy_set_range_cursor( PDO $pdo ) {
	$plan = playground_sync_id_shards_plan_row( $pdo );
	if ( null === $plan || ! pgsync_table_exists( $pdo, PLAYGROUND_SYNC_ID_RANGES_TABLE ) ) {
		return;
	}
	$pdo->prepare( 'UPDATE ' . pgsync_quote_id( PLAYGROUND_SYNC_ID_RANGES_TABLE ) . ' SET next = ?' )
		->execute( array( pgsync_copy_range_cursor( $pdo, $plan['self_lo'], $plan['self_hi'] ) ) );
}

/**
 * One past the largest ID in [$lo, $hi) of every AUTOINCREMENT table, and of the high IDs the
 * group renumbered ($lo when none): a renumbered high ID is never given again, as statements
 * naming it are read as naming its low ID (id-shards.php).
 */
function pgsync_copy_range_cursor( PDO $pdo, $lo, $hi ) {
	$next = $lo;
	if ( pgsync_table_exists( $pdo, PLAYGROUND_SYNC_RENUMBERED_TABLE ) ) {
		$stmt = $pdo->prepare( 'SELECT max(high) FROM ' . pgsync_quote_id( PLAYGROUND_SYNC_RENUMBERED_TABLE ) . ' WHERE high >= ? AND high < ?' );
		$stmt->execute( array( $lo, $hi ) );
		$max = $stmt->fetchColumn();
		if ( null !== $max && false !== $max ) {
			$next = (int) $max + 1;
		}
	}
	foreach ( $pdo->query( "SELECT name FROM sqlite_master WHERE type = 'table'" )->fetchAll( PDO::FETCH_COLUMN ) as $table ) {
		$pk = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
		if ( null === $pk ) {
			continue;
		}
		$key  = pgsync_quote_id( $pk );
		$stmt = $pdo->prepare( "SELECT max($key) FROM " . pgsync_quote_id( $table ) . " WHERE $key >= ? AND $key < ?" );
		$stmt->execute( array( $lo, $hi ) );
		$max = $stmt->fetchColumn();
		if ( null !== $max && false !== $max ) {
			$next = max( $next, (int) $max + 1 );
		}
	}
	return $next;
}

/**
 * This site's own local-only rows (login sessions, salts, cron, transients, …: they never sync)
 * replace the copy's, so the copy does not log this tab out. A kept row keeps its primary key
 * unless a copied row holds it; then the table gives it a new one.
 */
function pgsync_copy_keep_local_rows( PDO $pdo, PDO $here, $table_prefix ) {
	$q     = 'pgsync_quote_id';
	$rules = pgsync_local_only_rules();
	$kept  = 0;
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$class = playground_sync_local_only_table( $table, $table_prefix, $rules );
		if ( 'filtered' !== $class['sync'] || ! pgsync_table_exists( $here, $table ) ) {
			continue;
		}
		$local   = playground_sync_local_only_predicate( $table, $table_prefix, 't', $rules );
		$info    = pgsync_table_info( $pdo, $table );
		$columns = array_values( array_intersect( $info['columns'], pgsync_table_info( $here, $table )['columns'] ) );
		$rows    = $here->query( 'SELECT ' . implode( ', ', array_map( $q, $columns ) ) . ' FROM ' . $q( $table ) . " AS t WHERE $local" )->fetchAll( PDO::FETCH_ASSOC );
		$pdo->exec( 'DELETE FROM ' . $q( $table ) . ' WHERE rowid IN (SELECT rowid FROM ' . $q( $table ) . " AS t WHERE $local)" );
		foreach ( $rows as $row ) {
			if ( 1 === count( $info['pk'] ) && isset( $row[ $info['pk'][0] ] ) ) {
				$check = $pdo->prepare( 'SELECT 1 FROM ' . $q( $table ) . ' WHERE ' . $q( $info['pk'][0] ) . ' = ?' );
				$check->execute( array( $row[ $info['pk'][0] ] ) );
				if ( false !== $check->fetchColumn() ) {
					unset( $row[ $info['pk'][0] ] );
				}
			}
			$names = array_keys( $row );
			$pdo->prepare( 'INSERT INTO ' . $q( $table ) . ' (' . implode( ', ', array_map( $q, $names ) ) . ') VALUES (' . implode( ', ', array_fill( 0, count( $names ), '?' ) ) . ')' )
				->execute( array_values( $row ) );
			++$kept;
		}
	}
	return $kept;
}

/** The `db_version` option the copy holds (its WordPress's database version), or null without one. */
function pgsync_copy_db_version( PDO $pdo, $table_prefix ) {
	$options = $table_prefix . 'options';
	if ( ! pgsync_table_exists( $pdo, $options ) ) {
		return null;
	}
	$stmt = $pdo->prepare( 'SELECT option_value FROM ' . pgsync_quote_id( $options ) . " WHERE option_name = 'db_version'" );
	$stmt->execute();
	$value = $stmt->fetchColumn();
	return false === $value || ! is_numeric( $value ) ? null : (int) $value;
}

/** Rewrites the site URL in every TEXT cell of every user table; returns the number of cells changed. */
function pgsync_copy_rewrite_urls( PDO $pdo, $from, $to ) {
	$q       = 'pgsync_quote_id';
	$changed = 0;
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$info = pgsync_table_info( $pdo, $table );
		if ( 0 === count( $info['columns'] ) ) {
			continue;
		}
		$sql     = (string) $pdo->query( 'SELECT sql FROM sqlite_master WHERE type = \'table\' AND name = ' . $pdo->quote( $table ) )->fetchColumn();
		$rowid   = ! preg_match( '~\bWITHOUT\s+ROWID\b~i', $sql );
		$keys    = $rowid ? array( 'rowid' ) : $info['pk'];
		$select  = array();
		foreach ( $keys as $key ) {
			$select[] = 'rowid' === $key ? 'rowid' : $q( $key );
		}
		foreach ( $info['columns'] as $column ) {
			$select[] = $q( $column ) . ', typeof(' . $q( $column ) . ')';
		}
		$rows    = $pdo->query( 'SELECT ' . implode( ', ', $select ) . ' FROM ' . $q( $table ) );
		$updates = array();
		while ( false !== ( $row = $rows->fetch( PDO::FETCH_NUM ) ) ) {
			$key_values = array_slice( $row, 0, count( $keys ) );
			foreach ( $info['columns'] as $i => $column ) {
				$value = $row[ count( $keys ) + 2 * $i ];
				if ( 'text' !== $row[ count( $keys ) + 2 * $i + 1 ] ) {
					continue;
				}
				$rewritten = playground_sync_rewrite_value( (string) $value, $from, $to );
				if ( $rewritten !== $value ) {
					$updates[] = array( $column, $rewritten, $key_values );
				}
			}
		}
		$rows->closeCursor();
		$where = implode( ' AND ', array_map( function ( $key ) use ( $q ) {
			return ( 'rowid' === $key ? 'rowid' : $q( $key ) ) . ' IS ?';
		}, $keys ) );
		foreach ( $updates as list( $column, $value, $key_values ) ) {
			$stmt = $pdo->prepare( 'UPDATE ' . $q( $table ) . ' SET ' . $q( $column ) . " = ? WHERE $where" );
			$stmt->execute( array_merge( array( $value ), $key_values ) );
			$changed += $stmt->rowCount();
		}
	}
	return $changed;
}

try {
	$pgsync_input = json_decode( (string) file_get_contents( (string) getenv( 'PGSYNC_COPY_INPUT' ) ), true, 16, JSON_THROW_ON_ERROR );
	require_once $pgsync_input['engineDir'] . '/capture-common.php';
	require_once $pgsync_input['engineDir'] . '/url-rewrite.php';
	require_once $pgsync_input['engineDir'] . '/local-only.php';
	require_once $pgsync_input['idShardsLibrary'];
	$pgsync_pdo = pgsync_open_pdo( $pgsync_input['dbPath'] );
	$pgsync_check = $pgsync_pdo->query( 'PRAGMA quick_check' )->fetchAll( PDO::FETCH_COLUMN );
	if ( array( 'ok' ) !== $pgsync_check ) {
		throw new RuntimeException( 'The copied database is damaged: ' . implode( '; ', array_slice( $pgsync_check, 0, 3 ) ) );
	}
	$pgsync_here = pgsync_open_pdo( $pgsync_input['herePath'] );
	$pgsync_pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		pgsync_create_engine_tables( $pgsync_pdo );
		$pgsync_pdo->exec( 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'applying' ) ) . ' (marker) VALUES (1)' );
		$pgsync_engine = pgsync_copy_reset_engine( $pgsync_pdo, $pgsync_input );
		$pgsync_shards = pgsync_copy_reset_id_shards( $pgsync_pdo, $pgsync_input['idSlot'] );
		$pgsync_cells  = pgsync_copy_rewrite_urls( $pgsync_pdo, $pgsync_input['fromUrl'], $pgsync_input['toUrl'] );
		$pgsync_db_version = pgsync_copy_db_version( $pgsync_pdo, $pgsync_input['tablePrefix'] );
		$pgsync_local  = pgsync_copy_keep_local_rows( $pgsync_pdo, $pgsync_here, $pgsync_input['tablePrefix'] );
		pgsync_copy_set_range_cursor( $pgsync_pdo );
		$pgsync_pdo->exec( 'DELETE FROM ' . pgsync_quote_id( pgsync_engine_table( 'applying' ) ) );
		// Whatever a trigger let through is already part of the copy.
		$pgsync_pdo->exec( 'DELETE FROM ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) );
		$pgsync_pdo->exec( 'COMMIT' );
	} catch ( Throwable $error ) {
		$pgsync_pdo->exec( 'ROLLBACK' );
		throw $error;
	}
	pgsync_answer(
		array(
			'ownBatchSeq'       => $pgsync_engine['ownBatchSeq'],
			'hlc'               => $pgsync_engine['hlc'],
			'idPlan'            => null === $pgsync_shards ? null : $pgsync_shards['plan'],
			'droppedIdPlan'     => null === $pgsync_shards ? null : $pgsync_shards['dropped'],
			'urlCellsRewritten' => $pgsync_cells,
			'localRowsKept'     => $pgsync_local,
			'copiedDbVersion'   => $pgsync_db_version,
		),
		JSON_INVALID_UTF8_SUBSTITUTE
	);
} catch ( Throwable $error ) {
	pgsync_answer_error( $error );
}
