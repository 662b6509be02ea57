<?php
/**
 * Playground Sync: ID shards, the `run()` script that surveys, installs and reports.
 *
 * Env: PG_SYNC_DOCROOT, PG_SYNC_ID_ACTION (survey | install | status | uninstall), for install also
 * PG_SYNC_ID_PLAN (the canonical plan JSON, see src/ids/ranges.ts) and PG_SYNC_ID_SLOT (this
 * site's slot in it). Answers through src/php/answer.php; a refusal has a code the extension acts
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
			self_slot INTEGER NOT NULL,
			self_lo INTEGER NOT NULL,
			self_hi INTEGER NOT NULL,
			group_lo INTEGER NOT NULL,
			group_hi INTEGER NOT NULL,
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

/** The plan's ranges for `$slot`, checked: [self_lo, self_hi, group_lo, group_hi]. */
function playground_sync_id_shards_read_plan( $json, $slot ) {
	try {
		$ranges = playground_sync_id_shards_slot_ranges( $json, $slot );
	} catch ( InvalidArgumentException $e ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', $e->getMessage() );
	} catch ( RangeException $e ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'int-size', $e->getMessage() );
	}
	if ( null === $ranges ) {
		throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', 'The plan is not one of version 2' );
	}
	return $ranges;
}

/**
 * The plan this site holds: its row, or for a row of an older format (it names peers, not slots)
 * its plan with `self_slot` null, another plan to every install; null when none.
 */
function playground_sync_id_shards_installed( PDO $pdo ) {
	$row = playground_sync_id_shards_plan_row( $pdo );
	if ( null !== $row ) {
		return $row;
	}
	try {
		$plan = $pdo->query( 'SELECT plan FROM ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) . ' WHERE id = 1' )->fetchColumn();
	} catch ( Exception $e ) {
		return null;
	}
	return false === $plan ? null : array(
		'plan'      => (string) $plan,
		'self_slot' => null,
	);
}

/** Drops the plan and the ranges: the pairing ended, or another plan takes their place. */
function playground_sync_id_shards_drop_tables( PDO $pdo ) {
	$pdo->exec( 'DROP TABLE IF EXISTS ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_PLAN_TABLE ) );
	$pdo->exec( 'DROP TABLE IF EXISTS ' . playground_sync_id_shards_quote( PLAYGROUND_SYNC_ID_RANGES_TABLE ) );
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
			'slot' => $installed['self_slot'],
		),
	);
}

function playground_sync_id_shards_install( PDO $pdo, $plan_json, $slot, $replace = false ) {
	list( $self_lo, $self_hi, $group_lo, $group_hi ) = playground_sync_id_shards_read_plan( $plan_json, $slot );
	$plan = json_decode( $plan_json, true );
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		$installed = playground_sync_id_shards_installed( $pdo );
		if ( null !== $installed && ( $installed['plan'] !== $plan_json || $installed['self_slot'] !== $slot ) ) {
			if ( ! $replace ) {
				$held = null === $installed['self_slot'] ? 'an older version\'s plan' : "slot {$installed['self_slot']} of";
				throw new Playground_Sync_Id_Shards_Refusal(
					'other-plan',
					"This site already holds $held {$installed['plan']}; pair again to change the ranges"
				);
			}
			// A new pairing: its plan was made above every ID this site holds, the old ranges included.
			$installed = null;
		}
		if ( null === $installed ) {
			// The sequences go back below the old zone, which may be another slot's in the new plan.
			playground_sync_id_shards_lower_sequences( $pdo );
			// Also what an older version left: the tables come back as this version has them.
			playground_sync_id_shards_drop_tables( $pdo );
		}
		playground_sync_id_shards_create_tables( $pdo );
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
				. ' (id, plan, self_slot, self_lo, self_hi, group_lo, group_hi, installed_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)'
			);
			$insert->execute( array( $plan_json, $slot, $self_lo, $self_hi, $group_lo, $group_hi, gmdate( 'Y-m-d H:i:s' ) ) );
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
	$installed = playground_sync_id_shards_plan_row( $pdo );
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
		playground_sync_id_shards_drop_tables( $pdo );
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
		$slot   = (string) getenv( 'PG_SYNC_ID_SLOT' );
		if ( ! preg_match( '~^[0-9]{1,9}$~', $slot ) ) {
			throw new Playground_Sync_Id_Shards_Refusal( 'bad-plan', 'No valid slot: ' . var_export( $slot, true ) );
		}
		$result = playground_sync_id_shards_install( $pdo, (string) getenv( 'PG_SYNC_ID_PLAN' ), (int) $slot, '1' === getenv( 'PG_SYNC_ID_REPLACE' ) );
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
