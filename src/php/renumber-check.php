<?php
/**
 * Playground Sync: the checker (docs/ids.md). pgsync_find_high_ids() lists every remaining
 * occurrence of a renumbered high ID on the site, and every row whose key is still high, with the
 * reason (local-only, natural zone, an ID two tables share, open in an editor, or not reclaimed
 * yet). After quiescence it must find no occurrence.
 *
 * Needs renumber.php, renumber-pass.php and what they need. PHP 7.4+.
 */

if ( function_exists( 'pgsync_find_high_ids' ) ) {
	return;
}

/**
 * @param array $input {zone: {lo, hi}, naturalHi: the end of the natural zones}
 * @return array {occurrences: list of {table, column, key, high}, provisional: list of {table, id, reason}}
 */
function pgsync_find_high_ids( PDO $pdo, array $config, array $input ) {
	pgsync_renumber_require_id_shards();
	$zone = pgsync_renumber_zone( $input );
	pgsync_create_renumbered_table( $pdo );
	$by_table    = pgsync_renumbered_by_table( $pdo );
	$map         = pgsync_renumbered_map_of( $by_table );
	$occurrences = array();
	if ( count( $map ) > 0 ) {
		$all  = pgsync_renumber_by( $map );
		$none = pgsync_renumber_by( array() );
		foreach ( pgsync_user_tables( $pdo ) as $table ) {
			$address = pgsync_renumber_row_address( $pdo, $table );
			// As the renumbering reads them: a table's AUTOINCREMENT key by its own mappings only.
			$columns = pgsync_renumber_rewrites( $pdo, $table, $all, isset( $by_table[ $table ] ) ? pgsync_renumber_by( $by_table[ $table ] ) : $none );
			foreach ( pgsync_renumber_scan( $pdo, $table, $columns, $address ) as $row ) {
				foreach ( $row[1] as $column => $value ) {
					foreach ( pgsync_renumber_highs_in( $value, $columns[ $column ]['map'] ) as $high ) {
						$occurrences[] = array(
							'table'  => $table,
							'column' => $column,
							'key'    => pgsync_json( $row[0] ),
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
