<?php
/**
 * Playground Sync: schema changes seen by wpdb's `query` filter. A DDL statement is held as
 * pending and recorded in the changelog only once it succeeded: when the next query arrives (or
 * at shutdown), `$wpdb->last_error` still tells the outcome of the previous one. Triggers are
 * brought back right then, before the next query runs (an ALTER on the AST driver drops them),
 * and a table just created has the rows it got meanwhile logged.
 * Needs capture-common.php and capture-triggers.php.
 */

if ( function_exists( 'pgsync_on_query' ) ) {
	return;
}

/** Set by the replay script: schema changes it makes are the peer's, not ours. */
function pgsync_is_applying() {
	return ! empty( $GLOBALS['pgsync_applying'] );
}

/** The table a DDL statement names, or null when it is not DDL the engine replicates. */
function pgsync_ddl_table( $query ) {
	$pattern = '~^\s*(?:CREATE\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+\S+\s+ON'
		. '|(?:CREATE|ALTER|DROP)\s+TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?'
		. '|DROP\s+INDEX\s+\S+\s+ON'
		. '|TRUNCATE(?:\s+TABLE)?'
		. '|RENAME\s+TABLE)\s+`?([^`\s(;,]+)`?~i';
	if ( ! is_string( $query ) || ! preg_match( $pattern, $query, $m ) ) {
		return null;
	}
	return $m[1];
}

/** `query` filter (registered last): finalizes the previous DDL, holds this one if it is DDL. */
function pgsync_on_query( $query ) {
	pgsync_finalize_pending_ddl();
	if ( ! pgsync_is_applying() ) {
		$table = pgsync_ddl_table( $query );
		if ( null !== $table ) {
			$pdo = pgsync_wpdb_pdo();
			// A CREATE TABLE that makes a table (not one of an existing table): see pgsync_finalize_pending_ddl().
			$creates = preg_match( '~^\s*CREATE\s+TABLE~i', $query ) && $pdo && ! pgsync_table_exists( $pdo, $table );
			$GLOBALS['pgsync_pending_ddl'] = array( $query, $table, $creates );
		}
	}
	return $query;
}

function pgsync_finalize_pending_ddl() {
	if ( empty( $GLOBALS['pgsync_pending_ddl'] ) ) {
		return;
	}
	list( $query, $table, $creates ) = $GLOBALS['pgsync_pending_ddl'];
	$GLOBALS['pgsync_pending_ddl'] = null;
	global $wpdb;
	$config = pgsync_config();
	$pdo    = pgsync_wpdb_pdo();
	if ( ! $config || ! $pdo || '' !== (string) $wpdb->last_error ) {
		return;
	}
	$pdo->prepare( 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) . " (tbl, pk, op, ddl) VALUES (?, '', 'S', ?)" )
		->execute( array( $table, $query ) );
	pgsync_ensure_triggers( $pdo, $config['tablePrefix'], pgsync_local_only_rules() );
	// The paired site hears of this table's change: recorded. Anything else unrecorded is caught up at the drain.
	pgsync_record_schema( $pdo, array( $table ) );
	// Code that is not wpdb (raw PDO) may have written to the new table before these triggers
	// existed: every row it holds is new, so all of them travel after its CREATE.
	if ( $creates ) {
		pgsync_log_all_rows( $pdo, $table, $config['tablePrefix'], pgsync_local_only_rules() );
	}
}
