<?php
/**
 * Playground Sync: the numberer's pass (docs/ids.md). pgsync_reclaim_low_ids() finds the
 * provisional rows (keys in the group zone, not local-only, not renumbered yet, not open in an
 * editor), gives each the next low ID of its table, and renumbers the site (renumber.php). The
 * mappings go into the site's outbox in the same transaction, to be sent to every member.
 *
 * Needs renumber.php and what it needs. PHP 7.4+.
 */

if ( function_exists( 'pgsync_reclaim_low_ids' ) ) {
	return;
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

/**
 * @param array $input {zone?: {lo, hi} (default: the site's plan's), by: member id, max?: int (rows per pass),
 *                     lowBelow?: int (low IDs are below it and the zone; keys between it and the zone are ignored)}
 * @return array {mappings: list of {table, high, low, title, postType}, sharded: false when the site holds no plan,
 *                deferred: posts left high for now because someone edits them (pgsync_posts_being_edited()),
 *                batch: the seq of the outbox batch that carries the mappings to the members, or null}
 */
function pgsync_reclaim_low_ids( PDO $pdo, array $config, array $input ) {
	pgsync_renumber_require_id_shards();
	$zone = isset( $input['zone'] ) ? pgsync_renumber_zone( $input ) : pgsync_renumber_plan_zone( $pdo );
	if ( null === $zone ) {
		return array( 'mappings' => array(), 'sharded' => false, 'deferred' => 0, 'batch' => null );
	}
	$max       = isset( $input['max'] ) ? max( 1, (int) $input['max'] ) : 1000;
	$low_below = isset( $input['lowBelow'] ) && is_int( $input['lowBelow'] ) && $input['lowBelow'] > 0 ? min( $input['lowBelow'], $zone['lo'] ) : $zone['lo'];
	return pgsync_renumber_transaction(
		$pdo,
		function () use ( $pdo, $config, $zone, $input, $max, $low_below ) {
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
				$next = pgsync_next_low_id( $pdo, $table, $found['pk'], $low_below );
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
			// Sent to the members from the outbox, as the site's other changes are (capture-drain.php).
			$batch = count( $mappings ) > 0 ? pgsync_store_renumber_batch( $pdo, $config, $mappings ) : null;
			return array( 'mappings' => $mappings, 'sharded' => true, 'deferred' => $deferred, 'batch' => $batch );
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
 * Rows of AUTOINCREMENT tables whose key is in the group zone and that no mapping of their table
 * covers: table => {pk, ids (ascending)}. Local-only rows are left out, or (for the checker) listed apart.
 */
function pgsync_provisional_rows( PDO $pdo, array $config, array $zone, $with_local_only ) {
	$rules = pgsync_local_only_rules();
	$found = array();
	// A key another table's mapping renumbered is an ID two tables share (a member that started over may give one again).
	$renumbered = array();
	foreach ( pgsync_renumbered_by_table( $pdo ) as $owner => $own ) {
		$renumbered += array_fill_keys( array_keys( $own ), $owner );
	}
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$pk = playground_sync_id_shards_autoincrement_pk( $pdo, $table );
		if ( null === $pk ) {
			continue;
		}
		$local = playground_sync_local_only_predicate( $table, $config['tablePrefix'], 't', $rules );
		$key   = pgsync_column( $pk, 't' );
		$stmt  = $pdo->prepare(
			"SELECT $key, ($local) FROM " . pgsync_quote_id( $table ) . " AS t WHERE $key >= ? AND $key < ? AND $key NOT IN (SELECT high FROM "
			. pgsync_quote_id( pgsync_renumbered_table() ) . " WHERE tbl = ?) ORDER BY $key"
		);
		$stmt->execute( array( $zone['lo'], $zone['hi'], $table ) );
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
	return pgsync_mark_shared_ids( $found, $renumbered );
}

/**
 * An ID that keys rows in two tables cannot be told apart in a bare number: such rows are marked
 * `shared` and never reclaimed. One cursor serves every table of a member (id-shards.php), but
 * IDs made before it did, and a member that started over from a copy lacking some of its earlier
 * life's rows, may key two. $renumbered: high ID => the table whose row it renumbered.
 */
function pgsync_mark_shared_ids( array $found, array $renumbered = array() ) {
	$tables_of = array();
	foreach ( $found as $rows ) {
		foreach ( $rows['ids'] as $id ) {
			$tables_of[ $id ] = isset( $tables_of[ $id ] ) ? $tables_of[ $id ] + 1 : 1;
		}
	}
	foreach ( $found as $table => $rows ) {
		foreach ( $rows['ids'] as $i => $id ) {
			$found[ $table ]['shared'][ $i ] = $tables_of[ $id ] > 1 || ( isset( $renumbered[ $id ] ) && $renumbered[ $id ] !== $table );
		}
	}
	return $found;
}

/**
 * One more than the largest of: the table's keys below `$low_below` (the group zone, or the floor
 * of every zone), the low IDs already given in it, and the keys below it that row versions
 * remember (deleted rows): an ID that was ever used is not given again.
 */
function pgsync_next_low_id( PDO $pdo, $table, $pk, $low_below ) {
	$key     = pgsync_quote_id( $pk );
	$version = "CAST(json_extract(pk, '$[0]') AS INTEGER)";
	$stmt    = $pdo->prepare(
		'SELECT max(coalesce((SELECT max(' . $key . ') FROM ' . pgsync_quote_id( $table ) . ' WHERE ' . $key . ' < ?), 0), '
		. 'coalesce((SELECT max(low) FROM ' . pgsync_quote_id( pgsync_renumbered_table() ) . ' WHERE tbl = ?), 0), '
		. "coalesce((SELECT max($version) FROM " . pgsync_quote_id( pgsync_engine_table( 'rowver' ) )
		. " WHERE tbl = ? AND json_array_length(pk) = 1 AND $version < ?), 0))"
	);
	$stmt->execute( array( $low_below, $table, $table, $low_below ) );
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
