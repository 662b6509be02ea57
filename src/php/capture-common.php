<?php
/**
 * Playground Sync, database half: what capture, drain and replay share. Engine tables, the raw
 * SQLite PDO, binary-safe cells, the hybrid logical clock (same encoding as src/sync/hlc.ts).
 * Load with require_once; needs local-only.php. PHP 7.4+.
 */

if ( function_exists( 'pgsync_engine_table' ) ) {
	return;
}

/** Directory (MEMFS, outside /wordpress) holding the engine's PHP, config and task inputs. */
function pgsync_dir() {
	return '/internal/shared/playground-sync';
}

/** Full name of an engine table; the prefix is ENGINE_TABLE_PREFIX of src/sync/local-only.ts. */
function pgsync_engine_table( $name ) {
	return '_wp_sqlite_pgsync_' . $name;
}

function pgsync_quote_id( $name ) {
	return '"' . str_replace( '"', '""', $name ) . '"';
}

/** A quoted column name, qualified with the table alias $alias when given. */
function pgsync_column( $column, $alias = '' ) {
	return ( '' === $alias ? '' : "$alias." ) . pgsync_quote_id( $column );
}

/** Engine tables, created through the raw PDO (never through the MySQL emulation). */
function pgsync_create_engine_tables( PDO $pdo ) {
	$q = 'pgsync_quote_id';
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'changelog' ) ) . ' (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, pk TEXT NOT NULL, op TEXT NOT NULL, ddl TEXT)' );
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'applying' ) ) . ' (marker INTEGER)' );
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'meta' ) ) . ' (name TEXT PRIMARY KEY, value TEXT)' );
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'rowver' ) ) . ' (tbl TEXT NOT NULL, pk TEXT NOT NULL, hlc TEXT NOT NULL, PRIMARY KEY (tbl, pk)) WITHOUT ROWID' );
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'cursor' ) ) . ' (peer TEXT PRIMARY KEY, applied_up_to INTEGER NOT NULL)' );
	// Drained batches until the paired site acknowledged them (see capture-drain.php).
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'outbox' ) ) . ' (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, batch TEXT NOT NULL)' );
	// The content id of each recently applied batch: a batch number seen again is a duplicate
	// only if its content is the same (see apply-batch.php).
	$pdo->exec( 'CREATE TABLE IF NOT EXISTS ' . $q( pgsync_engine_table( 'applied' ) ) . ' (peer TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (peer, seq)) WITHOUT ROWID' );
}

/** The row's version, or null. */
function pgsync_row_version( PDO $pdo, $table, $key_text, $cache = null ) {
	$stmt = pgsync_prepare_cached( $pdo, 'SELECT hlc FROM ' . pgsync_quote_id( pgsync_engine_table( 'rowver' ) ) . ' WHERE tbl = ? AND pk = ?', $cache );
	$stmt->execute( array( $table, $key_text ) );
	$local = $stmt->fetchColumn();
	$stmt->closeCursor();
	return false === $local ? null : $local;
}

/**
 * The changelog's op for a row this site deleted only because a newer row of another member
 * took one of its unique keys: drained as a delete versioned as that winner (pgsync_evicted_delete()),
 * and never a local change "not sent yet" that beats a newer one of that row.
 */
function pgsync_eviction_op() {
	return 'E';
}

/** A task result that is JSON text already (big batches are not decoded and encoded again). */
final class PGSync_Raw_Json {
	/** @var string */
	public $json;

	public function __construct( $json ) {
		$this->json = $json;
	}
}

function pgsync_meta_get( PDO $pdo, $name ) {
	$stmt = $pdo->prepare( 'SELECT value FROM ' . pgsync_quote_id( pgsync_engine_table( 'meta' ) ) . ' WHERE name = ?' );
	$stmt->execute( array( $name ) );
	$value = $stmt->fetchColumn();
	return false === $value ? null : $value;
}

function pgsync_meta_set( PDO $pdo, $name, $value ) {
	$pdo->prepare( 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'meta' ) ) . ' (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value' )
		->execute( array( $name, (string) $value ) );
}

/** The engine's config (written by installCapture): peerId, siteUrl, tablePrefix, dbPath. */
function pgsync_config() {
	static $config = null;
	if ( null === $config ) {
		$path = pgsync_dir() . '/config.json';
		$config = is_file( $path ) ? json_decode( (string) file_get_contents( $path ), true ) : false;
	}
	return is_array( $config ) ? $config : null;
}

function pgsync_local_only_rules() {
	static $rules = null;
	if ( null === $rules ) {
		$rules = require pgsync_dir() . '/local-only-rules.php';
	}
	return $rules;
}

/** The raw SQLite PDO under a loaded $wpdb (AST driver or legacy translator), or null. */
function pgsync_wpdb_pdo() {
	global $wpdb;
	if ( ! class_exists( 'WP_SQLite_DB', false ) || ! ( $wpdb instanceof WP_SQLite_DB ) ) {
		return null;
	}
	if ( method_exists( $wpdb, 'get_driver' ) ) {
		return $wpdb->get_driver()->get_sqlite_pdo();
	}
	if ( isset( $wpdb->dbh ) && is_object( $wpdb->dbh ) && method_exists( $wpdb->dbh, 'get_pdo' ) ) {
		return $wpdb->dbh->get_pdo();
	}
	return null;
}

/** A connection of our own to the database file, for scripts that do not load WordPress. */
function pgsync_open_pdo( $path ) {
	$pdo = new PDO( 'sqlite:' . $path );
	$pdo->setAttribute( PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION );
	$pdo->setAttribute( PDO::ATTR_STRINGIFY_FETCHES, true );
	// Another PHP instance of the same site may hold the write lock for a moment.
	$pdo->setAttribute( PDO::ATTR_TIMEOUT, 10 );
	return $pdo;
}

/** Tables of the user's schema: everything except SQLite's, the driver's and the engine's. */
function pgsync_user_tables( PDO $pdo ) {
	$names = $pdo->query( "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" )->fetchAll( PDO::FETCH_COLUMN );
	return array_values(
		array_filter(
			$names,
			function ( $name ) {
				return 0 !== strncmp( $name, 'sqlite_', 7 ) && 0 !== strncmp( $name, '_wp_sqlite_', 11 );
			}
		)
	);
}

function pgsync_table_exists( PDO $pdo, $table ) {
	$stmt = $pdo->prepare( "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?" );
	$stmt->execute( array( $table ) );
	return false !== $stmt->fetchColumn();
}

/** Column names and primary-key columns (in key order) from PRAGMA table_info. */
function pgsync_table_info( PDO $pdo, $table ) {
	$columns = array();
	$pk      = array();
	foreach ( $pdo->query( 'PRAGMA table_info(' . pgsync_quote_id( $table ) . ')' )->fetchAll( PDO::FETCH_ASSOC ) as $column ) {
		$columns[] = $column['name'];
		if ( (int) $column['pk'] > 0 ) {
			$pk[ (int) $column['pk'] ] = $column['name'];
		}
	}
	ksort( $pk );
	return array(
		'columns' => $columns,
		'pk'      => array_values( $pk ),
	);
}

// ---------------------------------------------------------------------------------------------
// Cells: JSON-safe and exact. null, int, string (valid UTF-8 TEXT), {"$b64"} (other TEXT),
// {"$blob"} (BLOB), {"$int"} (beyond ±2^53), {"$real"} (every REAL, so it stays REAL).

function pgsync_is_utf8( $text ) {
	return 1 === preg_match( '//u', $text );
}

/**
 * SQL selecting a column as a cell's raw value and its storage class, for pgsync_encode_cell().
 * REALs are printed by SQLite with 17 significant digits: PHP would round them to `precision`.
 */
function pgsync_select_cell( $column ) {
	$c = pgsync_quote_id( $column );
	return "CASE typeof($c) WHEN 'real' THEN printf('%!.17g', $c) ELSE $c END, typeof($c)";
}

/** @param mixed $value As fetched (stringified), with its SQLite typeof(). */
function pgsync_encode_cell( $value, $type ) {
	switch ( $type ) {
		case 'null':
			return null;
		case 'integer':
			$int = (int) $value;
			return ( $int > 9007199254740991 || $int < -9007199254740991 ) ? array( '$int' => (string) $value ) : $int;
		case 'real':
			return array( '$real' => (string) $value );
		case 'blob':
			return array( '$blob' => base64_encode( (string) $value ) );
		default:
			$text = (string) $value;
			return pgsync_is_utf8( $text ) ? $text : array( '$b64' => base64_encode( $text ) );
	}
}

/**
 * A decoded cell as (SQL placeholder, value, PDO type). Strings are passed through $map (the
 * URL rewrite) when given. Throws on anything that is not a cell.
 */
function pgsync_decode_cell( $cell, $map = null ) {
	if ( null === $cell ) {
		return array( '?', null, PDO::PARAM_NULL );
	}
	if ( is_int( $cell ) ) {
		return array( '?', $cell, PDO::PARAM_INT );
	}
	if ( is_string( $cell ) ) {
		return array( '?', $map ? $map( $cell ) : $cell, PDO::PARAM_STR );
	}
	if ( is_array( $cell ) && 1 === count( $cell ) ) {
		$kind    = key( $cell );
		$payload = current( $cell );
		if ( is_string( $payload ) ) {
			switch ( $kind ) {
				case '$blob':
					return array( '?', pgsync_base64( $payload ), PDO::PARAM_LOB );
				case '$b64':
					$text = pgsync_base64( $payload );
					return array( '?', $map ? $map( $text ) : $text, PDO::PARAM_STR );
				case '$int':
					if ( preg_match( '~^-?[0-9]{1,19}$~D', $payload ) ) {
						return array( 'CAST(? AS INTEGER)', $payload, PDO::PARAM_STR );
					}
					break;
				case '$real':
					if ( is_numeric( $payload ) || preg_match( '~^-?(?:INF|NAN)$~D', $payload ) ) {
						return array( 'CAST(? AS REAL)', $payload, PDO::PARAM_STR );
					}
					break;
			}
		}
	}
	throw new UnexpectedValueException( 'Not a cell: ' . substr( json_encode( $cell ), 0, 120 ) );
}

function pgsync_base64( $payload ) {
	$bytes = base64_decode( $payload, true );
	if ( false === $bytes ) {
		throw new UnexpectedValueException( 'Bad base64 in a cell' );
	}
	return $bytes;
}

/** The primary key as the capture triggers write it (SQLite json_array), from decoded key cells. */
function pgsync_key_text( PDO $pdo, array $key, $cache = null ) {
	// Integer keys (nearly all of them) print the same in PHP; anything else asks SQLite.
	$ints = array();
	foreach ( $key as $cell ) {
		if ( PDO::PARAM_INT !== $cell[2] ) {
			$ints = null;
			break;
		}
		$ints[] = $cell[1];
	}
	if ( null !== $ints ) {
		return '[' . implode( ',', $ints ) . ']';
	}
	$stmt = pgsync_prepare_cached( $pdo, 'SELECT json_array(' . implode( ', ', array_column( $key, 0 ) ) . ')', $cache );
	$i    = 0;
	foreach ( $key as $cell ) {
		$stmt->bindValue( ++$i, $cell[1], $cell[2] );
	}
	$stmt->execute();
	$text = (string) $stmt->fetchColumn();
	$stmt->closeCursor();
	return $text;
}

/**
 * Sets the version of rows ($rows: list of array(table, key text)) to $hlc, on conflict to the
 * SQL expression $update (over `hlc` and `excluded.hlc`). One statement per chunk of rows.
 */
function pgsync_store_versions( PDO $pdo, array $rows, $hlc, $update ) {
	$chunk = 333; // 999 parameters: SQLite's oldest limit.
	$sql   = function ( $count ) use ( $update ) {
		return 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'rowver' ) ) . ' (tbl, pk, hlc) VALUES '
			. implode( ', ', array_fill( 0, $count, '(?, ?, ?)' ) ) . " ON CONFLICT(tbl, pk) DO UPDATE SET hlc = $update";
	};
	$full = null;
	foreach ( array_chunk( $rows, $chunk ) as $part ) {
		$args = array();
		foreach ( $part as $row ) {
			array_push( $args, $row[0], $row[1], $hlc );
		}
		if ( count( $part ) === $chunk ) {
			$full = $full ?: $pdo->prepare( $sql( $chunk ) );
			$full->execute( $args );
		} else {
			$pdo->prepare( $sql( count( $part ) ) )->execute( $args );
		}
	}
}

/**
 * $pdo->prepare( $sql ), reusing the statement already prepared for the same SQL when $cache (an
 * ArrayObject owned by the caller, e.g. one batch) is given. Callers bind every parameter on
 * each use and close cursors they leave open, so a reused statement carries nothing over.
 */
function pgsync_prepare_cached( PDO $pdo, $sql, $cache = null ) {
	if ( ! $cache instanceof ArrayObject ) {
		return $pdo->prepare( $sql );
	}
	if ( ! isset( $cache[ $sql ] ) ) {
		$cache[ $sql ] = $pdo->prepare( $sql );
	}
	return $cache[ $sql ];
}

// ---------------------------------------------------------------------------------------------
// Hybrid logical clock: `<ms:12 hex>.<counter:4 hex>.<peer>`, the encoding of src/sync/hlc.ts.

function pgsync_hlc_decode( $text ) {
	if ( ! is_string( $text ) || ! preg_match( '~^([0-9a-f]{12})\.([0-9a-f]{4})\.([A-Za-z0-9-]{1,64})$~D', $text, $m ) ) {
		return null;
	}
	return array( hexdec( $m[1] ), hexdec( $m[2] ), $m[3] );
}

function pgsync_hlc_encode( $ms, $counter, $peer ) {
	return sprintf( '%012x.%04x.%s', $ms, $counter, $peer );
}

function pgsync_wall_ms() {
	return (int) floor( microtime( true ) * 1000 );
}

/**
 * After $last (encoded or null), not behind the wall clock, and after $remote when given: what
 * hlcNow / hlcReceive in src/sync/hlc.ts compute.
 */
function pgsync_hlc_tick( $last, $peer, $remote = null, $wall = null ) {
	$l    = pgsync_hlc_decode( $last ) ?: array( 0, 0, $peer );
	$r    = null === $remote ? null : pgsync_hlc_decode( $remote );
	$wall = null === $wall ? pgsync_wall_ms() : $wall;
	$ms   = max( $l[0], $wall, $r ? $r[0] : 0 );
	$counter = -1;
	if ( $ms === $l[0] ) {
		$counter = max( $counter, $l[1] );
	}
	if ( $r && $ms === $r[0] ) {
		$counter = max( $counter, $r[1] );
	}
	$counter += 1;
	if ( $counter > 0xffff ) {
		$ms     += 1;
		$counter = 0;
	}
	return pgsync_hlc_encode( $ms, $counter, $peer );
}

/** Advances the site's stored clock (meta `hlc`) and returns the new time. */
function pgsync_clock_advance( PDO $pdo, $peer, $remote = null ) {
	$now = pgsync_hlc_tick( pgsync_meta_get( $pdo, 'hlc' ), $peer, $remote );
	pgsync_meta_set( $pdo, 'hlc', $now );
	return $now;
}

function pgsync_json( $value ) {
	return json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR );
}
