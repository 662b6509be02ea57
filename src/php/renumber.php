<?php
/**
 * Playground Sync: reclaiming low IDs on one site (docs/ids.md).
 *
 * - pgsync_reclaim_low_ids(): the numberer's pass. Finds the provisional rows (keys in the group
 *   zone, not local-only, not renumbered yet), gives each the next low ID of its table, and
 *   renumbers the site. Answers the mappings, to be sent to every member.
 * - pgsync_renumber(): every other member's side: renumbers the site by mappings the numberer
 *   made. Idempotent: a mapping already here is skipped.
 * - pgsync_find_high_ids(): the checker. Every remaining occurrence of a renumbered high ID, and
 *   every row whose key is still high, with the reason (local-only, natural zone, an ID two tables
 *   share, or not reclaimed yet).
 *
 * Renumbering rewrites every column of every table (synced, local-only and plugins' tables; not
 * the engine's or the driver's own) with playground_sync_renumber_value(), the row keys included,
 * then the engine's row versions and pending changelog keys, and stores the mappings in the
 * `renumbered` engine table. It runs inside the caller's transaction with the applying marker
 * set: the same renumbering runs on every member, so no capture trigger records it.
 *
 * Needs capture-common.php, local-only.php, url-rewrite.php, id-rewrite.php and the site's
 * id-shards.php (all in the engine's directory). PHP 7.4+.
 */

if ( function_exists( 'pgsync_renumber' ) ) {
	return;
}

/** Mappings per SQL query: each adds an `instr()` term, and SQLite limits an expression's depth to 1000. */
function pgsync_renumber_chunk() {
	return 200;
}

function pgsync_renumbered_table() {
	return pgsync_engine_table( 'renumbered' );
}

function pgsync_create_renumbered_table( PDO $pdo ) {
	$pdo->exec(
		'CREATE TABLE IF NOT EXISTS ' . pgsync_quote_id( pgsync_renumbered_table() )
		. ' (high INTEGER PRIMARY KEY, tbl TEXT NOT NULL, low INTEGER NOT NULL, by_member TEXT NOT NULL, at TEXT NOT NULL)'
	);
}

/** Every mapping this site holds: high ID => low ID. */
function pgsync_renumbered_map( PDO $pdo ) {
	$map = array();
	foreach ( $pdo->query( 'SELECT high, low FROM ' . pgsync_quote_id( pgsync_renumbered_table() ) )->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$map[ (int) $row[0] ] = (int) $row[1];
	}
	return $map;
}

/** The group zone [lo, hi) and the natural zones' end, checked. */
function pgsync_renumber_zone( array $input ) {
	$zone = isset( $input['zone'] ) && is_array( $input['zone'] ) ? $input['zone'] : array();
	foreach ( array( 'lo', 'hi' ) as $end ) {
		if ( ! isset( $zone[ $end ] ) || ! is_int( $zone[ $end ] ) || $zone[ $end ] < 1 ) {
			throw new InvalidArgumentException( 'The group zone needs integer lo and hi' );
		}
	}
	if ( $zone['hi'] <= $zone['lo'] ) {
		throw new InvalidArgumentException( 'The group zone is empty' );
	}
	return $zone;
}

/** The group zone of the plan the site holds, or null when it holds none (no ID shards, or a plan of an older format). */
function pgsync_renumber_plan_zone( PDO $pdo ) {
	$plan = playground_sync_id_shards_plan_row( $pdo );
	return null === $plan ? null : array( 'lo' => $plan['group_lo'], 'hi' => $plan['group_hi'] );
}

function pgsync_renumber_require_id_shards() {
	if ( ! function_exists( 'playground_sync_id_shards_autoincrement_pk' ) ) {
		if ( ! is_file( __DIR__ . '/id-shards.php' ) ) {
			throw new RuntimeException( 'The site has no ID shards: nothing to reclaim' );
		}
		require_once __DIR__ . '/id-shards.php';
	}
}

/**
 * Runs $work inside one transaction with the capture triggers quiet. Throws what $work throws,
 * with nothing of it kept.
 */
function pgsync_renumber_transaction( PDO $pdo, callable $work ) {
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		pgsync_create_renumbered_table( $pdo );
		$pdo->exec( 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'applying' ) ) . ' (marker) VALUES (1)' );
		$result = $work();
		$pdo->exec( 'DELETE FROM ' . pgsync_quote_id( pgsync_engine_table( 'applying' ) ) );
		$pdo->exec( 'COMMIT' );
		return $result;
	} catch ( Throwable $error ) {
		pgsync_rollback_quietly( $pdo );
		throw $error;
	}
}

// ---------------------------------------------------------------------------------------------
// The numberer's pass

/**
 * @param array $input {zone?: {lo, hi} (default: the site's plan's), by: member id, max?: int (rows per pass)}
 * @return array {mappings: list of {table, high, low, title, postType}, sharded: false when the site holds no plan,
 *                deferred: posts left high for now because someone edits them (pgsync_posts_being_edited())}
 */
function pgsync_reclaim_low_ids( PDO $pdo, array $config, array $input ) {
	pgsync_renumber_require_id_shards();
	$zone = isset( $input['zone'] ) ? pgsync_renumber_zone( $input ) : pgsync_renumber_plan_zone( $pdo );
	if ( null === $zone ) {
		return array( 'mappings' => array(), 'sharded' => false, 'deferred' => 0 );
	}
	$max  = isset( $input['max'] ) ? max( 1, (int) $input['max'] ) : 1000;
	return pgsync_renumber_transaction(
		$pdo,
		function () use ( $pdo, $config, $zone, $input, $max ) {
			$mappings = array();
			$editing  = pgsync_posts_being_edited( $pdo, $config['tablePrefix'] );
			$deferred = 0;
			foreach ( pgsync_provisional_rows( $pdo, $config, $zone, false ) as $table => $found ) {
				$ids = array_values( array_diff_key( $found['ids'], array_filter( $found['shared'] ) ) );
				if ( $config['tablePrefix'] . 'posts' === $table ) {
					$free      = array_values( array_filter( $ids, function ( $id ) use ( $editing ) { return ! isset( $editing[ $id ] ); } ) );
					$deferred += count( $ids ) - count( $free );
					$ids       = $free;
				}
				$ids  = array_slice( $ids, 0, $max - count( $mappings ) );
				$next = pgsync_next_low_id( $pdo, $table, $found['pk'], $zone['lo'] );
				$about = pgsync_renumber_about( $pdo, $config['tablePrefix'], $table, $found['pk'], $ids );
				foreach ( $ids as $high ) {
					$mappings[] = array(
						'table' => $table,
						'high'  => $high,
						'low'   => $next++,
					) + ( isset( $about[ $high ] ) ? $about[ $high ] : array( 'title' => null, 'postType' => null ) );
				}
				if ( count( $mappings ) >= $max ) {
					break;
				}
			}
			pgsync_renumber_site( $pdo, $config, $mappings, (string) $input['by'] );
			return array( 'mappings' => $mappings, 'sharded' => true, 'deferred' => $deferred );
		}
	);
}

/**
 * How long a post stays locked after the editor last said it is open (WordPress's
 * `wp_check_post_lock_window`, 150 s; the block editor releases the lock when it closes).
 */
function pgsync_post_lock_window() {
	return 150;
}

/**
 * Posts someone has open in an editor, on any member (`_edit_lock` is synced): ID => true. They
 * keep their high ID until the editor closes: an editor that saw its post's ID change under it
 * fails to save (the block editor keys its state by the ID its requests answer).
 */
function pgsync_posts_being_edited( PDO $pdo, $prefix ) {
	$meta = $prefix . 'postmeta';
	if ( ! pgsync_table_exists( $pdo, $meta ) ) {
		return array();
	}
	$stmt = $pdo->prepare(
		'SELECT post_id FROM ' . pgsync_quote_id( $meta ) . " WHERE meta_key = '_edit_lock' AND CAST(substr(meta_value, 1, instr(meta_value || ':', ':') - 1) AS INTEGER) > ?"
	);
	$stmt->execute( array( time() - pgsync_post_lock_window() ) );
	$editing = array();
	foreach ( $stmt->fetchAll( PDO::FETCH_COLUMN ) as $id ) {
		$editing[ (int) $id ] = true;
	}
	return $editing;
}

/**
 * Rows of AUTOINCREMENT tables whose key is in the group zone and that no mapping covers:
 * table => {pk, ids (ascending)}. Local-only rows are left out, or (for the checker) listed apart.
 */
function pgsync_provisional_rows( PDO $pdo, array $config, array $zone, $with_local_only ) {
	$rules = pgsync_local_only_rules();
	$found = array();
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$pk = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
		if ( null === $pk ) {
			continue;
		}
		$local = playground_sync_local_only_predicate( $table, $config['tablePrefix'], 't', $rules );
		$key   = pgsync_column( $pk, 't' );
		$stmt  = $pdo->prepare(
			"SELECT $key, ($local) FROM " . pgsync_quote_id( $table ) . " AS t WHERE $key >= ? AND $key < ? AND $key NOT IN (SELECT high FROM "
			. pgsync_quote_id( pgsync_renumbered_table() ) . ") ORDER BY $key"
		);
		$stmt->execute( array( $zone['lo'], $zone['hi'] ) );
		foreach ( $stmt->fetchAll( PDO::FETCH_NUM ) as $row ) {
			$is_local = (bool) (int) $row[1];
			if ( $is_local && ! $with_local_only ) {
				continue;
			}
			$found[ $table ]['pk']      = $pk;
			$found[ $table ]['ids'][]   = (int) $row[0];
			$found[ $table ]['local'][] = $is_local;
		}
	}
	return pgsync_mark_shared_ids( $found );
}

/**
 * An ID that keys rows in two tables (made before one cursor served every table, see
 * id-shards.php) cannot be told apart in a bare number: such rows are marked `shared` and never
 * reclaimed.
 */
function pgsync_mark_shared_ids( array $found ) {
	$tables_of = array();
	foreach ( $found as $rows ) {
		foreach ( $rows['ids'] as $id ) {
			$tables_of[ $id ] = isset( $tables_of[ $id ] ) ? $tables_of[ $id ] + 1 : 1;
		}
	}
	foreach ( $found as $table => $rows ) {
		foreach ( $rows['ids'] as $i => $id ) {
			$found[ $table ]['shared'][ $i ] = $tables_of[ $id ] > 1;
		}
	}
	return $found;
}

/**
 * One more than the largest of: the table's keys below the group zone, the low IDs already given
 * in it, and the keys below the zone that row versions remember (deleted rows): an ID that was
 * ever used is not given again.
 */
function pgsync_next_low_id( PDO $pdo, $table, $pk, $zone_lo ) {
	$key     = pgsync_quote_id( $pk );
	$version = "CAST(json_extract(pk, '$[0]') AS INTEGER)";
	$stmt    = $pdo->prepare(
		'SELECT max(coalesce((SELECT max(' . $key . ') FROM ' . pgsync_quote_id( $table ) . ' WHERE ' . $key . ' < ?), 0), '
		. 'coalesce((SELECT max(low) FROM ' . pgsync_quote_id( pgsync_renumbered_table() ) . ' WHERE tbl = ?), 0), '
		. "coalesce((SELECT max($version) FROM " . pgsync_quote_id( pgsync_engine_table( 'rowver' ) )
		. " WHERE tbl = ? AND json_array_length(pk) = 1 AND $version < ?), 0))"
	);
	$stmt->execute( array( $zone_lo, $table, $table, $zone_lo ) );
	return (int) $stmt->fetchColumn() + 1;
}

/** A title as the journal shows it (a line names at most 60 characters): short enough for one envelope of 1000. */
function pgsync_renumber_short_title( $title ) {
	return preg_match( '/^.{0,100}/us', $title, $match ) ? $match[0] : '';
}

/** What the journal says of a renumbered row: a post's title and type, a term's or user's name. */
function pgsync_renumber_about( PDO $pdo, $prefix, $table, $pk, array $ids ) {
	$titles = array(
		'posts'    => array( 'post_title', 'post_type' ),
		'terms'    => array( 'name', null ),
		'comments' => array( 'comment_author', null ),
		'users'    => array( 'user_login', null ),
		'links'    => array( 'link_name', null ),
	);
	$short  = 0 === strncmp( $table, $prefix, strlen( $prefix ) ) ? substr( $table, strlen( $prefix ) ) : '';
	if ( ! isset( $titles[ $short ] ) || 0 === count( $ids ) ) {
		return array();
	}
	list( $title, $type ) = $titles[ $short ];
	$stmt = $pdo->prepare(
		'SELECT ' . pgsync_quote_id( $pk ) . ', ' . pgsync_quote_id( $title ) . ', ' . ( null === $type ? 'NULL' : pgsync_quote_id( $type ) )
		. ' FROM ' . pgsync_quote_id( $table ) . ' WHERE ' . pgsync_quote_id( $pk ) . ' IN (' . implode( ',', array_map( 'intval', $ids ) ) . ')'
	);
	$stmt->execute();
	$about = array();
	foreach ( $stmt->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$about[ (int) $row[0] ] = array(
			'title'    => null === $row[1] ? null : pgsync_renumber_short_title( (string) $row[1] ),
			'postType' => null === $row[2] ? null : (string) $row[2],
		);
	}
	return $about;
}

// ---------------------------------------------------------------------------------------------
// Every member's side

/**
 * @param array $input {mappings: list of {table, high, low}, by: the numberer's member id}
 * @return array {renumbered: mappings new here, cells: cells rewritten}
 */
function pgsync_renumber( PDO $pdo, array $config, array $input ) {
	pgsync_renumber_require_id_shards();
	$mappings = isset( $input['mappings'] ) && is_array( $input['mappings'] ) ? $input['mappings'] : array();
	foreach ( $mappings as $mapping ) {
		if ( ! is_array( $mapping ) || ! isset( $mapping['table'], $mapping['high'], $mapping['low'] )
			|| ! is_string( $mapping['table'] ) || ! is_int( $mapping['high'] ) || ! is_int( $mapping['low'] )
			|| $mapping['low'] < 1 || $mapping['low'] >= $mapping['high'] ) {
			throw new InvalidArgumentException( 'A mapping needs a table, a high ID and a lower low ID: ' . pgsync_json( $mapping ) );
		}
	}
	return pgsync_renumber_transaction(
		$pdo,
		function () use ( $pdo, $config, $mappings, $input ) {
			return pgsync_renumber_site( $pdo, $config, $mappings, (string) $input['by'] );
		}
	);
}

/**
 * Renumbers the site by $mappings (inside the caller's transaction): rows, references, row
 * versions, pending changelog keys; stores the mappings. A mapping already held is skipped; one
 * that contradicts a held one, or whose low ID another row of the table has, fails the whole.
 */
function pgsync_renumber_site( PDO $pdo, array $config, array $mappings, $by ) {
	$held  = pgsync_renumbered_map( $pdo );
	$fresh = array();
	foreach ( $mappings as $mapping ) {
		$high = $mapping['high'];
		if ( isset( $held[ $high ] ) ) {
			if ( $held[ $high ] !== $mapping['low'] ) {
				throw new RuntimeException( "ID {$high} of {$mapping['table']} was renumbered to {$held[ $high ]} here, not {$mapping['low']}: two numberers gave it low IDs" );
			}
			continue;
		}
		pgsync_renumber_make_room( $pdo, $config, $mapping );
		$fresh[ $high ] = $mapping;
	}
	if ( 0 === count( $fresh ) ) {
		return array(
			'renumbered' => 0,
			'cells'      => 0,
		);
	}
	$map      = array();
	$by_table = array();
	foreach ( $fresh as $high => $mapping ) {
		$map[ $high ]                           = $mapping['low'];
		$by_table[ $mapping['table'] ][ $high ] = $mapping['low'];
	}
	$cells = 0;
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$cells += pgsync_renumber_table( $pdo, $table, $map, isset( $by_table[ $table ] ) ? $by_table[ $table ] : array() );
	}
	// The engine's keys of rows: JSON arrays of the key columns, of the table each entry names.
	foreach ( array( 'rowver', 'changelog' ) as $engine ) {
		pgsync_renumber_engine_keys( $pdo, pgsync_engine_table( $engine ), $map, $by_table );
	}
	$store = $pdo->prepare( 'INSERT INTO ' . pgsync_quote_id( pgsync_renumbered_table() ) . ' (high, tbl, low, by_member, at) VALUES (?, ?, ?, ?, ?)' );
	foreach ( $fresh as $high => $mapping ) {
		$store->execute( array( $high, $mapping['table'], $mapping['low'], $by, gmdate( 'Y-m-d H:i:s' ) ) );
	}
	return array(
		'renumbered' => count( $fresh ),
		'cells'      => $cells,
	);
}

/** The mapping's low ID must be free in its table (or the mapping's own row already has it). */
/**
 * Makes sure the mapping's low ID is free here. A local-only row of this site's own there (a
 * transient or a session made before the group, numbered below it: each member has its own) moves
 * to a new ID of this site's range: nothing anywhere refers to the key of a local-only row. Any
 * other row there fails the whole renumbering.
 */
function pgsync_renumber_make_room( PDO $pdo, array $config, array $mapping ) {
	$table = $mapping['table'];
	if ( ! pgsync_table_exists( $pdo, $table ) ) {
		return; // A table this site lacks: its rows, should they come, are rewritten on arrival.
	}
	$pk = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
	if ( null === $pk ) {
		throw new RuntimeException( "{$table} has no AUTOINCREMENT key here: cannot renumber its ID {$mapping['high']}" );
	}
	$local = playground_sync_local_only_predicate( $table, $config['tablePrefix'], 't', pgsync_local_only_rules() );
	$stmt  = $pdo->prepare( "SELECT ($local) FROM " . pgsync_quote_id( $table ) . ' AS t WHERE ' . pgsync_column( $pk, 't' ) . ' = ?' );
	$stmt->execute( array( $mapping['low'] ) );
	$occupant = $stmt->fetchColumn();
	$stmt->closeCursor();
	if ( false === $occupant ) {
		return;
	}
	$plan = (bool) (int) $occupant ? playground_sync_id_shards_plan_row( $pdo ) : null;
	if ( null === $plan ) {
		throw new RuntimeException( "{$table} has a row {$mapping['low']} here already: cannot renumber {$mapping['high']} to it" );
	}
	$range = array( $plan['self_lo'], $plan['self_hi'] );
	playground_sync_id_shards_ensure_row( $pdo, $table, $pk, $range );
	$moved = playground_sync_id_shards_allocate( $pdo, $table, $pk, 1, $range );
	if ( null === $moved ) {
		throw new RuntimeException( "{$table}'s range here is used up: cannot move its local row {$mapping['low']} out of the way of {$mapping['high']}" );
	}
	$pdo->prepare( 'UPDATE ' . pgsync_quote_id( $table ) . ' SET ' . pgsync_quote_id( $pk ) . ' = ? WHERE ' . pgsync_quote_id( $pk ) . ' = ?' )->execute( array( $moved, $mapping['low'] ) );
}

/** Rewrites every column of $table; answers the number of cells changed. */
/**
 * Rewrites every column of $table by $map, but its own AUTOINCREMENT key: only by the mappings of
 * this table ($own), as a value equal to another table's high ID there is a key of its own (an ID
 * two tables share, see pgsync_mark_shared_ids()).
 */
function pgsync_renumber_table( PDO $pdo, $table, array $map, array $own ) {
	$address = pgsync_renumber_row_address( $pdo, $table );
	$key     = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
	$cells   = 0;
	foreach ( pgsync_table_info( $pdo, $table )['columns'] as $column ) {
		$by = $column === $key ? $own : $map;
		if ( count( $by ) > 0 ) {
			$cells += pgsync_renumber_column( $pdo, $table, $column, $by, $address );
		}
	}
	return $cells;
}

/**
 * Rewrites the row keys (JSON arrays) of an engine table ($engine: rowver or changelog): an
 * AUTOINCREMENT table's by its own mappings only (as pgsync_renumber_table() its key column),
 * any other table's (keys made of references: term relationships) by all of $map.
 */
function pgsync_renumber_engine_keys( PDO $pdo, $engine, array $map, array $by_table ) {
	$q      = pgsync_quote_id( $engine );
	$update = $pdo->prepare( "UPDATE $q SET pk = ? WHERE tbl = ? AND pk = ?" );
	foreach ( $pdo->query( "SELECT DISTINCT tbl FROM $q" )->fetchAll( PDO::FETCH_COLUMN ) as $table ) {
		$own = isset( $by_table[ $table ] ) ? $by_table[ $table ] : array();
		$use = null === playground_sync_id_shards_autoincrement_pk( $pdo, $table ) ? $map : $own;
		foreach ( array_chunk( array_keys( $use ), pgsync_renumber_chunk() ) as $highs ) {
			$tests = array();
			foreach ( $highs as $high ) {
				$tests[] = "instr(pk, '" . (int) $high . "') > 0";
			}
			$select = $pdo->prepare( "SELECT DISTINCT pk FROM $q WHERE tbl = ? AND (" . implode( ' OR ', $tests ) . ')' );
			$select->execute( array( $table ) );
			foreach ( $select->fetchAll( PDO::FETCH_COLUMN ) as $pk ) {
				$rewritten = playground_sync_renumber_value( (string) $pk, $use );
				if ( $rewritten !== (string) $pk ) {
					$update->execute( array( $rewritten, $table, $pk ) );
				}
			}
		}
	}
}

/** How to name one row in UPDATE: its primary key columns, or its rowid when it has none. */
function pgsync_renumber_row_address( PDO $pdo, $table ) {
	$pk = pgsync_table_info( $pdo, $table )['pk'];
	return 0 === count( $pk ) ? array( 'rowid' ) : $pk;
}

/**
 * The cells of $column that hold a high ID of $map (an integer equal to one, or text containing
 * one), as list of array(address values, value): integers as int, text as string. Blobs and
 * floats are never read.
 */
function pgsync_renumber_candidates( PDO $pdo, $table, $column, array $map, array $address ) {
	$col     = pgsync_quote_id( $column );
	$select  = array();
	foreach ( $address as $part ) {
		$select[] = 'rowid' === $part ? 'rowid' : pgsync_quote_id( $part );
	}
	$found = array();
	foreach ( array_chunk( array_keys( $map ), pgsync_renumber_chunk() ) as $highs ) {
		$texts = array();
		foreach ( $highs as $high ) {
			$texts[] = 'instr(' . $col . ", '" . $high . "') > 0";
		}
		$sql  = 'SELECT ' . implode( ', ', $select ) . ", typeof($col), $col FROM " . pgsync_quote_id( $table )
			. " WHERE (typeof($col) = 'integer' AND $col IN (" . implode( ',', $highs ) . "))"
			. " OR (typeof($col) = 'text' AND (" . implode( ' OR ', $texts ) . '))';
		foreach ( $pdo->query( $sql )->fetchAll( PDO::FETCH_NUM ) as $row ) {
			$value = array_pop( $row );
			// Fetches are strings (STRINGIFY_FETCHES): an integer cell is read, and written, as one.
			$value                        = 'integer' === array_pop( $row ) ? (int) $value : $value;
			$found[ pgsync_json( $row ) ] = array( $row, $value );
		}
	}
	return array_values( $found );
}

/** Rewrites the cells of one column; answers how many changed. */
function pgsync_renumber_column( PDO $pdo, $table, $column, array $map, array $address ) {
	$where = array();
	foreach ( $address as $part ) {
		$where[] = ( 'rowid' === $part ? 'rowid' : pgsync_quote_id( $part ) ) . ' = ?';
	}
	$update  = $pdo->prepare( 'UPDATE ' . pgsync_quote_id( $table ) . ' SET ' . pgsync_quote_id( $column ) . ' = ? WHERE ' . implode( ' AND ', $where ) );
	$changed = 0;
	foreach ( pgsync_renumber_candidates( $pdo, $table, $column, $map, $address ) as $candidate ) {
		list( $key, $value ) = $candidate;
		$rewritten = playground_sync_renumber_value( $value, $map );
		if ( $rewritten === $value ) {
			continue;
		}
		$update->bindValue( 1, $rewritten, is_int( $rewritten ) ? PDO::PARAM_INT : PDO::PARAM_STR );
		foreach ( array_values( $key ) as $i => $part ) {
			$update->bindValue( $i + 2, $part );
		}
		$update->execute();
		++$changed;
	}
	return $changed;
}

// ---------------------------------------------------------------------------------------------
// Changes that arrive with a high ID (made before their member had the mapping)

/**
 * A batch's row changes with every high ID this site renumbered replaced, in keys and values
 * (step 4 of docs/ids.md). Unchanged when the site holds no mapping.
 */
function pgsync_renumber_arriving( PDO $pdo, array $changes ) {
	if ( ! pgsync_table_exists( $pdo, pgsync_renumbered_table() ) ) {
		return $changes;
	}
	$map = pgsync_renumbered_map( $pdo );
	if ( 0 === count( $map ) ) {
		return $changes;
	}
	foreach ( $changes as $i => $change ) {
		foreach ( array( 'key', 'row' ) as $part ) {
			if ( isset( $change[ $part ] ) && is_array( $change[ $part ] ) ) {
				foreach ( $change[ $part ] as $column => $cell ) {
					$changes[ $i ][ $part ][ $column ] = pgsync_renumber_cell( $cell, $map );
				}
			}
		}
	}
	return $changes;
}

/**
 * Renumbers, in the rows that changelog entries name, every high ID this site renumbered: a page
 * opened before the renumbering may save what it had (a widget form, serialized settings). Runs
 * in the drain's transaction before the rows are read, with the capture triggers quiet, so they
 * are captured, and kept here, under the low IDs. $entries as the drain reads the changelog.
 */
function pgsync_renumber_changed_rows( PDO $pdo, array $entries ) {
	$map = pgsync_renumbered_map( $pdo );
	if ( 0 === count( $map ) ) {
		return;
	}
	$keys = array();
	foreach ( $entries as $entry ) {
		if ( null === $entry[3] && '' !== $entry[2] ) {
			$keys[ $entry[1] ][ $entry[2] ] = json_decode( $entry[2], true );
		}
	}
	$applying = pgsync_quote_id( pgsync_engine_table( 'applying' ) );
	$pdo->exec( "INSERT INTO $applying (marker) VALUES (1)" );
	try {
		foreach ( $keys as $table => $table_keys ) {
			if ( pgsync_table_exists( $pdo, $table ) ) {
				pgsync_renumber_rows( $pdo, $table, array_values( $table_keys ), $map );
			}
		}
	} finally {
		$pdo->exec( "DELETE FROM $applying" );
	}
}

/** Rewrites the rows of $table with these primary-key values (lists, in key order). */
function pgsync_renumber_rows( PDO $pdo, $table, array $keys, array $map ) {
	$info = pgsync_table_info( $pdo, $table );
	if ( 0 === count( $info['pk'] ) ) {
		return;
	}
	$where  = implode( ' AND ', array_map( 'pgsync_renumber_equals', $info['pk'] ) );
	$select = array();
	foreach ( $info['columns'] as $column ) {
		$select[] = 'typeof(' . pgsync_quote_id( $column ) . '), ' . pgsync_quote_id( $column );
	}
	$read = $pdo->prepare( 'SELECT ' . implode( ', ', $select ) . ' FROM ' . pgsync_quote_id( $table ) . " WHERE $where" );
	foreach ( $keys as $values ) {
		if ( ! is_array( $values ) || count( $values ) !== count( $info['pk'] ) ) {
			continue;
		}
		$read->execute( array_values( $values ) );
		$row = $read->fetch( PDO::FETCH_NUM );
		$read->closeCursor();
		if ( false === $row ) {
			continue;
		}
		$set = array();
		foreach ( $info['columns'] as $i => $column ) {
			$value     = 'integer' === $row[ 2 * $i ] ? (int) $row[ 2 * $i + 1 ] : $row[ 2 * $i + 1 ];
			$rewritten = in_array( $row[ 2 * $i ], array( 'integer', 'text' ), true ) ? playground_sync_renumber_value( $value, $map ) : $value;
			if ( $rewritten !== $value ) {
				$set[ $column ] = $rewritten;
			}
		}
		if ( 0 === count( $set ) ) {
			continue;
		}
		$update = $pdo->prepare(
			'UPDATE ' . pgsync_quote_id( $table ) . ' SET ' . implode( ', ', array_map( 'pgsync_renumber_equals', array_keys( $set ) ) ) . " WHERE $where"
		);
		$position = 0;
		foreach ( array_merge( array_values( $set ), array_values( $values ) ) as $bound ) {
			$update->bindValue( ++$position, $bound, is_int( $bound ) ? PDO::PARAM_INT : PDO::PARAM_STR );
		}
		$update->execute();
	}
}

function pgsync_renumber_equals( $column ) {
	return pgsync_quote_id( $column ) . ' = ?';
}

/** One cell of a batch (see pgsync_encode_cell()) with its high IDs replaced: integers and text; blobs and reals as they are. */
function pgsync_renumber_cell( $cell, array $map ) {
	if ( is_int( $cell ) || is_string( $cell ) ) {
		return playground_sync_renumber_value( $cell, $map );
	}
	if ( is_array( $cell ) && isset( $cell['$b64'] ) && is_string( $cell['$b64'] ) && 1 === count( $cell ) ) {
		$text = pgsync_base64( $cell['$b64'] );
		return array( '$b64' => base64_encode( playground_sync_renumber_value( $text, $map ) ) );
	}
	return $cell;
}

// ---------------------------------------------------------------------------------------------
// The checker

/**
 * @param array $input {zone: {lo, hi}, naturalHi: the end of the natural zones}
 * @return array {occurrences: list of {table, column, key, high}, provisional: list of {table, id, reason}}
 */
function pgsync_find_high_ids( PDO $pdo, array $config, array $input ) {
	pgsync_renumber_require_id_shards();
	$zone = pgsync_renumber_zone( $input );
	pgsync_create_renumbered_table( $pdo );
	$map         = pgsync_renumbered_map( $pdo );
	$occurrences = array();
	if ( count( $map ) > 0 ) {
		foreach ( pgsync_user_tables( $pdo ) as $table ) {
			$address = pgsync_renumber_row_address( $pdo, $table );
			foreach ( pgsync_table_info( $pdo, $table )['columns'] as $column ) {
				foreach ( pgsync_renumber_candidates( $pdo, $table, $column, $map, $address ) as $candidate ) {
					foreach ( pgsync_renumber_highs_in( $candidate[1], $map ) as $high ) {
						$occurrences[] = array(
							'table'  => $table,
							'column' => $column,
							'key'    => pgsync_json( $candidate[0] ),
							'high'   => $high,
						);
					}
				}
			}
		}
	}
	$provisional = array();
	$editing     = pgsync_posts_being_edited( $pdo, $config['tablePrefix'] );
	foreach ( pgsync_provisional_rows( $pdo, $config, $zone, true ) as $table => $found ) {
		$posts = $config['tablePrefix'] . 'posts' === $table;
		foreach ( $found['ids'] as $i => $id ) {
			$reason = 'not-reclaimed';
			if ( $found['local'][ $i ] ) {
				$reason = 'local-only';
			} elseif ( $found['shared'][ $i ] ) {
				$reason = 'shared-id';
			} elseif ( $posts && isset( $editing[ $id ] ) ) {
				$reason = 'being-edited';
			}
			$provisional[] = array(
				'table'  => $table,
				'id'     => $id,
				'reason' => $reason,
			);
		}
	}
	$natural_hi = isset( $input['naturalHi'] ) && is_int( $input['naturalHi'] ) ? $input['naturalHi'] : null;
	if ( null !== $natural_hi ) {
		foreach ( pgsync_provisional_rows( $pdo, $config, array( 'lo' => $zone['hi'], 'hi' => $natural_hi ), true ) as $table => $found ) {
			foreach ( $found['ids'] as $id ) {
				$provisional[] = array(
					'table'  => $table,
					'id'     => $id,
					'reason' => 'natural-zone',
				);
			}
		}
	}
	return array(
		'occurrences' => $occurrences,
		'provisional' => $provisional,
	);
}

/** The high IDs of $map that a value still holds as the rewriter would find them. */
function pgsync_renumber_highs_in( $value, array $map ) {
	if ( is_int( $value ) ) {
		return isset( $map[ $value ] ) ? array( $value ) : array();
	}
	preg_match_all( playground_sync_renumber_plan( $map )['pattern'], (string) $value, $numbers );
	$highs = array();
	foreach ( $numbers[0] as $number ) {
		if ( playground_sync_renumber_number( $number, $map ) !== $number ) {
			$highs[ (int) $number ] = (int) $number;
		}
	}
	return array_values( $highs );
}
