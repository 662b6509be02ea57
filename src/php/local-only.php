<?php
/**
 * Playground Sync: matching against the local-only list (data that is never synced).
 *
 * The list itself lives in src/sync/local-only.ts (`LOCAL_ONLY`); `localOnlyPhpArray()` turns it
 * into the `$rules` array every function here takes. This file mirrors that module's
 * `classifyTable`, `isLocalOnlyRow` and `localOnlySqlPredicate` exactly (a test compares them).
 * Load with require_once; PHP 7.4+.
 */

if ( function_exists( 'playground_sync_local_only_table' ) ) {
	return;
}

/**
 * How a table syncs: array('sync' => 'never'), array('sync' => 'all') or
 * array('sync' => 'filtered', 'rule' => <row rule>, 'blogId' => int|null).
 *
 * @param string $table        Full table name.
 * @param string $table_prefix `$table_prefix` (multisite: `$wpdb->base_prefix`).
 */
function playground_sync_local_only_table( $table, $table_prefix, array $rules ) {
	if ( ! is_string( $table_prefix ) || ! preg_match( '~^[A-Za-z0-9_]+$~', $table_prefix ) ) {
		throw new InvalidArgumentException( 'Bad table prefix ' . var_export( $table_prefix, true ) );
	}
	if ( in_array( $table, $rules['tables'], true ) ) {
		return array( 'sync' => 'never' );
	}
	foreach ( $rules['tablePrefixes'] as $prefix ) {
		if ( 0 === strncmp( $table, $prefix, strlen( $prefix ) ) ) {
			return array( 'sync' => 'never' );
		}
	}
	if ( 0 !== strncmp( $table, $table_prefix, strlen( $table_prefix ) )
		|| ! preg_match( '~^(?:([1-9][0-9]*)_)?([a-z]+)$~D', (string) substr( $table, strlen( $table_prefix ) ), $m )
	) {
		return array( 'sync' => 'all' );
	}
	$blog_id = '' === $m[1] ? null : (int) $m[1];
	foreach ( $rules['rows'] as $rule ) {
		if ( $rule['table'] === $m[2] && ( null === $blog_id || $rule['perBlog'] ) ) {
			return array( 'sync' => 'filtered', 'rule' => $rule, 'blogId' => $blog_id );
		}
	}
	return array( 'sync' => 'all' );
}

/** @param mixed $key */
function playground_sync_local_only_key( array $rule, $key ) {
	if ( ! is_string( $key ) ) {
		return false;
	}
	if ( in_array( $key, $rule['exact'], true ) ) {
		return true;
	}
	foreach ( $rule['prefixes'] as $prefix ) {
		if ( 0 === strncmp( $key, $prefix, strlen( $prefix ) ) ) {
			return true;
		}
	}
	foreach ( $rule['suffixes'] as $suffix ) {
		if ( strlen( $key ) >= strlen( $suffix ) && substr( $key, -strlen( $suffix ) ) === $suffix ) {
			return true;
		}
	}
	return false;
}

/** @param array $row Column name => value. */
function playground_sync_is_local_only_row( $table, $table_prefix, array $row, array $rules ) {
	$class = playground_sync_local_only_table( $table, $table_prefix, $rules );
	if ( 'never' === $class['sync'] ) {
		return true;
	}
	if ( 'all' === $class['sync'] ) {
		return false;
	}
	$column = $class['rule']['column'];
	return array_key_exists( $column, $row ) && playground_sync_local_only_key( $class['rule'], $row[ $column ] );
}

/**
 * SQLite expression, 1 for local-only rows of $table over the row $row_alias (NEW / OLD in a
 * trigger): '1' for a local-only table, '0' for one synced whole. Use as `WHEN NOT (<it>)`.
 */
function playground_sync_local_only_predicate( $table, $table_prefix, $row_alias, array $rules ) {
	if ( ! is_string( $row_alias ) || ! preg_match( '~^[A-Za-z_][A-Za-z0-9_]*$~D', $row_alias ) ) {
		throw new InvalidArgumentException( 'Bad row alias ' . var_export( $row_alias, true ) );
	}
	$class = playground_sync_local_only_table( $table, $table_prefix, $rules );
	if ( 'never' === $class['sync'] ) {
		return '1';
	}
	if ( 'all' === $class['sync'] ) {
		return '0';
	}
	$rule   = $class['rule'];
	$column = $row_alias . '."' . str_replace( '"', '""', $rule['column'] ) . '"';
	$tests  = array();
	if ( count( $rule['exact'] ) > 0 ) {
		$tests[] = $column . ' IN (' . implode( ', ', array_map( 'playground_sync_sql_string', $rule['exact'] ) ) . ')';
	}
	foreach ( $rule['prefixes'] as $prefix ) {
		$tests[] = 'substr(' . $column . ', 1, ' . strlen( $prefix ) . ') = ' . playground_sync_sql_string( $prefix );
	}
	foreach ( $rule['suffixes'] as $suffix ) {
		$tests[] = 'substr(' . $column . ', -' . strlen( $suffix ) . ') = ' . playground_sync_sql_string( $suffix );
	}
	if ( 0 === count( $tests ) ) {
		return '0';
	}
	return '(' . $column . ' IS NOT NULL AND (' . implode( ' OR ', $tests ) . '))';
}

function playground_sync_sql_string( $text ) {
	return "'" . str_replace( "'", "''", $text ) . "'";
}
