<?php
/**
 * Playground Sync: ID shards, the `run()` script that surveys, installs and reports.
 *
 * Env: PG_SYNC_DOCROOT, PG_SYNC_ID_ACTION (survey | install | status | uninstall), for install also
 * PG_SYNC_ID_PLAN (the canonical plan JSON, see src/ids/ranges.ts) and PG_SYNC_ID_SELF (this
 * site's peer id). Answers through src/php/answer.php; a refusal has a code the extension acts
 * on (`other-plan`, `ids-above-base`, `int-size`, …).
 *
 * WordPress is loaded with SHORTINIT: only to reach the raw SQLite PDO, nothing else runs.
 */
define( 'SHORTINIT', true );
require_once getenv( 'PG_SYNC_DOCROOT' ) . '/wp-load.php';
require_once '/internal/shared/playground-sync/id-shards.php';

class Playground_Sync_Id_Shards_Refusal extends Exception {
	public $reason;

	public function __construct( $reason, $message ) {
		parent::__construct( $message );
		$this->reason = $reason;
	}
}

/** Every table with an INTEGER PRIMARY KEY AUTOINCREMENT: name → key column. */
function playground_sync_id_shards_autoincrement_tables( PDO $pdo ) {
	$tables = array();
	$names  = $pdo->query( "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' ORDER BY name" )->fetchAll( PDO::FETCH_COLUMN );
	foreach ( $names as $name ) {
		$pk = playground_sync_id_shards_autoincrement_pk( $pdo, $name );
		if ( null !== $pk ) {
			$tables[ $name ] = $pk;
		}
	}
	return $tables;
}

function playground_sync_id_shards_max_id( PDO $pdo, $table, $pk ) {
	$key = playground_sync_id_shards_quote( $pk );
	return (int) $pdo->query( "SELECT coalesce(max($key), 0) FROM " . playground_sync_id_shards_quote( $table ) )->fetchColumn();
}

function playground_sync_id_shards_create_tables( PDO $pdo ) {
	$pdo->exec(
		'CREATE TABLE IF NOT EXISTS ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) . ' (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			plan TEXT NOT NULL,
			self TEXT NOT NULL,
			self_lo INTEGER NOT NULL,
			self_hi INTEGER NOT NULL,
			peer TEXT NOT NULL,
			peer_lo INTEGER NOT NULL,
			peer_hi INTEGER NOT NULL,
			installed_at TEXT NOT NULL
		)'
	);
	$pdo->exec(
		'CREATE TABLE IF NOT EXISTS ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) . ' (
			table_name TEXT PRIMARY KEY,
			pk_column TEXT NOT NULL,
			lo INTEGER NOT NULL,
			hi INTEGER NOT NULL,
			next INTEGER NOT NULL,
			refused INTEGER NOT NULL DEFAULT 0,
			refused_at TEXT,
			unsharded INTEGER NOT NULL DEFAULT 0
		)'
	);
}

/** The plan's two ranges, checked: [self_lo, self_hi, peer, peer_lo, peer_hi]. */
function playground_sync_id_shards_read_plan( $json, $self ) {
	$plan = json_decode( (string) $json, true );
	foreach ( array( 'base', 'size', 'lowWater', 'idLimit' ) as $field ) {
		if ( ! is_array( $plan ) || ! isset( $plan[ $field ] ) || ! is_int( $plan[ $field ] ) || $plan[ $field ] < 0 ) {
			throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', "The plan has no valid $field" );
		}
	}
	if ( ! isset( $plan['first'], $plan['second'] ) || $plan['first'] === $plan['second'] ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', 'The plan needs two different peers' );
	}
	if ( $self !== $plan['first'] && $self !== $plan['second'] ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', "Peer $self is not in the plan" );
	}
	$end = $plan['base'] + 2 * $plan['size'];
	if ( ! is_int( $end ) || $end > $plan['idLimit'] ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', 'The ranges pass the plan\'s idLimit' );
	}
	if ( $plan['idLimit'] > PHP_INT_MAX ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'int-size', 'The ranges pass PHP_INT_MAX (' . PHP_INT_SIZE . '-byte PHP)' );
	}
	$first  = array( $plan['base'], $plan['base'] + $plan['size'] );
	$second = array( $plan['base'] + $plan['size'], $end );
	return $self === $plan['first']
		? array( $first[0], $first[1], $plan['second'], $second[0], $second[1] )
		: array( $second[0], $second[1], $plan['first'], $first[0], $first[1] );
}

function playground_sync_id_shards_installed( PDO $pdo ) {
	try {
		$row = $pdo->query( 'SELECT plan, self, self_lo, self_hi, peer, peer_lo, peer_hi, installed_at FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) . ' WHERE id = 1' )->fetch( PDO::FETCH_ASSOC );
	} catch ( Exception $e ) {
		return null;
	}
	if ( ! is_array( $row ) ) {
		return null;
	}
	foreach ( array( 'self_lo', 'self_hi', 'peer_lo', 'peer_hi' ) as $column ) {
		$row[ $column ] = (int) $row[ $column ];
	}
	return $row;
}

function playground_sync_id_shards_survey( PDO $pdo ) {
	$tables = array();
	foreach ( playground_sync_id_shards_autoincrement_tables( $pdo ) as $name => $pk ) {
		$tables[ $name ] = array(
			'pk'    => $pk,
			'maxId' => playground_sync_id_shards_max_id( $pdo, $name, $pk ),
		);
	}
	$installed = playground_sync_id_shards_installed( $pdo );
	return array(
		'phpIntSize' => PHP_INT_SIZE,
		'tables'     => (object) $tables,
		'installed'  => null === $installed ? null : array(
			'plan' => $installed['plan'],
			'self' => $installed['self'],
		),
	);
}

function playground_sync_id_shards_install( PDO $pdo, $plan_json, $self, $replace = false ) {
	list( $self_lo, $self_hi, $peer, $peer_lo, $peer_hi ) = playground_sync_id_shards_read_plan( $plan_json, $self );
	$plan = json_decode( $plan_json, true );
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		playground_sync_id_shards_create_tables( $pdo );
		$installed = playground_sync_id_shards_installed( $pdo );
		if ( $replace && null !== $installed && ( $installed['plan'] !== $plan_json || $installed['self'] !== $self ) ) {
			// A new pairing: its plan was made above every ID this site holds, the old ranges included.
			$pdo->exec( 'DELETE FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) );
			$pdo->exec( 'DELETE FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) );
			$installed = null;
		}
		if ( null !== $installed && ( $installed['plan'] !== $plan_json || $installed['self'] !== $self ) ) {
			throw new Playground_Sync_Id_Shards_Refusal(
				'other-plan',
				"This site is already sharded as {$installed['self']} with {$installed['plan']}; pair again to change the ranges"
			);
		}
		$tables = playground_sync_id_shards_autoincrement_tables( $pdo );
		if ( null === $installed ) {
			foreach ( $tables as $name => $pk ) {
				$max = playground_sync_id_shards_max_id( $pdo, $name, $pk );
				if ( $max >= $plan['base'] ) {
					throw new Playground_Sync_Id_Shards_Refusal( 'ids-above-base', "$name already holds ID $max, not below the plan's base {$plan['base']}" );
				}
			}
			$insert = $pdo->prepare(
				'INSERT INTO ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE )
				. ' (id, plan, self, self_lo, self_hi, peer, peer_lo, peer_hi, installed_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)'
			);
			$insert->execute( array( $plan_json, $self, $self_lo, $self_hi, $peer, $peer_lo, $peer_hi, gmdate( 'Y-m-d H:i:s' ) ) );
		}
		foreach ( $tables as $name => $pk ) {
			playground_sync_id_shards_ensure_row( $pdo, $name, $pk, array( $self_lo, $self_hi ) );
		}
		$pdo->exec( 'COMMIT' );
	} catch ( Exception $e ) {
		$pdo->exec( 'ROLLBACK' );
		throw $e;
	}
	return array(
		'status' => null === $installed ? 'installed' : 'unchanged',
		'tables' => array_keys( $tables ),
	);
}

function playground_sync_id_shards_status( PDO $pdo ) {
	$installed = playground_sync_id_shards_installed( $pdo );
	if ( null === $installed ) {
		return null;
	}
	$tables = $pdo->query( 'SELECT table_name, pk_column, lo, hi, next, refused, refused_at, unsharded FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) . ' ORDER BY table_name' )->fetchAll( PDO::FETCH_ASSOC );
	foreach ( $tables as &$table ) {
		foreach ( array( 'lo', 'hi', 'next', 'refused', 'unsharded' ) as $column ) {
			$table[ $column ] = (int) $table[ $column ];
		}
	}
	unset( $table );
	$installed['tables'] = $tables;
	return $installed;
}

/** Drops the plan and the ranges (the filter then stands aside): the pairing ended. */
function playground_sync_id_shards_uninstall( PDO $pdo ) {
	$installed = playground_sync_id_shards_installed( $pdo );
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		playground_sync_id_shards_lower_sequences( $pdo );
		$pdo->exec( 'DROP TABLE IF EXISTS ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) );
		$pdo->exec( 'DROP TABLE IF EXISTS ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) );
		$pdo->exec( 'COMMIT' );
	} catch ( Exception $e ) {
		try {
			$pdo->exec( 'ROLLBACK' );
		} catch ( Exception $ignored ) { // $e is the cause; SQLite may have rolled back already.
		}
		throw $e;
	}
	return array( 'removed' => null !== $installed );
}

try {
	$pdo = playground_sync_id_shards_pdo();
	if ( null === $pdo ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'no-sqlite', 'No SQLite PDO behind $wpdb' );
	}
	$action = getenv( 'PG_SYNC_ID_ACTION' );
	if ( 'survey' === $action ) {
		$result = playground_sync_id_shards_survey( $pdo );
	} elseif ( 'install' === $action ) {
		$result = playground_sync_id_shards_install( $pdo, (string) getenv( 'PG_SYNC_ID_PLAN' ), (string) getenv( 'PG_SYNC_ID_SELF' ), '1' === getenv( 'PG_SYNC_ID_REPLACE' ) );
	} elseif ( 'status' === $action ) {
		$result = playground_sync_id_shards_status( $pdo );
	} elseif ( 'uninstall' === $action ) {
		$result = playground_sync_id_shards_uninstall( $pdo );
	} else {
		throw new Playground_Sync_Id_Shards_Refusal( 'bad-action', 'Unknown action ' . var_export( $action, true ) );
	}
	pgsync_answer( $result );
} catch ( Playground_Sync_Id_Shards_Refusal $e ) {
	pgsync_answer_error( $e->getMessage(), $e->reason );
} catch ( Throwable $e ) {
	pgsync_answer_error( $e );
}
