<?php
/**
 * Shared head of the harness's run() scripts: loads only WordPress's database layer (SHORTINIT: no
 * plugins, no hooks, no cron), so reading through it leaves the site as it was. Output produced
 * while loading (notices) is held back and returned next to the result.
 */
define( 'SHORTINIT', true );
ob_start();
require_once getenv( 'PG_HARNESS_DOCROOT' ) . '/wp-load.php';

/** The raw SQLite PDO under $wpdb, on both driver generations. */
function pg_harness_pdo(): PDO {
	global $wpdb;
	if ( method_exists( $wpdb, 'get_driver' ) ) {
		// sqlite-database-integration 3.x: WP_SQLite_DB -> WP_MySQL_On_SQLite.
		return $wpdb->get_driver()->get_sqlite_pdo();
	}
	$dbh = $wpdb->dbh;
	if ( is_object( $dbh ) && method_exists( $dbh, 'get_pdo' ) ) {
		// sqlite-database-integration 2.1.x: WP_SQLite_DB -> WP_SQLite_Translator.
		return $dbh->get_pdo();
	}
	throw new RuntimeException( 'Cannot reach the SQLite PDO behind ' . get_class( $wpdb ) );
}

/** The object that runs the SQL: AST driver or legacy translator. */
function pg_harness_driver_class(): string {
	global $wpdb;
	return method_exists( $wpdb, 'get_driver' ) ? get_class( $wpdb->get_driver() ) : get_class( $wpdb->dbh );
}

/** sqlite-database-integration 3.1+ randomizes the path and publishes DB_PATH; older ones use FQDB. */
function pg_harness_db_path(): string {
	if ( defined( 'DB_PATH' ) ) {
		return DB_PATH;
	}
	if ( defined( 'FQDB' ) ) {
		return FQDB;
	}
	return WP_CONTENT_DIR . '/database/.ht.sqlite';
}

function pg_harness_quote_id( string $name ): string {
	return '"' . str_replace( '"', '""', $name ) . '"';
}

/** Every table except SQLite's own (sqlite_*) and the driver's bookkeeping (_wp_sqlite_*). */
function pg_harness_user_tables( PDO $pdo ): array {
	$names = $pdo->query( "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" )->fetchAll( PDO::FETCH_COLUMN );
	return array_values(
		array_filter(
			$names,
			static function ( $name ) {
				return 0 !== strpos( $name, 'sqlite_' ) && 0 !== strpos( $name, '_wp_sqlite_' );
			}
		)
	);
}

function pg_harness_is_utf8( string $text ): bool {
	return 1 === preg_match( '//u', $text );
}

/**
 * One cell as JSON-safe data, byte for byte: BLOBs as {"$blob": base64}, TEXT that is not valid
 * UTF-8 as {"$b64": base64}, integers beyond 2^53 as {"$int": "digits"}, non-finite reals as
 * {"$real": "INF"}. Raw binary never reaches json_encode.
 */
function pg_harness_cell( $value, string $type ) {
	switch ( $type ) {
		case 'null':
			return null;
		case 'integer':
			$int = (int) $value;
			return ( $int > 9007199254740991 || $int < -9007199254740991 ) ? array( '$int' => (string) $int ) : $int;
		case 'real':
			$real = (float) $value;
			return is_finite( $real ) ? $real : array( '$real' => (string) $real );
		case 'blob':
			return array( '$blob' => base64_encode( (string) $value ) );
		default:
			$text = (string) $value;
			return pg_harness_is_utf8( $text ) ? $text : array( '$b64' => base64_encode( $text ) );
	}
}

/** Ends the script: the result as one JSON line after a marker, notices kept apart. */
function pg_harness_respond( $result ): void {
	$notices = (string) ob_get_clean();
	if ( ! pg_harness_is_utf8( $notices ) ) {
		$notices = 'base64:' . base64_encode( $notices );
	}
	echo "\n@@PG_HARNESS_RESULT@@", json_encode(
		array(
			'notices' => $notices,
			'result'  => $result,
		),
		JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
	);
}
