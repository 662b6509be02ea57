<?php
/**
 * Playground Sync: ID shards, the part that runs on every request.
 *
 * A `query` filter gives every INSERT/REPLACE into an AUTOINCREMENT table that leaves the primary
 * key out an explicit key from this site's range (its slot's in the group's plan), taken from the
 * allocator table with one `UPDATE … RETURNING` on the raw SQLite PDO. SQLite's own choice
 * (max(rowid) + 1) would land above another member's IDs as soon as one of them arrives; an
 * explicit key keeps `last_insert_rowid()`, and so `$wpdb->insert_id`, truthful on both drivers.
 *
 * `INSERT … ON DUPLICATE KEY UPDATE` (add_option's insert) gets a key too, so two members' new
 * options never share an option_id (rows are versioned by primary key). When the statement
 * updates an existing row instead, the taken ID stays unused and the row keeps its key. The key
 * column is written in another letter case there: see playground_sync_id_shards_upsert_key_name().
 *
 * Left as they are: statements that name the key (imports, replayed rows), INSERT … SELECT / SET,
 * anything not parsed with certainty, and every query while
 * `$GLOBALS['playground_sync_applying_remote']` is true.
 *
 * When the range has no ID left for a statement, the statement is replaced by one that fails
 * (`$wpdb->insert()` returns false, `last_error` names the table) and the refusal is counted in
 * the allocator row: an insert never takes an ID from another slot's range. Inserts into a
 * sharded table that are left to SQLite are counted there too (`unsharded`).
 *
 * The preload stub requires this file and registers the filter. PHP 7.4+.
 */

// A constant, not function_exists(): this file's functions are bound before its first line runs.
if ( defined( 'PLAYGROUND_SYNC_ID_RANGES_TABLE' ) ) {
	return;
}

define( 'PLAYGROUND_SYNC_ID_RANGES_TABLE', '_wp_sqlite_pgsync_id_ranges' );
define( 'PLAYGROUND_SYNC_ID_PLAN_TABLE', '_wp_sqlite_pgsync_id_plan' );
/** The engine's table of renumbered IDs (renumber.php: pgsync_renumbered_table()). */
define( 'PLAYGROUND_SYNC_RENUMBERED_TABLE', '_wp_sqlite_pgsync_renumbered' );
/** Statements refused for lack of IDs are rewritten to insert into this (missing) table. */
define( 'PLAYGROUND_SYNC_ID_EXHAUSTED_TABLE_PREFIX', 'playground_sync_id_range_exhausted__' );

function playground_sync_id_shards_quote( $name ) {
	return '"' . str_replace( '"', '""', $name ) . '"';
}

/** The raw SQLite PDO under $wpdb, or null when there is none (yet). */
function playground_sync_id_shards_pdo() {
	global $wpdb;
	if ( ! is_object( $wpdb ) ) {
		return null;
	}
	if ( method_exists( $wpdb, 'get_driver' ) ) {
		return $wpdb->get_driver()->get_sqlite_pdo();
	}
	$dbh = $wpdb->dbh;
	if ( is_object( $dbh ) && method_exists( $dbh, 'get_pdo' ) ) {
		return $dbh->get_pdo();
	}
	return null;
}

/**
 * Per-request state: the PDO, this site's range (null: no plan installed) and what each table
 * name resolved to (allocator info, or false when the table is not sharded).
 */
function &playground_sync_id_shards_state() {
	static $state = null;
	if ( null === $state ) {
		$state = array(
			'loaded' => false,
			'pdo'    => null,
			'range'  => null,
			'tables' => array(),
		);
	}
	return $state;
}

/** Forgets what table names resolved to: after DDL a table may be new, gone or rebuilt. */
function playground_sync_id_shards_forget_tables() {
	$state           = &playground_sync_id_shards_state();
	$state['tables'] = array();
}

/** This site's range from the plan row, or null when the site has no plan. Read once per request. */
function playground_sync_id_shards_local_range() {
	$state = &playground_sync_id_shards_state();
	if ( ! $state['loaded'] ) {
		$state['loaded'] = true;
		$pdo             = playground_sync_id_shards_pdo();
		if ( null === $pdo ) {
			$state['loaded'] = false;
			return null;
		}
		$state['pdo'] = $pdo;
		$row          = playground_sync_id_shards_plan_row( $pdo );
		if ( null !== $row ) {
			$state['range'] = array( $row['self_lo'], $row['self_hi'] );
		}
	}
	return $state['range'];
}

/**
 * The plan (its canonical JSON, src/ids/ranges.ts) checked, with `$slot`'s range and the group
 * zone, every slot's range together: array(self_lo, self_hi, group_lo, group_hi). Null for a plan
 * of another version (an older one names peers, not slots): it has no range for a slot. Throws
 * InvalidArgumentException for a malformed plan or a slot outside it, and RangeException when
 * its IDs pass this PHP's integers.
 */
function playground_sync_id_shards_slot_ranges( $plan_json, $slot ) {
	$plan = json_decode( (string) $plan_json, true );
	if ( ! is_array( $plan ) || ! isset( $plan['version'] ) || 2 !== $plan['version'] ) {
		return null;
	}
	if ( isset( $plan['idLimit'] ) && is_float( $plan['idLimit'] ) ) {
		throw new RangeException( 'The plan\'s idLimit passes PHP_INT_MAX (' . PHP_INT_SIZE . '-byte PHP)' );
	}
	foreach ( array( 'base', 'size', 'slots', 'lowWater', 'idLimit' ) as $field ) {
		if ( ! isset( $plan[ $field ] ) || ! is_int( $plan[ $field ] ) || $plan[ $field ] < 0 ) {
			throw new InvalidArgumentException( "The plan has no valid $field" );
		}
	}
	if ( ! is_int( $slot ) || $slot < 0 || $slot >= $plan['slots'] ) {
		throw new InvalidArgumentException( 'Slot ' . var_export( $slot, true ) . " is not in the plan ({$plan['slots']} slots)" );
	}
	$group_hi = $plan['base'] + $plan['slots'] * $plan['size'];
	// Above the ranges: every slot's natural zone (playground_sync_id_shards_lift_sequences()).
	$zones_hi = $group_hi + $plan['slots'] * $plan['size'];
	if ( ! is_int( $zones_hi ) ) {
		throw new RangeException( 'The plan\'s ranges pass PHP_INT_MAX (' . PHP_INT_SIZE . '-byte PHP)' );
	}
	if ( $zones_hi > $plan['idLimit'] ) {
		throw new InvalidArgumentException( 'The ranges and their natural zones pass the plan\'s idLimit' );
	}
	$self_lo = $plan['base'] + $slot * $plan['size'];
	return array( $self_lo, $self_lo + $plan['size'], $plan['base'], $group_hi );
}

/**
 * The plan row (integers as integers), or null when the site holds no plan or one of an older
 * format (it names peers, not slots): this version does not allocate from such a plan.
 */
function playground_sync_id_shards_plan_row( PDO $pdo ) {
	try {
		$row = $pdo->query( 'SELECT plan, self_slot, self_lo, self_hi, group_lo, group_hi, installed_at FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) . ' WHERE id = 1' )->fetch( PDO::FETCH_ASSOC );
	} catch ( Exception $e ) {
		return null; // No plan table, or one without these columns.
	}
	if ( ! is_array( $row ) ) {
		return null;
	}
	foreach ( array( 'self_slot', 'self_lo', 'self_hi', 'group_lo', 'group_hi' ) as $column ) {
		$row[ $column ] = (int) $row[ $column ];
	}
	return $row;
}

/**
 * The first ID of this site's natural zone: its range moved up by the group zone's size, above
 * every slot's range and apart from every other slot's zone (the plan keeps them below idLimit).
 */
function playground_sync_id_shards_natural_floor( array $plan_row ) {
	return $plan_row['self_lo'] + ( $plan_row['group_hi'] - $plan_row['group_lo'] );
}

/**
 * The primary key column of an `INTEGER PRIMARY KEY AUTOINCREMENT` table, or null for any other
 * table (no such table, composite or non-integer key, no AUTOINCREMENT, SQLite's and the
 * driver's own tables).
 */
function playground_sync_id_shards_autoincrement_pk( PDO $pdo, $table ) {
	if ( 0 === strncmp( $table, 'sqlite_', 7 ) || 0 === strncmp( $table, '_wp_sqlite_', 11 ) ) {
		return null;
	}
	$lookup = $pdo->prepare( "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?" );
	$lookup->execute( array( $table ) );
	$sql = $lookup->fetchColumn();
	if ( ! is_string( $sql ) || ! preg_match( '~\bAUTOINCREMENT\b~i', $sql ) ) {
		return null;
	}
	$keys = array();
	foreach ( $pdo->query( 'PRAGMA table_info(' . playground_sync_id_shards_quote( $table ) . ')' )->fetchAll( PDO::FETCH_ASSOC ) as $column ) {
		if ( (int) $column['pk'] > 0 ) {
			$keys[] = $column;
		}
	}
	if ( 1 !== count( $keys ) || 'INTEGER' !== strtoupper( trim( $keys[0]['type'] ) ) ) {
		return null;
	}
	return $keys[0]['name'];
}

/**
 * Gives `$table` its allocator row when it has none: the same range every table gets. Lifts its
 * sequence too (a table made after pairing, or rebuilt by an ALTER, which resets it on the AST
 * driver): once per table and request, on its first insert.
 */
function playground_sync_id_shards_ensure_row( PDO $pdo, $table, $pk, array $range ) {
	$insert = $pdo->prepare(
		'INSERT OR IGNORE INTO ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE )
		. ' (table_name, pk_column, lo, hi, next) VALUES (?, ?, ?, ?, ?)'
	);
	$insert->execute( array( $table, $pk, $range[0], $range[1], $range[0] ) );
	playground_sync_id_shards_lift_sequences( $pdo, array( $table ) );
}

/**
 * Undoes playground_sync_id_shards_lift_sequences() when the pairing ends, so new rows get
 * ordinary IDs again (max(ID) + 1): a sequence still at its lifted value (SQLite numbered no row
 * in the zone) goes back to the largest ID the table holds or this site's allocator handed out.
 * When the table holds no row of the group zone any more (low IDs: every row made while synced
 * was renumbered), the allocator's IDs are all above every new ID for a billion rows: the
 * sequence goes back to the largest ID, so a row written apart gets the next low one.
 */
function playground_sync_id_shards_lower_sequences( PDO $pdo ) {
	$row = playground_sync_id_shards_plan_row( $pdo );
	if ( null === $row ) {
		return;
	}
	$lifted = (int) ( playground_sync_id_shards_natural_floor( $row ) - 1 );
	$next   = $pdo->prepare( 'SELECT lo, next FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) . ' WHERE table_name = ?' );
	foreach ( $pdo->query( "SELECT name FROM sqlite_sequence WHERE CAST(seq AS INTEGER) = $lifted" )->fetchAll( PDO::FETCH_COLUMN ) as $table ) {
		$pk = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
		if ( null === $pk ) {
			continue;
		}
		$highest = (int) $pdo->query( 'SELECT coalesce(max(' . playground_sync_id_shards_quote( $pk ) . '), 0) FROM ' . playground_sync_id_shards_quote( $table ) )->fetchColumn();
		$next->execute( array( $table ) );
		$range = $next->fetch( PDO::FETCH_NUM );
		$next->closeCursor();
		// The allocator's last ID, if it handed any out (its row starts at lo).
		$allocated = is_array( $range ) && (int) $range[1] > (int) $range[0] ? (int) $range[1] - 1 : 0;
		$seq       = $highest < $row['group_lo'] ? $highest : max( $highest, $allocated );
		$pdo->prepare( "UPDATE sqlite_sequence SET seq = $seq WHERE name = ?" )->execute( array( $table ) );
	}
}

/**
 * Where SQLite numbers a new row itself: statements the filter leaves alone, and every insert
 * while the filter is missing (an older Playground build's runtime rotation takes it, with the
 * rest of the engine's files, until the extension puts them back; the request that rotated runs
 * without it). SQLite takes max(largest ID, sqlite_sequence) + 1. Once rows of a higher slot
 * arrived, that is the next ID of that member's range, which it hands out next; on two sites
 * without the filter at once it is the same ID on both. Either way two different rows get one
 * key, and the newer replaces the other on every site.
 *
 * So each sharded table's sqlite_sequence is raised to just below this site's natural zone
 * (playground_sync_id_shards_natural_floor()): above every slot's range, where no allocator
 * hands out an ID, and apart from every other member's zone. Never lowers a sequence; does
 * nothing on a site without a plan. `$tables`: names to lift, or null for every AUTOINCREMENT
 * table. Answers how many it raised.
 */
function playground_sync_id_shards_lift_sequences( PDO $pdo, $tables = null ) {
	$row = playground_sync_id_shards_plan_row( $pdo );
	if ( null === $row ) {
		return 0;
	}
	$floor = playground_sync_id_shards_natural_floor( $row );
	if ( null === $tables ) {
		$tables = $pdo->query( "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'" )->fetchAll( PDO::FETCH_COLUMN );
	}
	// Integers written into the SQL: sqlite_sequence has no column types, a bound PHP string would stay TEXT.
	$seq    = (int) ( $floor - 1 );
	$raise  = $pdo->prepare( "UPDATE sqlite_sequence SET seq = $seq WHERE name = ? AND CAST(seq AS INTEGER) < $seq" );
	$add    = $pdo->prepare( "INSERT INTO sqlite_sequence (name, seq) SELECT ?, $seq WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)" );
	$raised = 0;
	foreach ( $tables as $table ) {
		if ( null === playground_sync_id_shards_autoincrement_pk( $pdo, $table ) ) {
			continue;
		}
		$raise->execute( array( $table ) );
		$add->execute( array( $table, $table ) );
		$raised += $raise->rowCount() + $add->rowCount();
	}
	return $raised;
}

/** Allocator info for a table name as written in a statement, or null when it is not sharded. */
function playground_sync_id_shards_table( $table ) {
	$range = playground_sync_id_shards_local_range();
	if ( null === $range ) {
		return null;
	}
	$state = &playground_sync_id_shards_state();
	if ( isset( $state['tables'][ $table ] ) ) {
		return $state['tables'][ $table ] ?: null;
	}
	$pdo  = $state['pdo'];
	$pk   = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
	$info = false;
	if ( null !== $pk ) {
		playground_sync_id_shards_ensure_row( $pdo, $table, $pk, $range );
		$info = array( 'pk' => $pk );
	}
	$state['tables'][ $table ] = $info;
	return $info ?: null;
}

/**
 * Takes `$count` consecutive IDs of `$table`'s range `$range`; returns the first, or null when the
 * range has fewer left. Every table's cursor counts: a new ID is above every ID this site took in
 * any table, so within a group an ID of the group zone names one row of one table (what
 * reclaiming low IDs relies on, docs/ids.md). The cursor also skips past any ID already used
 * inside the table's range (an explicit import, rows that arrived before the allocator row
 * existed), so a taken ID is always free. The range is bound as constants, not read from the
 * row: an uncorrelated subquery runs once.
 */
function playground_sync_id_shards_allocate( PDO $pdo, $table, $pk, $count, array $range ) {
	$ranges = playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE );
	$key    = playground_sync_id_shards_quote( $pk );
	$lo     = (int) $range[0];
	$hi     = (int) $range[1];
	$count  = (int) $count;
	$start  = "max((SELECT coalesce(max(next), $lo) FROM $ranges WHERE next >= $lo AND next <= $hi), (SELECT coalesce(max(t.$key), $lo - 1) FROM " . playground_sync_id_shards_quote( $table )
		. " AS t WHERE t.$key >= $lo AND t.$key < $hi) + 1)";
	$take   = $pdo->prepare(
		"UPDATE $ranges SET next = $start + $count WHERE table_name = ? AND $start + $count <= hi RETURNING next - $count"
	);
	$take->execute( array( $table ) );
	$first = $take->fetchColumn();
	$take->closeCursor();
	return false === $first ? null : (int) $first;
}

function playground_sync_id_shards_record_refusal( PDO $pdo, $table, $count ) {
	$record = $pdo->prepare(
		'UPDATE ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE )
		. ' SET refused = refused + 1, refused_at = ? WHERE table_name = ?'
	);
	$record->execute( array( gmdate( 'Y-m-d H:i:s' ), $table ) );
	error_log( "Playground Sync: the ID range of $table has no room for $count more rows; the insert was refused." );
	if ( function_exists( 'do_action' ) ) {
		do_action( 'playground_sync_id_range_exhausted', $table, $count );
	}
}

/**
 * Counts an INSERT/REPLACE into a sharded table that SQLite numbers itself (INSERT … SELECT,
 * no column list, …): its ID may land outside the local range, so the
 * status shows how often that happened, per table.
 */
function playground_sync_id_shards_count_unsharded( $query ) {
	if ( ! preg_match( '~^\s*(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)~iA', $query, $m ) ) {
		return;
	}
	$table = '`' === $m[1][0] ? str_replace( '``', '`', substr( $m[1], 1, -1 ) ) : $m[1];
	if ( null === playground_sync_id_shards_table( $table ) ) {
		return;
	}
	$state = &playground_sync_id_shards_state();
	$count = $state['pdo']->prepare( 'UPDATE ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) . ' SET unsharded = unsharded + 1 WHERE table_name = ?' );
	$count->execute( array( $table ) );
}

/** Skips a quoted string or identifier starting at `$at`; returns the offset after it, or null. */
function playground_sync_id_shards_skip_quoted( $sql, $at, $length ) {
	$quote = $sql[ $at ];
	$stops = '`' === $quote ? '`' : $quote . '\\';
	$i     = $at + 1;
	while ( $i < $length ) {
		$i += strcspn( $sql, $stops, $i );
		if ( $i >= $length ) {
			return null;
		}
		if ( '\\' === $sql[ $i ] ) {
			$i += 2;
			continue;
		}
		if ( $i + 1 < $length && $sql[ $i + 1 ] === $quote ) {
			$i += 2; // Doubled quote inside the string.
			continue;
		}
		return $i + 1;
	}
	return null;
}

/**
 * Reads `INSERT|REPLACE [modifiers] [INTO] table (columns) VALUES (…), (…)`, the shape
 * `$wpdb->insert()` / `replace()` and most hand-written inserts have. Returns null for every
 * other shape and for anything it cannot read with certainty (comments, unbalanced quotes,
 * a second statement). A trailing `ON DUPLICATE KEY UPDATE …` is read too.
 *
 * @return array|null table, columns (unquoted), column_list_open (offset of its "("),
 *                    row_opens (offset of each row's "("), empty_rows (bool, "()" rows),
 *                    on_duplicate (bool).
 */
function playground_sync_id_shards_parse_insert( $sql ) {
	$head = '~^\s*(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?'
		. '(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)\s*(\()([^()\'"`]*(?:`[^`]*`[^()\'"`]*)*)\)\s*VALUES?\s*~iA';
	if ( ! preg_match( $head, $sql, $m, PREG_OFFSET_CAPTURE ) ) {
		return null;
	}
	$table = $m[1][0];
	if ( '`' === $table[0] ) {
		$table = str_replace( '``', '`', substr( $table, 1, -1 ) );
	}
	$columns = array();
	if ( '' !== trim( $m[3][0] ) ) {
		foreach ( explode( ',', $m[3][0] ) as $column ) {
			$column = trim( $column );
			if ( '' === $column ) {
				return null;
			}
			$columns[] = '`' === $column[0] ? str_replace( '``', '`', substr( $column, 1, -1 ) ) : $column;
		}
	}
	$length    = strlen( $sql );
	$i         = strlen( $m[0][0] );
	$row_opens = array();
	$empty     = false;
	for ( ;; ) {
		if ( $i >= $length || '(' !== $sql[ $i ] ) {
			return null;
		}
		$row_opens[] = $i;
		$depth       = 1;
		++$i;
		$i += strspn( $sql, " \t\r\n", $i );
		if ( $i < $length && ')' === $sql[ $i ] ) {
			$empty = true;
		}
		while ( $depth > 0 ) {
			$i += strcspn( $sql, "()'\"`#-/", $i );
			if ( $i >= $length ) {
				return null;
			}
			$char = $sql[ $i ];
			if ( '(' === $char ) {
				++$depth;
				++$i;
			} elseif ( ')' === $char ) {
				--$depth;
				++$i;
			} elseif ( '-' === $char || '/' === $char ) {
				$next = $i + 1 < $length ? $sql[ $i + 1 ] : '';
				if ( ( '-' === $char && '-' === $next ) || ( '/' === $char && '*' === $next ) ) {
					return null; // A comment: not read with certainty.
				}
				++$i;
			} elseif ( '#' === $char ) {
				return null;
			} else {
				$i = playground_sync_id_shards_skip_quoted( $sql, $i, $length );
				if ( null === $i ) {
					return null;
				}
			}
		}
		$i += strspn( $sql, " \t\r\n", $i );
		if ( $i < $length && ',' === $sql[ $i ] ) {
			++$i;
			$i += strspn( $sql, " \t\r\n", $i );
			continue;
		}
		break;
	}
	$on_duplicate = (bool) preg_match( '~ON\s+DUPLICATE\s+KEY\s+UPDATE\s~iA', $sql, $unused, 0, $i );
	if ( $on_duplicate ) {
		$i = playground_sync_id_shards_skip_update_list( $sql, $i, $length );
		if ( null === $i ) {
			return null;
		}
	}
	if ( $i < $length && ';' === $sql[ $i ] ) {
		++$i;
		$i += strspn( $sql, " \t\r\n", $i );
	}
	if ( $i !== $length ) {
		return null; // A second statement, …
	}
	if ( $empty && 1 < count( $row_opens ) ) {
		return null;
	}
	return array(
		'table'            => $table,
		'columns'          => $columns,
		'column_list_open' => $m[2][1],
		'row_opens'        => $row_opens,
		'empty_rows'       => $empty,
		'on_duplicate'     => $on_duplicate,
	);
}

/**
 * Skips an `ON DUPLICATE KEY UPDATE …` clause starting at `$at`; returns the offset of the `;`
 * that ends it or of the end, or null when it holds anything not read with certainty (comments,
 * unbalanced quotes).
 */
function playground_sync_id_shards_skip_update_list( $sql, $at, $length ) {
	$i = $at;
	while ( $i < $length ) {
		$i += strcspn( $sql, "'\"`#-/;", $i );
		if ( $i >= $length ) {
			break;
		}
		$char = $sql[ $i ];
		if ( ';' === $char ) {
			return $i;
		}
		if ( '-' === $char || '/' === $char ) {
			$next = $i + 1 < $length ? $sql[ $i + 1 ] : '';
			if ( ( '-' === $char && '-' === $next ) || ( '/' === $char && '*' === $next ) ) {
				return null;
			}
			++$i;
		} elseif ( '#' === $char ) {
			return null;
		} else {
			$i = playground_sync_id_shards_skip_quoted( $sql, $i, $length );
			if ( null === $i ) {
				return null;
			}
		}
	}
	return $length;
}

/**
 * How the key column is written into an `ON DUPLICATE KEY UPDATE` statement: in another letter
 * case (SQLite's column names are case-insensitive), or null when it has no letters. The legacy
 * translator turns that clause into `ON CONFLICT (…)` over every listed column its schema lookup
 * names as primary or unique key, compared case-sensitively: with the key listed as named, the
 * target would be (option_id, option_name), which matches no constraint, and the statement fails.
 * Written otherwise the key is not listed there, and the target is what it was without the key.
 */
function playground_sync_id_shards_upsert_key_name( $pk ) {
	$other = strtoupper( $pk );
	if ( $other === $pk ) {
		$other = strtolower( $pk );
	}
	return $other === $pk ? null : $other;
}

/** The statement with the key column first in the column list and `$first`, `$first + 1`, … first in each row. */
function playground_sync_id_shards_add_keys( $sql, array $insert, $pk, $first ) {
	if ( $insert['on_duplicate'] ) {
		$pk = playground_sync_id_shards_upsert_key_name( $pk );
	}
	$no_columns = array() === $insert['columns'];
	$pieces     = array();
	$last       = 0;
	$points     = array( $insert['column_list_open'] => '`' . str_replace( '`', '``', $pk ) . '`' . ( $no_columns ? '' : ', ' ) );
	foreach ( $insert['row_opens'] as $n => $open ) {
		$points[ $open ] = ( $first + $n ) . ( $insert['empty_rows'] ? '' : ', ' );
	}
	foreach ( $points as $open => $text ) {
		$pieces[] = substr( $sql, $last, $open + 1 - $last ) . $text;
		$last     = $open + 1;
	}
	$pieces[] = substr( $sql, $last );
	return implode( '', $pieces );
}

/**
 * The high IDs this site renumbered (docs/ids.md), high => low, read once per request; empty
 * when none (the rewriter is then never loaded).
 */
function playground_sync_id_shards_renumbered() {
	static $map = null;
	if ( null !== $map ) {
		return $map;
	}
	$pdo = playground_sync_id_shards_pdo();
	if ( null === $pdo ) {
		return array();
	}
	$map = array();
	try {
		$table = $pdo->query( "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '" . PLAYGROUND_SYNC_RENUMBERED_TABLE . "'" )->fetchColumn();
		if ( false !== $table && is_file( __DIR__ . '/id-rewrite.php' ) ) {
			foreach ( $pdo->query( 'SELECT high, low FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_RENUMBERED_TABLE ) )->fetchAll( PDO::FETCH_NUM ) as $row ) {
				$map[ (int) $row[0] ] = (int) $row[1];
			}
		}
	} catch ( Exception $unreadable ) {
		$map = array();
	}
	if ( count( $map ) > 0 ) {
		require_once __DIR__ . '/id-rewrite.php';
	}
	return $map;
}

/**
 * A statement with every renumbered high ID replaced by its low ID: numbers outside string
 * literals (`WHERE ID = 1000000003`, `IN (…)`) and literals that are just the number (`'1000000003'`,
 * as meta values are written). A page opened before its post was renumbered (an editor's
 * autosave, an old `?p=` link) so finds and writes the row under its low ID. Other text in
 * literals is left to the capture, which renumbers the rows a request changed
 * (pgsync_renumber_captured()). Identifiers in backquotes are never touched.
 */
function playground_sync_id_shards_renumber_query( $query ) {
	// Most statements hold no number as long as an ID: they never look for the table.
	if ( ! preg_match( '~[0-9]{10}~', $query ) ) {
		return $query;
	}
	$map = playground_sync_id_shards_renumbered();
	if ( 0 === count( $map ) ) {
		return $query;
	}
	$plan   = playground_sync_renumber_plan( $map );
	$out    = '';
	$pos    = 0;
	$length = strlen( $query );
	while ( $pos < $length ) {
		$open = $pos + strcspn( $query, '\'"`', $pos );
		$out .= playground_sync_renumber_numbers( substr( $query, $pos, $open - $pos ), $plan );
		if ( $open >= $length ) {
			break;
		}
		$end = playground_sync_id_shards_skip_quoted( $query, $open, $length );
		if ( null === $end ) {
			return $out . substr( $query, $open );
		}
		$literal = substr( $query, $open, $end - $open );
		$inner   = substr( $literal, 1, -1 );
		if ( '`' !== $literal[0] && '' !== $inner && ctype_digit( $inner ) ) {
			$literal = $literal[0] . playground_sync_renumber_number( $inner, $map ) . $literal[0];
		}
		$out .= $literal;
		$pos  = $end;
	}
	return $out;
}

/** The `query` filter. */
function playground_sync_id_shards_filter( $query ) {
	if ( ! is_string( $query ) || ! empty( $GLOBALS['playground_sync_applying_remote'] ) ) {
		return $query;
	}
	$query = playground_sync_id_shards_renumber_query( $query );
	if ( ! preg_match( '~^\s*(insert|replace|create|alter|drop|rename|truncate)\s~i', $query, $verb ) ) {
		return $query;
	}
	$verb = strtolower( $verb[1] );
	if ( 'insert' !== $verb && 'replace' !== $verb ) {
		playground_sync_id_shards_forget_tables();
		return $query;
	}
	if ( null === playground_sync_id_shards_local_range() ) {
		return $query;
	}
	$insert = playground_sync_id_shards_parse_insert( $query );
	if ( null === $insert ) {
		playground_sync_id_shards_count_unsharded( $query );
		return $query;
	}
	$table = playground_sync_id_shards_table( $insert['table'] );
	if ( null === $table ) {
		return $query;
	}
	foreach ( $insert['columns'] as $column ) {
		if ( 0 === strcasecmp( $column, $table['pk'] ) ) {
			return $query; // An explicit key passes untouched.
		}
	}
	if ( $insert['on_duplicate'] && null === playground_sync_id_shards_upsert_key_name( $table['pk'] ) ) {
		playground_sync_id_shards_count_unsharded( $query );
		return $query;
	}
	$state = &playground_sync_id_shards_state();
	$count = count( $insert['row_opens'] );
	try {
		$first = playground_sync_id_shards_allocate( $state['pdo'], $insert['table'], $table['pk'], $count, $state['range'] );
		if ( null === $first ) {
			playground_sync_id_shards_record_refusal( $state['pdo'], $insert['table'], $count );
		}
	} catch ( Exception $e ) {
		// No ID could be taken (locked, damaged): refuse rather than let SQLite pick one.
		error_log( 'Playground Sync: no ID for ' . $insert['table'] . ': ' . $e->getMessage() );
		$first = null;
	}
	if ( null === $first ) {
		return 'INSERT INTO `' . PLAYGROUND_SYNC_ID_EXHAUSTED_TABLE_PREFIX . str_replace( '`', '', $insert['table'] ) . '` (`id`) VALUES (0)';
	}
	return playground_sync_id_shards_add_keys( $query, $insert, $table['pk'], $first );
}
