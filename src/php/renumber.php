<?php
/**
 * Playground Sync: renumbering a site by the numberer's mappings (docs/ids.md), on every member.
 *
 * - pgsync_renumber(): renumbers the site by mappings the numberer made (the numberer's own pass
 *   runs the same pgsync_renumber_site(), see renumber-pass.php). Idempotent: a mapping already
 *   here is skipped.
 * - pgsync_renumber_arriving(), pgsync_renumber_changed_rows(): rows that still carry a high ID
 *   this site renumbered get its low ID, as they arrive or before the drain reads them.
 *
 * Renumbering rewrites every column of every table (synced, local-only and plugins' tables; not
 * the engine's or the driver's own) with playground_sync_renumber_value(), the row keys included,
 * then the engine's row versions and pending changelog keys, and stores the mappings in the
 * `renumbered` engine table. It runs inside the caller's transaction with the applying marker
 * set: the same renumbering runs on every member, so no capture trigger records it. Each table
 * is read once (pgsync_renumber_scan()): SQLite picks the cells whose digits could be a high ID,
 * PHP rewrites them.
 *
 * Needs capture-common.php, local-only.php, url-rewrite.php, id-rewrite.php and the site's
 * id-shards.php (all in the engine's directory). PHP 7.4+.
 */

if ( function_exists( 'pgsync_renumber' ) ) {
	return;
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
	return pgsync_renumbered_map_of( pgsync_renumbered_by_table( $pdo ) );
}

/** The mappings of pgsync_renumbered_by_table() as one map: high ID => low ID. */
function pgsync_renumbered_map_of( array $by_table ) {
	$map = array();
	foreach ( $by_table as $own ) {
		$map += $own;
	}
	return $map;
}

/** Every mapping this site holds, by table: table => (high ID => low ID). */
function pgsync_renumbered_by_table( PDO $pdo ) {
	$by_table = array();
	foreach ( $pdo->query( 'SELECT tbl, high, low FROM ' . pgsync_quote_id( pgsync_renumbered_table() ) )->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$by_table[ $row[0] ][ (int) $row[1] ] = (int) $row[2];
	}
	return $by_table;
}

/**
 * The map a column of $table is rewritten by: its AUTOINCREMENT key only by the table's own
 * mappings (a value equal to another table's high ID there is a key of its own: an ID two tables
 * share, see pgsync_mark_shared_ids()), every other column by all of them. $keys caches the key
 * column by table.
 */
function pgsync_renumber_map_of_column( PDO $pdo, $table, $column, array $map, array $by_table, array &$keys ) {
	if ( ! array_key_exists( $table, $keys ) ) {
		$keys[ $table ] = pgsync_table_exists( $pdo, $table ) ? playground_sync_id_shards_autoincrement_pk( $pdo, $table ) : null;
	}
	if ( null === $keys[ $table ] || $column !== $keys[ $table ] ) {
		return $map;
	}
	return isset( $by_table[ $table ] ) ? $by_table[ $table ] : array();
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
// Every member's side

/**
 * @param array $input {mappings: list of {table, high, low}, by: the numberer's member id}
 * @return array {renumbered: mappings new here, cells: cells rewritten}
 */
function pgsync_renumber( PDO $pdo, array $config, array $input ) {
	$mappings = pgsync_renumber_checked_mappings( $input['mappings'] ?? array() );
	return pgsync_renumber_transaction(
		$pdo,
		function () use ( $pdo, $config, $mappings, $input ) {
			return pgsync_renumber_site( $pdo, $config, $mappings, (string) $input['by'] );
		}
	);
}

/**
 * The numberer's mappings of a batch (apply-batch.php), inside the apply's transaction (its
 * applying marker quiets the capture triggers).
 */
function pgsync_renumber_in_transaction( PDO $pdo, array $config, $mappings, $by ) {
	$mappings = pgsync_renumber_checked_mappings( $mappings );
	pgsync_create_renumbered_table( $pdo );
	return pgsync_renumber_site( $pdo, $config, $mappings, (string) $by );
}

/** $mappings, each with a table, a high ID and a lower low ID; throws on anything else. */
function pgsync_renumber_checked_mappings( $mappings ) {
	pgsync_renumber_require_id_shards();
	if ( ! is_array( $mappings ) ) {
		throw new InvalidArgumentException( 'Renumberings are a list of mappings' );
	}
	foreach ( $mappings as $mapping ) {
		if ( ! is_array( $mapping ) || ! isset( $mapping['table'], $mapping['high'], $mapping['low'] )
			|| ! is_string( $mapping['table'] ) || ! is_int( $mapping['high'] ) || ! is_int( $mapping['low'] )
			|| $mapping['low'] < 1 || $mapping['low'] >= $mapping['high'] ) {
			throw new InvalidArgumentException( 'A mapping needs a table, a high ID and a lower low ID: ' . pgsync_json( $mapping ) );
		}
	}
	return $mappings;
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
	$all   = pgsync_renumber_by( $map );
	$none  = pgsync_renumber_by( array() );
	$cells = 0;
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$own    = isset( $by_table[ $table ] ) ? pgsync_renumber_by( $by_table[ $table ] ) : $none;
		$cells += pgsync_renumber_table( $pdo, $table, $all, $own );
	}
	// The engine's keys of rows: JSON arrays of the key columns, of the table each entry names.
	foreach ( array( 'rowver', 'changelog' ) as $engine ) {
		pgsync_renumber_engine_keys( $pdo, pgsync_engine_table( $engine ), $all, $by_table );
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

/**
 * Rewrites every column of $table by $all, but its own AUTOINCREMENT key: only by the mappings of
 * this table ($own), as a value equal to another table's high ID there is a key of its own (an ID
 * two tables share, see pgsync_mark_shared_ids()). Both made by pgsync_renumber_by(). Answers the
 * number of cells changed.
 */
function pgsync_renumber_table( PDO $pdo, $table, array $all, array $own ) {
	$rewrites = pgsync_renumber_rewrites( $pdo, $table, $all, $own );
	$address  = pgsync_renumber_row_address( $pdo, $table );
	$changed = 0;
	foreach ( pgsync_renumber_scan( $pdo, $table, $rewrites, $address ) as $row ) {
		list( $key_values, $cells ) = $row;
		$set = array();
		foreach ( $cells as $column => $value ) {
			$rewritten = playground_sync_renumber_value( $value, $rewrites[ $column ]['map'] );
			if ( $rewritten !== $value ) {
				$set[ $column ] = $rewritten;
			}
		}
		pgsync_renumber_write_row( $pdo, $table, $address, $key_values, $set );
		$changed += count( $set );
	}
	return $changed;
}

/** What each column of $table is rewritten by: its AUTOINCREMENT key by $own, the others by $all (see pgsync_renumber_table()); columns with nothing to rewrite left out. */
function pgsync_renumber_rewrites( PDO $pdo, $table, array $all, array $own ) {
	$key      = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
	$rewrites = array();
	foreach ( pgsync_table_info( $pdo, $table )['columns'] as $column ) {
		$by = $column === $key ? $own : $all;
		if ( count( $by['map'] ) > 0 ) {
			$rewrites[ $column ] = $by;
		}
	}
	return $rewrites;
}

/**
 * Rewrites the row keys (JSON arrays) of an engine table ($engine: rowver or changelog): an
 * AUTOINCREMENT table's by its own mappings only (as pgsync_renumber_table() its key column),
 * any other table's (keys made of references: term relationships) by all of $map.
 */
function pgsync_renumber_engine_keys( PDO $pdo, $engine, array $all, array $by_table ) {
	$map     = $all['map'];
	$q       = pgsync_quote_id( $engine );
	$update  = $pdo->prepare( "UPDATE $q SET pk = ? WHERE tbl = ? AND pk = ?" );
	$matches = pgsync_renumber_matches( 'pk', $all['globs'] );
	$uses    = array();
	foreach ( $pdo->query( "SELECT DISTINCT tbl, pk FROM $q WHERE $matches" )->fetchAll( PDO::FETCH_NUM ) as $entry ) {
		list( $table, $pk ) = $entry;
		if ( ! isset( $uses[ $table ] ) ) {
			$own            = isset( $by_table[ $table ] ) ? $by_table[ $table ] : array();
			$uses[ $table ] = null === playground_sync_id_shards_autoincrement_pk( $pdo, $table ) ? $map : $own;
		}
		$rewritten = playground_sync_renumber_value( (string) $pk, $uses[ $table ] );
		if ( $rewritten !== (string) $pk ) {
			$update->execute( array( $rewritten, $table, $pk ) );
		}
	}
}

/** How to name one row in UPDATE: its primary key columns, or its rowid when it has none. */
function pgsync_renumber_row_address( PDO $pdo, $table ) {
	$pk = pgsync_table_info( $pdo, $table )['pk'];
	return 0 === count( $pk ) ? array( 'rowid' ) : $pk;
}

function pgsync_renumber_address_column( $part ) {
	return 'rowid' === $part ? 'rowid' : pgsync_quote_id( $part );
}

/** Writes $set (column => value) into the row that $key_values (in $address's order) name. */
function pgsync_renumber_write_row( PDO $pdo, $table, array $address, array $key_values, array $set ) {
	if ( 0 === count( $set ) ) {
		return;
	}
	$assign = array();
	foreach ( array_keys( $set ) as $column ) {
		$assign[] = pgsync_quote_id( $column ) . ' = ?';
	}
	$where = array();
	foreach ( $address as $part ) {
		$where[] = pgsync_renumber_address_column( $part ) . ' = ?';
	}
	$update   = $pdo->prepare( 'UPDATE ' . pgsync_quote_id( $table ) . ' SET ' . implode( ', ', $assign ) . ' WHERE ' . implode( ' AND ', $where ) );
	$position = 0;
	foreach ( array_merge( array_values( $set ), array_values( $key_values ) ) as $bound ) {
		$update->bindValue( ++$position, $bound, is_int( $bound ) ? PDO::PARAM_INT : PDO::PARAM_STR );
	}
	$update->execute();
}

/** GLOB patterns in one query at most: SQLite limits an expression's depth to 1000. */
function pgsync_renumber_terms_per_query() {
	return 300;
}

/**
 * A map (high ID => low ID) with the GLOB patterns matching every text that holds one of its highs
 * in digits (and a few more texts), made once for every column it is used on: a pattern per
 * length and leading digits the highs share, `*11000000[0-9][0-9]*`, as long as that makes at
 * most 8. The rewriter then looks at what matched. An integer matches as its digits.
 */
function pgsync_renumber_by( array $map ) {
	return array(
		'map'   => $map,
		'globs' => pgsync_renumber_globs( array_keys( $map ) ),
	);
}

function pgsync_renumber_globs( array $highs ) {
	$longest = 0;
	foreach ( $highs as $high ) {
		$longest = max( $longest, strlen( (string) $high ) );
	}
	for ( $lead = $longest; ; --$lead ) {
		$globs = array();
		foreach ( $highs as $high ) {
			$digits = (string) $high;
			$shown  = min( $lead, strlen( $digits ) );
			$globs[ '*' . substr( $digits, 0, $shown ) . str_repeat( '[0-9]', strlen( $digits ) - $shown ) . '*' ] = true;
		}
		if ( count( $globs ) <= 8 || $lead <= 1 ) {
			return array_keys( $globs );
		}
	}
}

/** SQL: $sql_value matches one of $globs (digits, brackets and stars only: safe as literals). */
function pgsync_renumber_matches( $sql_value, array $globs ) {
	$tests = array();
	foreach ( $globs as $glob ) {
		$tests[] = "$sql_value GLOB '$glob'";
	}
	return '(' . implode( ' OR ', $tests ) . ')';
}

/**
 * The cells of $table that may hold a high ID of their column's map, reading the table once for
 * all its columns (a few times for a table of very many columns). $rewrites: column =>
 * pgsync_renumber_by() of its map; other columns are not looked at. Yields, per row that
 * matched, array(address values, cells: column => value) with integers as int and text as
 * string: blobs and reals are never rewritten. Each query's rows are yielded before the next
 * query runs, so a rewritten key is read as rewritten.
 */
function pgsync_renumber_scan( PDO $pdo, $table, array $rewrites, array $address ) {
	$groups = array( array() );
	$terms  = 0;
	foreach ( $rewrites as $column => $rewrite ) {
		$globs = $rewrite['globs'];
		if ( $terms > 0 && $terms + count( $globs ) > pgsync_renumber_terms_per_query() ) {
			$groups[] = array();
			$terms    = 0;
		}
		$groups[ count( $groups ) - 1 ][] = $column;
		$terms                           += count( $globs );
	}
	$select = array_map( 'pgsync_renumber_address_column', $address );
	foreach ( $groups as $columns ) {
		if ( 0 === count( $columns ) ) {
			continue;
		}
		$read  = $select;
		$tests = array();
		foreach ( $columns as $column ) {
			$col     = pgsync_quote_id( $column );
			$read[]  = "typeof($col), $col";
			$tests[] = pgsync_renumber_matches( $col, $rewrites[ $column ]['globs'] );
		}
		$rows = $pdo->query( 'SELECT ' . implode( ', ', $read ) . ' FROM ' . pgsync_quote_id( $table ) . ' WHERE ' . implode( ' OR ', $tests ) )->fetchAll( PDO::FETCH_NUM );
		foreach ( $rows as $row ) {
			$cells = array();
			foreach ( $columns as $i => $column ) {
				$type  = $row[ count( $address ) + 2 * $i ];
				$value = $row[ count( $address ) + 2 * $i + 1 ];
				// Fetches are strings (STRINGIFY_FETCHES): an integer cell is read, and written, as one.
				if ( 'integer' === $type ) {
					$cells[ $column ] = (int) $value;
				} elseif ( 'text' === $type ) {
					$cells[ $column ] = $value;
				}
			}
			yield array( array_slice( $row, 0, count( $address ) ), $cells );
		}
	}
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
	$by_table = pgsync_renumbered_by_table( $pdo );
	$map      = pgsync_renumbered_map_of( $by_table );
	if ( 0 === count( $map ) ) {
		return $changes;
	}
	pgsync_renumber_require_id_shards();
	$keys = array();
	foreach ( $changes as $i => $change ) {
		$table = isset( $change['table'] ) && is_string( $change['table'] ) ? $change['table'] : '';
		foreach ( array( 'key', 'row' ) as $part ) {
			if ( isset( $change[ $part ] ) && is_array( $change[ $part ] ) ) {
				foreach ( $change[ $part ] as $column => $cell ) {
					$changes[ $i ][ $part ][ $column ] = pgsync_renumber_cell( $cell, pgsync_renumber_map_of_column( $pdo, $table, (string) $column, $map, $by_table, $keys ) );
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
	$by_table = pgsync_renumbered_by_table( $pdo );
	$map      = pgsync_renumbered_map_of( $by_table );
	if ( 0 === count( $map ) ) {
		return;
	}
	$keys = array();
	foreach ( $entries as $entry ) {
		if ( null === $entry[3] && '' !== $entry[2] ) {
			$keys[ $entry[1] ][ $entry[2] ] = json_decode( $entry[2], true );
		}
	}
	pgsync_renumber_require_id_shards();
	$applying = pgsync_quote_id( pgsync_engine_table( 'applying' ) );
	$pdo->exec( "INSERT INTO $applying (marker) VALUES (1)" );
	try {
		foreach ( $keys as $table => $table_keys ) {
			if ( pgsync_table_exists( $pdo, $table ) ) {
				pgsync_renumber_rows( $pdo, $table, array_values( $table_keys ), $map, $by_table );
			}
		}
	} finally {
		$pdo->exec( "DELETE FROM $applying" );
	}
}

/** Rewrites the rows of $table with these primary-key values (lists, in key order), its AUTOINCREMENT key by its own mappings only. */
function pgsync_renumber_rows( PDO $pdo, $table, array $keys, array $map, array $by_table ) {
	$info = pgsync_table_info( $pdo, $table );
	if ( 0 === count( $info['pk'] ) ) {
		return;
	}
	$key_columns = array();
	$maps        = array();
	foreach ( $info['columns'] as $column ) {
		$maps[ $column ] = pgsync_renumber_map_of_column( $pdo, $table, $column, $map, $by_table, $key_columns );
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
			$rewritten = in_array( $row[ 2 * $i ], array( 'integer', 'text' ), true ) ? playground_sync_renumber_value( $value, $maps[ $column ] ) : $value;
			if ( $rewritten !== $value ) {
				$set[ $column ] = $rewritten;
			}
		}
		pgsync_renumber_write_row( $pdo, $table, $info['pk'], $values, $set );
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
