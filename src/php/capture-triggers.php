<?php
/**
 * Playground Sync: capture triggers. AFTER INSERT/UPDATE/DELETE on every user table write
 * (table, primary key as json_array, op) into the changelog; the row image is read at drain time.
 * Silent while the applying marker row exists (only inside a replay transaction) and for
 * local-only rows. Built-in SQLite functions only: every connection must be able to run them.
 * Needs capture-common.php and local-only.php.
 */

if ( function_exists( 'pgsync_ensure_triggers' ) ) {
	return;
}

/** Trigger names the engine owns start with this (under the driver's reserved prefix). */
function pgsync_trigger_prefix() {
	return pgsync_engine_table( 'trg_' );
}

/**
 * Drops the capture triggers of $table for the rest of the caller's transaction; answers the
 * statements that put them back (pgsync_restore_triggers()). A rollback puts them back too.
 */
function pgsync_lift_triggers( PDO $pdo, $table ) {
	$stmt = $pdo->prepare( "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND substr(name, 1, ?) = ?" );
	$stmt->execute( array( $table, strlen( pgsync_trigger_prefix() ), pgsync_trigger_prefix() ) );
	$lifted = array();
	foreach ( $stmt->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$pdo->exec( 'DROP TRIGGER ' . pgsync_quote_id( $row[0] ) );
		$lifted[] = $row[1];
	}
	return $lifted;
}

/** Re-creates triggers pgsync_lift_triggers() dropped, exactly as they were (the schema fingerprint stays). */
function pgsync_restore_triggers( PDO $pdo, array $lifted ) {
	foreach ( $lifted as $sql ) {
		$pdo->exec( $sql );
	}
}

/** SQL for a row's key text, as the changelog holds it: json_array() of the primary-key columns. */
function pgsync_key_sql( array $pk, $alias = '' ) {
	$columns = array();
	foreach ( $pk as $column ) {
		$columns[] = pgsync_column( $column, $alias );
	}
	return 'json_array(' . implode( ', ', $columns ) . ')';
}

/**
 * Logs every row of $table as inserted, as its triggers would have: for a table that got rows
 * before it had triggers (raw PDO right after a CREATE TABLE). Local-only rows are left to the
 * drain, as always.
 */
function pgsync_log_all_rows( PDO $pdo, $table, $table_prefix, array $rules ) {
	$info = pgsync_table_info( $pdo, $table );
	if ( 0 === count( $info['pk'] ) || 'never' === playground_sync_local_only_table( $table, $table_prefix, $rules )['sync'] ) {
		return;
	}
	$pdo->prepare(
		'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) . " (tbl, pk, op) SELECT ?, " . pgsync_key_sql( $info['pk'] ) . ", 'I' FROM " . pgsync_quote_id( $table )
	)->execute( array( $table ) );
}

/** @return array<string,string> trigger name => CREATE TRIGGER statement; empty without a primary key. */
function pgsync_table_triggers( $table, array $pk, $table_prefix, array $rules ) {
	if ( 0 === count( $pk ) ) {
		return array();
	}
	$class = playground_sync_local_only_table( $table, $table_prefix, $rules );
	if ( 'never' === $class['sync'] ) {
		return array();
	}
	$q         = 'pgsync_quote_id';
	$changelog = $q( pgsync_engine_table( 'changelog' ) );
	$quiet     = 'NOT EXISTS (SELECT 1 FROM ' . $q( pgsync_engine_table( 'applying' ) ) . ')';
	$name      = playground_sync_sql_string( $table );
	$key       = function ( $alias ) use ( $pk ) {
		return pgsync_key_sql( $pk, $alias );
	};
	$local = function ( $alias ) use ( $table, $table_prefix, $rules ) {
		return playground_sync_local_only_predicate( $table, $table_prefix, $alias, $rules );
	};
	$prefix = pgsync_trigger_prefix();
	return array(
		$prefix . 'i_' . $table => 'CREATE TRIGGER ' . $q( $prefix . 'i_' . $table ) . ' AFTER INSERT ON ' . $q( $table )
			. " WHEN $quiet AND NOT " . $local( 'NEW' )
			. " BEGIN INSERT INTO $changelog (tbl, pk, op) VALUES ($name, " . $key( 'NEW' ) . ", 'I'); END",
		// A changed primary key is a delete of the old key plus an upsert of the new one.
		$prefix . 'u_' . $table => 'CREATE TRIGGER ' . $q( $prefix . 'u_' . $table ) . ' AFTER UPDATE ON ' . $q( $table )
			. " WHEN $quiet AND NOT (" . $local( 'NEW' ) . ' AND ' . $local( 'OLD' ) . ')'
			. " BEGIN INSERT INTO $changelog (tbl, pk, op) SELECT $name, " . $key( 'OLD' ) . ", 'U' WHERE " . $key( 'OLD' ) . ' IS NOT ' . $key( 'NEW' ) . ';'
			. " INSERT INTO $changelog (tbl, pk, op) VALUES ($name, " . $key( 'NEW' ) . ", 'U'); END",
		$prefix . 'd_' . $table => 'CREATE TRIGGER ' . $q( $prefix . 'd_' . $table ) . ' AFTER DELETE ON ' . $q( $table )
			. " WHEN $quiet AND NOT " . $local( 'OLD' )
			. " BEGIN INSERT INTO $changelog (tbl, pk, op) VALUES ($name, " . $key( 'OLD' ) . ", 'D'); END",
	);
}

/** Hash of the schema (tables and triggers): changes whenever DDL ran or triggers went missing. */
function pgsync_schema_fingerprint( PDO $pdo ) {
	$rows = $pdo->query( "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY type, name" )->fetchAll( PDO::FETCH_NUM );
	return md5( json_encode( $rows, JSON_INVALID_UTF8_SUBSTITUTE ) );
}

/** The capture triggers in place: name => their CREATE TRIGGER. */
function pgsync_capture_triggers( PDO $pdo ) {
	$existing = array();
	$stmt     = $pdo->prepare( "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?" );
	$stmt->execute( array( strlen( pgsync_trigger_prefix() ), pgsync_trigger_prefix() ) );
	foreach ( $stmt->fetchAll( PDO::FETCH_NUM ) as $row ) {
		$existing[ $row[0] ] = $row[1];
	}
	return $existing;
}

/**
 * Brings the triggers in line with the live schema when the fingerprint moved (an ALTER on the
 * AST driver rebuilds the table and loses its triggers). Returns what it found.
 */
function pgsync_ensure_triggers( PDO $pdo, $table_prefix, array $rules, $force = false ) {
	$fingerprint = pgsync_schema_fingerprint( $pdo );
	if ( ! $force && pgsync_meta_get( $pdo, 'schema_fingerprint' ) === $fingerprint ) {
		return null;
	}
	$existing = pgsync_capture_triggers( $pdo );
	$wanted     = array();
	$without_pk = array();
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		$info     = pgsync_table_info( $pdo, $table );
		$triggers = pgsync_table_triggers( $table, $info['pk'], $table_prefix, $rules );
		if ( 0 === count( $info['pk'] ) && 'never' !== playground_sync_local_only_table( $table, $table_prefix, $rules )['sync'] ) {
			$without_pk[] = $table;
		}
		$wanted += $triggers;
	}
	$created = 0;
	foreach ( $existing as $name => $sql ) {
		if ( ! isset( $wanted[ $name ] ) || $wanted[ $name ] !== $sql ) {
			$pdo->exec( 'DROP TRIGGER IF EXISTS ' . pgsync_quote_id( $name ) );
			unset( $existing[ $name ] );
		}
	}
	foreach ( $wanted as $name => $sql ) {
		if ( ! isset( $existing[ $name ] ) ) {
			$pdo->exec( $sql );
			++$created;
		}
	}
	pgsync_meta_set( $pdo, 'schema_fingerprint', pgsync_schema_fingerprint( $pdo ) );
	return array(
		'triggers'        => count( $wanted ),
		'created'         => $created,
		'tablesWithoutPk' => $without_pk,
	);
}

/** The user tables as sqlite_master defines them: name => CREATE statement. */
function pgsync_schema_tables( PDO $pdo ) {
	$tables = array();
	foreach ( $pdo->query( "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name" )->fetchAll( PDO::FETCH_NUM ) as $row ) {
		if ( 0 !== strncmp( $row[0], 'sqlite_', 7 ) && 0 !== strncmp( $row[0], '_wp_sqlite_', 11 ) ) {
			$tables[ $row[0] ] = (string) $row[1];
		}
	}
	ksort( $tables, SORT_STRING );
	return $tables;
}

/**
 * Records the tables as the paired site was told of them (its schema work seen by the DDL
 * watcher, the peer's applied, or caught up on): every table as it is now, or only `$tables`.
 * pgsync_missed_schema() compares with this.
 */
function pgsync_record_schema( PDO $pdo, ?array $tables = null ) {
	$now = pgsync_schema_tables( $pdo );
	if ( null !== $tables ) {
		$known = json_decode( (string) pgsync_meta_get( $pdo, 'schema_tables' ), true );
		if ( ! is_array( $known ) ) {
			return; // Nothing recorded yet: the next install records everything.
		}
		foreach ( $tables as $table ) {
			if ( isset( $now[ $table ] ) ) {
				$known[ $table ] = $now[ $table ];
			} else {
				unset( $known[ $table ] );
			}
		}
		$now = $known;
	}
	ksort( $now, SORT_STRING );
	pgsync_meta_set( $pdo, 'schema_tables', pgsync_json( (object) $now ) );
}

/** Whether the tables differ from what was recorded (cheap enough for every drain that runs). */
function pgsync_schema_unrecorded( PDO $pdo ) {
	$known = pgsync_meta_get( $pdo, 'schema_tables' );
	return null !== $known && $known !== pgsync_json( (object) pgsync_schema_tables( $pdo ) );
}

/**
 * Schema work the engine did not see: the DDL watcher and the drain are PHP files under
 * /internal, which an older Playground build's runtime rotation removes until the extension puts
 * them back, while requests go on (the one that rotated first); and DDL by code that bypasses
 * $wpdb. The triggers live in the database and keep capturing rows, except in tables made
 * meanwhile (they have none) or rebuilt (a rebuild drops them). Compared with what was recorded
 * (pgsync_record_schema()): `created` tables (name => their CREATE TABLE as the driver shows it
 * through `$wpdb`, without its AUTO_INCREMENT start, null without one), `dropped` and `rebuilt`
 * ones (their definition changed or their triggers are missing). Null when nothing was recorded
 * here yet or nothing was missed. Call outside a transaction: SHOW CREATE TABLE goes through $wpdb.
 */
function pgsync_missed_schema( PDO $pdo, $wpdb, $table_prefix, array $rules ) {
	if ( ! pgsync_table_exists( $pdo, pgsync_engine_table( 'meta' ) ) ) {
		return null;
	}
	$known = json_decode( (string) pgsync_meta_get( $pdo, 'schema_tables' ), true );
	if ( ! is_array( $known ) ) {
		return null;
	}
	$existing = pgsync_capture_triggers( $pdo );
	$missed = array(
		'created' => array(),
		'dropped' => array(),
		'rebuilt' => array(),
	);
	$syncs  = function ( $table ) use ( $table_prefix, $rules ) {
		return 'never' !== playground_sync_local_only_table( $table, $table_prefix, $rules )['sync'];
	};
	$now    = pgsync_schema_tables( $pdo );
	foreach ( $now as $table => $sql ) {
		if ( ! $syncs( $table ) ) {
			continue;
		}
		if ( ! isset( $known[ $table ] ) ) {
			// AST: (name, statement); the legacy translator answers the statement alone.
			$create = is_object( $wpdb ) ? $wpdb->get_row( 'SHOW CREATE TABLE ' . pgsync_quote_id( $table ), ARRAY_N ) : null;
			$create = is_array( $create ) ? end( $create ) : null;
			// The table's own counter (here this site's zone, see id-shards.php) is not the other site's.
			$missed['created'][ $table ] = is_string( $create ) && preg_match( '~^\s*CREATE\s+TABLE\s~i', $create ) ? pgsync_portable_create( $create, $table ) : null;
			continue;
		}
		$intact = $known[ $table ] === $sql;
		foreach ( pgsync_table_triggers( $table, pgsync_table_info( $pdo, $table )['pk'], $table_prefix, $rules ) as $name => $trigger ) {
			$intact = $intact && isset( $existing[ $name ] ) && $existing[ $name ] === $trigger;
		}
		if ( ! $intact ) {
			$missed['rebuilt'][] = $table;
		}
	}
	foreach ( array_keys( $known ) as $table ) {
		if ( ! isset( $now[ $table ] ) && $syncs( $table ) ) {
			$missed['dropped'][] = $table;
		}
	}
	return array() === $missed['created'] && array() === $missed['dropped'] && array() === $missed['rebuilt'] ? null : $missed;
}

/**
 * A CREATE TABLE as the driver shows it, made fit to run on the other site: without the table's
 * own counter (here this site's zone, see id-shards.php), and with its index names as they were
 * written (the legacy translator shows `<table>__<name>`, and would prefix that again).
 */
function pgsync_portable_create( $create, $table ) {
	$create = preg_replace( '~\s+AUTO_INCREMENT\s*=\s*\d+~i', '', $create );
	return preg_replace( '~\b(KEY|INDEX)(\s+[`"]?)' . preg_quote( $table, '~' ) . '__~i', '$1$2', $create );
}

/**
 * Logs what pgsync_missed_schema() found, in the caller's transaction, once the triggers are back:
 * a DROP for a dropped table, a made table's CREATE and all its rows, all rows of a rebuilt one
 * (what changed in it while it had no triggers is unknown: its deletions stay unknown). A made
 * table whose CREATE could not be read is left for a later catch-up (its rows would reach a site
 * without the table). Then records the schema.
 */
function pgsync_log_missed_schema( PDO $pdo, array $missed, $table_prefix, array $rules ) {
	$log     = $pdo->prepare( 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) . " (tbl, pk, op, ddl) VALUES (?, '', 'S', ?)" );
	$pending = array();
	foreach ( $missed['dropped'] as $table ) {
		$log->execute( array( $table, 'DROP TABLE IF EXISTS `' . str_replace( '`', '``', $table ) . '`' ) );
	}
	foreach ( $missed['created'] as $table => $create ) {
		if ( null === $create ) {
			$pending[] = $table;
			continue;
		}
		$log->execute( array( $table, $create ) );
		pgsync_log_all_rows( $pdo, $table, $table_prefix, $rules );
	}
	foreach ( $missed['rebuilt'] as $table ) {
		pgsync_log_all_rows( $pdo, $table, $table_prefix, $rules );
	}
	$known = json_decode( (string) pgsync_meta_get( $pdo, 'schema_tables' ), true );
	pgsync_record_schema( $pdo );
	if ( array() !== $pending && is_array( $known ) ) {
		// Not recorded: still missed next time.
		$now = json_decode( (string) pgsync_meta_get( $pdo, 'schema_tables' ), true );
		foreach ( $pending as $table ) {
			unset( $now[ $table ] );
		}
		ksort( $now, SORT_STRING );
		pgsync_meta_set( $pdo, 'schema_tables', pgsync_json( (object) $now ) );
	}
}
