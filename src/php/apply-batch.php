<?php
/**
 * Playground Sync: replays one peer's batch, all or nothing. One transaction holds the applying
 * marker (silences the capture triggers), the schema changes (through the driver, so its
 * information schema stays right), the rows (raw prepared statements, URLs rewritten), the row
 * versions and the sender's cursor (exactly once across crashes). Any error rolls everything
 * back and is reported with its cause. Rows that still carry a high ID this site renumbered
 * get its low ID first, and a batch of the numberer's renumberings is made here (renumber.php).
 * Needs capture-common.php, capture-triggers.php, capture-drain.php, local-only.php,
 * url-rewrite.php, id-rewrite.php, renumber.php.
 */

if ( function_exists( 'pgsync_apply' ) ) {
	return;
}

/** An apply failure that knows where it happened. */
class PGSync_Apply_Error extends RuntimeException {
	public $context;

	public function __construct( $message, array $context, $previous = null ) {
		parent::__construct( $message, 0, $previous );
		$this->context = $context;
	}
}

/**
 * Transactions on the connection in use: through the driver when WordPress's database layer is
 * loaded (so the driver's own statements nest as savepoints inside ours), else plain SQLite.
 */
function pgsync_transaction( PDO $pdo, $wpdb ) {
	$driver = function ( $statement ) use ( $wpdb ) {
		if ( false === $wpdb->query( $statement ) ) {
			throw new RuntimeException( "$statement failed: " . $wpdb->last_error );
		}
	};
	$raw    = function ( $statement ) use ( $pdo ) {
		$pdo->exec( 'BEGIN' === $statement ? 'BEGIN IMMEDIATE' : $statement );
	};
	$run    = $wpdb ? $driver : $raw;
	return array(
		'begin'    => function () use ( $run, $wpdb ) {
			$run( $wpdb ? 'START TRANSACTION' : 'BEGIN' );
		},
		'commit'   => function () use ( $run ) {
			$run( 'COMMIT' );
		},
		'rollback' => function () use ( $run ) {
			try {
				$run( 'ROLLBACK' );
			} catch ( Throwable $ignored ) {
				// Nothing was open.
			}
		},
	);
}

/**
 * @param array      $input {batch, fromSiteUrl, toSiteUrl}
 * @param wpdb|null  $wpdb  Loaded database layer, needed when the batch changes the schema.
 */
function pgsync_apply( PDO $pdo, $wpdb, array $config, array $input ) {
	$batch = $input['batch'];
	// The peer's schema changes are recorded with this site's schema: what this site did unseen
	// is caught up on first (read before the transaction, logged after the triggers are back).
	$missed = count( $batch['ddl'] ) > 0 && pgsync_schema_unrecorded( $pdo ) ? pgsync_missed_schema( $pdo, $wpdb, $config['tablePrefix'], pgsync_local_only_rules() ) : null;
	$tx    = pgsync_transaction( $pdo, $wpdb );
	$q     = 'pgsync_quote_id';
	$tx['begin']();
	try {
		$pdo->exec( 'INSERT INTO ' . $q( pgsync_engine_table( 'applying' ) ) . ' (marker) VALUES (1)' );
		$cursor = pgsync_cursor( $pdo, $batch['peer'] );
		if ( $batch['seq'] <= $cursor ) {
			$known = pgsync_applied_batch_id( $pdo, $batch['peer'], $batch['seq'] );
			$tx['rollback']();
			if ( null !== $known && $known !== $batch['id'] ) {
				throw new PGSync_Apply_Error(
					"Batch {$batch['seq']} of {$batch['peer']} was applied before with other content: the paired site numbered two different batches alike (its database went back to an earlier state?). Pair again to copy one site's full state to the other",
					array()
				);
			}
			return array( 'status' => 'duplicate', 'seq' => $batch['seq'], 'appliedUpTo' => $cursor );
		}
		if ( $batch['seq'] !== $cursor + 1 ) {
			$tx['rollback']();
			return array( 'status' => 'gap', 'seq' => $batch['seq'], 'appliedUpTo' => $cursor );
		}
		pgsync_clock_advance( $pdo, $config['peerId'], $batch['hlc'] );

		$report = array(
			'ddlApplied' => 0,
			'ddlSkipped' => array(),
			'upserted'   => 0,
			'deleted'    => 0,
			'localOnly'  => 0,
			'conflicts'  => array(),
		);
		foreach ( $batch['ddl'] as $ddl ) {
			pgsync_apply_ddl( $pdo, $wpdb, $ddl, $report );
		}
		if ( count( $batch['ddl'] ) > 0 ) {
			pgsync_ensure_triggers( $pdo, $config['tablePrefix'], pgsync_local_only_rules(), true );
			pgsync_lift_id_sequences( $pdo );
			if ( null !== $missed ) {
				pgsync_log_missed_schema( $pdo, $missed, $config['tablePrefix'], pgsync_local_only_rules() );
			} else {
				pgsync_record_schema( $pdo );
			}
		}
		$rows = new PGSync_Batch_Rows( $pdo, $config, $batch['hlc'], $input['fromSiteUrl'], $input['toSiteUrl'] );
		$keyed = $rows->key_all( pgsync_renumber_arriving( $pdo, $batch['rows'] ) );
		// Table by table, each table's rows in batch order: unique keys only ever clash within a
		// table, so that order is all that matters, and a table's rows can share statements.
		foreach ( pgsync_group_by_table( $keyed ) as $table => $items ) {
			// The applying marker silences the capture triggers, but SQLite still runs a trigger's
			// program for every row written: for many rows, most of the cost of writing them. Such
			// a table goes without its triggers while its rows are written (a few DDL statements).
			$lifted = count( $items ) >= pgsync_bulk_rows() ? pgsync_lift_triggers( $pdo, $table ) : array();
			foreach ( $items as $item ) {
				pgsync_apply_row( $rows, $item, $report );
			}
			$rows->flush_upserts( $report );
			pgsync_restore_triggers( $pdo, $lifted );
		}
		$rows->store_versions();
		$rows->close();
		if ( isset( $batch['renumber'] ) ) {
			// The numberer's renumberings (renumber-pass.php): exactly once, as the rows are.
			$report['renumbered'] = pgsync_renumber_in_transaction( $pdo, $config, $batch['renumber'], $batch['peer'] )['renumbered'];
		}
		$pdo->prepare( 'INSERT INTO ' . $q( pgsync_engine_table( 'cursor' ) ) . ' (peer, applied_up_to) VALUES (?, ?) ON CONFLICT(peer) DO UPDATE SET applied_up_to = excluded.applied_up_to' )
			->execute( array( $batch['peer'], $batch['seq'] ) );
		pgsync_remember_applied_batch( $pdo, $batch );
		$pdo->exec( 'DELETE FROM ' . $q( pgsync_engine_table( 'applying' ) ) );
		$tx['commit']();
		return array( 'status' => 'applied', 'seq' => $batch['seq'] ) + $report;
	} catch ( Throwable $error ) {
		if ( isset( $rows ) ) {
			$rows->close();
		}
		$tx['rollback']();
		$context = $error instanceof PGSync_Apply_Error ? $error->context : array();
		$cause   = $error->getPrevious() ?: $error;
		return array(
			'status' => 'failed',
			'seq'    => $batch['seq'],
			'error'  => array(
				'message' => $error->getMessage(),
				'cause'   => get_class( $cause ) . ': ' . $cause->getMessage(),
			) + $context,
		);
	}
}

/**
 * A table the peer made gets its sqlite_sequence lifted at once, before this site inserts into it
 * without the ID-shard filter (see playground_sync_id_shards_lift_sequences()). Nothing on a site
 * without ID shards.
 */
function pgsync_lift_id_sequences( PDO $pdo ) {
	if ( ! function_exists( 'playground_sync_id_shards_lift_sequences' ) && is_file( __DIR__ . '/id-shards.php' ) ) {
		require_once __DIR__ . '/id-shards.php';
	}
	if ( function_exists( 'playground_sync_id_shards_lift_sequences' ) ) {
		playground_sync_id_shards_lift_sequences( $pdo );
	}
}

/** Rows of one table in a batch from which lifting its triggers pays (break-even about 120 rows, measured). */
function pgsync_bulk_rows() {
	return 200;
}

/** Entries of PGSync_Batch_Rows::key_all() grouped by table, in order. */
function pgsync_group_by_table( array $keyed ) {
	$groups = array();
	foreach ( $keyed as $item ) {
		$groups[ $item['change']['table'] ][] = $item;
	}
	return $groups;
}

/** How many rows of $columns cells one INSERT takes: within SQLite's oldest parameter limit (999). */
function pgsync_rows_per_upsert( $columns ) {
	return max( 1, min( 50, intdiv( 999, max( 1, $columns ) ) ) );
}

/** How many recent batches of each peer keep their content id (a resend comes soon after the original). */
function pgsync_applied_ids_kept() {
	return 1000;
}

/** The content id of `$peer`'s applied batch `$seq`, or null when it is not remembered. */
function pgsync_applied_batch_id( PDO $pdo, $peer, $seq ) {
	$stmt = $pdo->prepare( 'SELECT id FROM ' . pgsync_quote_id( pgsync_engine_table( 'applied' ) ) . ' WHERE peer = ? AND seq = ?' );
	$stmt->execute( array( $peer, $seq ) );
	$id = $stmt->fetchColumn();
	return false === $id ? null : $id;
}

function pgsync_remember_applied_batch( PDO $pdo, array $batch ) {
	$applied = pgsync_quote_id( pgsync_engine_table( 'applied' ) );
	$pdo->prepare( "INSERT OR REPLACE INTO $applied (peer, seq, id) VALUES (?, ?, ?)" )->execute( array( $batch['peer'], $batch['seq'], $batch['id'] ) );
	$pdo->prepare( "DELETE FROM $applied WHERE peer = ? AND seq <= ?" )->execute( array( $batch['peer'], $batch['seq'] - pgsync_applied_ids_kept() ) );
}

function pgsync_cursor( PDO $pdo, $peer ) {
	$stmt = $pdo->prepare( 'SELECT applied_up_to FROM ' . pgsync_quote_id( pgsync_engine_table( 'cursor' ) ) . ' WHERE peer = ?' );
	$stmt->execute( array( $peer ) );
	return (int) $stmt->fetchColumn();
}

function pgsync_apply_ddl( PDO $pdo, $wpdb, array $ddl, array &$report ) {
	$context = array(
		'table' => $ddl['table'],
		'sql'   => $ddl['sql'],
	);
	if ( ! $wpdb ) {
		throw new PGSync_Apply_Error( 'Schema changes need the database layer loaded', $context );
	}
	// Both sites may have created the table on their own (the same plugin activated on each).
	if ( preg_match( '~^\s*CREATE\s+TABLE\s+(?!IF\s)~i', $ddl['sql'] ) && pgsync_table_exists( $pdo, $ddl['table'] ) ) {
		$report['ddlSkipped'][] = $context + array( 'reason' => 'table exists' );
		return;
	}
	if ( false === $wpdb->query( $ddl['sql'] ) || '' !== (string) $wpdb->last_error ) {
		throw new PGSync_Apply_Error( "Schema change on {$ddl['table']} failed: {$wpdb->last_error}", $context );
	}
	++$report['ddlApplied'];
}

/**
 * What the rows of one batch share, set up once: the batch's clock, the URL rewrite, per table
 * its shape and local-only class, prepared statements, the keys with local changes not drained
 * yet (nothing adds to the changelog while the applying marker is in place, so one read holds
 * for the whole batch), the keys whose local version is newer than the batch (one query), and
 * the versions to store (a few statements, at the end).
 */
class PGSync_Batch_Rows {
	public $pdo;
	public $hlc;
	/** Statements reused across rows (see pgsync_prepare_cached()). */
	public $stmts;
	private $config;
	private $rules;
	private $tables  = array();
	private $pending = array();
	private $newer   = array();
	private $applied = array();
	private $upserts = array();
	/** Upserts waiting to go as one statement: same table, columns and placeholders. */
	private $queued       = array();
	private $queued_shape = null;
	private $rewrite_plan;

	public function __construct( PDO $pdo, array $config, $hlc, $from_site_url, $to_site_url ) {
		$this->pdo          = $pdo;
		$this->config       = $config;
		$this->hlc          = $hlc;
		$this->rules        = pgsync_local_only_rules();
		$this->stmts        = new ArrayObject();
		$this->rewrite_plan = playground_sync_url_plan( $from_site_url, $to_site_url );
		$changelog          = pgsync_quote_id( pgsync_engine_table( 'changelog' ) );
		$stmt               = $pdo->prepare( "SELECT tbl, pk FROM $changelog WHERE op <> ?" );
		$stmt->execute( array( pgsync_eviction_op() ) );
		foreach ( $stmt->fetchAll( PDO::FETCH_NUM ) as $entry ) {
			$this->pending[ $entry[0] . "\0" . $entry[1] ] = true;
		}
	}

	/**
	 * How rows of $table apply: null for a local-only table, else its columns, primary key (also
	 * as a set) and local-only class. Throws for a table this site lacks.
	 */
	public function table( $table ) {
		if ( ! array_key_exists( $table, $this->tables ) ) {
			$class = playground_sync_local_only_table( $table, $this->config['tablePrefix'], $this->rules );
			if ( 'never' === $class['sync'] ) {
				$this->tables[ $table ] = null;
			} else {
				if ( ! pgsync_table_exists( $this->pdo, $table ) ) {
					throw new RuntimeException( "no such table: $table" );
				}
				$info                   = pgsync_table_info( $this->pdo, $table );
				$this->tables[ $table ] = $info + array(
					'pk_set' => array_flip( $info['pk'] ),
					'class'  => $class,
				);
			}
		}
		return $this->tables[ $table ];
	}

	/**
	 * What playground_sync_is_local_only_row() says of a row, with the table's class known.
	 * $row: column => plain value, or column => decoded cell (see pgsync_decode_cell()).
	 */
	public function is_local_only_row( array $info, array $row ) {
		if ( 'filtered' !== $info['class']['sync'] ) {
			return false;
		}
		$rule = $info['class']['rule'];
		if ( ! array_key_exists( $rule['column'], $row ) ) {
			return false;
		}
		$value = $row[ $rule['column'] ];
		return playground_sync_local_only_key( $rule, is_array( $value ) ? $value[1] : $value );
	}

	/**
	 * Each change with its table's shape ('info', null for a local-only table), decoded key and
	 * key text; then looks up, in one query, which of those rows have a newer local version.
	 */
	public function key_all( array $changes ) {
		$keyed = array();
		$texts = array();
		foreach ( $changes as $change ) {
			$item = array( 'change' => $change );
			try {
				$info         = $this->table( $change['table'] );
				$item['info'] = $info;
				if ( null !== $info ) {
					$id = 1 === count( $info['pk'] ) && is_array( $change['key'] ) && 1 === count( $change['key'] ) ? ( $change['key'][ $info['pk'][0] ] ?? null ) : null;
					if ( is_int( $id ) ) {
						// One integer column (nearly every key): what the general path makes, directly.
						$item['key']      = array( $info['pk'][0] => array( '?', $id, PDO::PARAM_INT ) );
						$item['key_text'] = "[$id]";
					} else {
						$item['key']      = pgsync_decode_key( $info, $change['key'] );
						$item['key_text'] = pgsync_key_text( $this->pdo, $item['key'], $this->stmts );
					}
					if ( isset( $change['hlc'] ) ) {
						$item['hlc'] = $change['hlc'];
					} else {
						$texts[] = array( $change['table'], $item['key_text'] );
					}
				}
			} catch ( Throwable $error ) {
				throw pgsync_row_error( $change, $error );
			}
			$keyed[] = $item;
		}
		$this->newer = pgsync_newer_versions( $this->pdo, $texts, $this->hlc );
		return $keyed;
	}

	/**
	 * Why the local row wins over the change $item of this batch (see pgsync_winner_reason()),
	 * from what key_all() read.
	 */
	public function local_winner( array $item ) {
		$table    = $item['change']['table'];
		$key_text = $item['key_text'];
		$id       = $table . "\0" . $key_text;
		$pending  = isset( $this->pending[ $id ] );
		if ( isset( $item['hlc'] ) ) {
			return pgsync_winner_reason( $pending, pgsync_row_version( $this->pdo, $table, $key_text, $this->stmts ), $item['hlc'] );
		}
		// Only newer versions were read; a pending row's version is reported whatever it is.
		$local = $this->newer[ $id ] ?? ( $pending ? pgsync_row_version( $this->pdo, $table, $key_text, $this->stmts ) : null );
		return pgsync_winner_reason( $pending, $local, $this->hlc );
	}

	/** The version of the change $item: its own (an eviction's), else the batch's. */
	public function version_of( array $item ) {
		return $item['hlc'] ?? $this->hlc;
	}

	/** The row of $item now holds its change's version (the batch's are stored by store_versions()). */
	public function applied( array $item ) {
		if ( isset( $item['hlc'] ) ) {
			pgsync_set_version( $this->pdo, $item['change']['table'], $item['key_text'], $item['hlc'], $this->stmts );
			return;
		}
		$this->applied[] = array( $item['change']['table'], $item['key_text'] );
	}

	public function store_versions() {
		pgsync_store_versions( $this->pdo, $this->applied, $this->hlc, 'excluded.hlc' );
		$this->applied = array();
	}

	/** Whether $text may hold the sender's URL (see playground_sync_mentions_url()). */
	public function may_mention_url( $text ) {
		return null !== $this->rewrite_plan && playground_sync_mentions_url( $text, $this->rewrite_plan );
	}

	/** What playground_sync_rewrite_value() does to a string, with the plan looked up once. */
	public function rewrite( $text ) {
		if ( null === $this->rewrite_plan || '' === $text ) {
			return $text;
		}
		return playground_sync_rewrite_string( $text, $this->rewrite_plan, 0 );
	}

	/** The statement for $sql, prepared once for the batch. */
	public function prepared( $sql ) {
		return pgsync_prepare_cached( $this->pdo, $sql, $this->stmts );
	}

	/** Drops a statement that failed mid-step: the next use prepares it afresh. */
	public function forget( $sql ) {
		unset( $this->stmts[ $sql ] );
	}

	/** The upsert SQL for $count rows of $table with these columns and placeholders, built once per shape. */
	public function upsert_sql( $table, array $info, array $row, $count = 1 ) {
		$shape = $this->shape( $table, $row ) . "\0" . $count;
		if ( ! isset( $this->upserts[ $shape ] ) ) {
			$this->upserts[ $shape ] = pgsync_upsert_sql( $table, $info, $row, $count );
		}
		return $this->upserts[ $shape ];
	}

	private function shape( $table, array $row ) {
		return $table . "\0" . implode( "\0", array_keys( $row ) ) . "\0" . implode( '', array_column( $row, 0 ) );
	}

	/** Upserts $row (decoded) of $item with the next rows of its shape (see flush_upserts()). */
	public function queue_upsert( array $item, array $row, array &$report ) {
		$shape = $this->shape( $item['change']['table'], $row );
		if ( $shape !== $this->queued_shape || count( $this->queued ) >= pgsync_rows_per_upsert( count( $row ) ) ) {
			$this->flush_upserts( $report );
			$this->queued_shape = $shape;
		}
		$this->queued[] = array( $item, $row );
	}

	/**
	 * Writes the queued upserts: in one statement, or, when one of them breaks a unique key (SQLite
	 * then undoes the whole statement), one by one with pgsync_upsert_one().
	 */
	public function flush_upserts( array &$report ) {
		$queued             = $this->queued;
		$this->queued       = array();
		$this->queued_shape = null;
		if ( count( $queued ) > 1 && $this->upsert_together( $queued ) ) {
			foreach ( $queued as $entry ) {
				++$report['upserted'];
				$this->applied( $entry[0] );
			}
			return;
		}
		foreach ( $queued as $entry ) {
			pgsync_upsert_one( $this, $entry[0], $entry[1], $report );
		}
	}

	private function upsert_together( array $queued ) {
		$first = $queued[0][0];
		$sql   = $this->upsert_sql( $first['change']['table'], $first['info'], $queued[0][1], count( $queued ) );
		$stmt  = $this->prepared( $sql );
		$i     = 0;
		foreach ( $queued as $entry ) {
			foreach ( $entry[1] as $cell ) {
				$stmt->bindValue( ++$i, $cell[1], $cell[2] );
			}
		}
		try {
			$stmt->execute();
			return true;
		} catch ( PDOException $error ) {
			$stmt->closeCursor();
			$this->forget( $sql );
			return false;
		}
	}

	/** Lets go of every statement (before COMMIT or ROLLBACK). */
	public function close() {
		$this->stmts->exchangeArray( array() );
	}
}

/** $error, as an error that names the row it happened on. */
function pgsync_row_error( array $change, Throwable $error ) {
	if ( $error instanceof PGSync_Apply_Error ) {
		return $error;
	}
	$context = array(
		'table' => $change['table'],
		'key'   => $change['key'],
	);
	return new PGSync_Apply_Error( 'Row ' . pgsync_json( $change['key'] ) . " of {$change['table']} failed: " . $error->getMessage(), $context, $error );
}

/** @param array $item One entry of PGSync_Batch_Rows::key_all(). */
function pgsync_apply_row( PGSync_Batch_Rows $rows, array $item, array &$report ) {
	$change = $item['change'];
	$info   = $item['info'];
	if ( null === $info ) {
		++$report['localOnly'];
		return;
	}
	try {
		$table  = $change['table'];
		$winner = $rows->local_winner( $item );
		if ( null !== $winner ) {
			$report['conflicts'][] = array(
				'table' => $table,
				'key'   => $change['key'],
			) + $winner + array(
				'remoteHlc' => $rows->version_of( $item ),
				'kept'      => 'local',
				'local'     => pgsync_conflict_local( $rows, $table, $info, $item['key'] ),
			);
			return;
		}
		if ( 'delete' === $change['op'] ) {
			$rows->flush_upserts( $report );
			$existing = pgsync_read_row( $rows->pdo, $table, $info, pgsync_plain_key( $item['key'] ), $rows->stmts );
			if ( null !== $existing && $rows->is_local_only_row( $info, $existing['values'] ) ) {
				++$report['localOnly'];
				return;
			}
			pgsync_delete_row( $rows->pdo, $table, $item['key'], $rows->stmts );
			++$report['deleted'];
		} else {
			$row = pgsync_decode_row( $info, $change['row'], $rows );
			if ( $rows->is_local_only_row( $info, $row ) ) {
				++$report['localOnly'];
				return;
			}
			$rows->queue_upsert( $item, $row, $report );
			return;
		}
		$rows->applied( $item );
	} catch ( Throwable $error ) {
		throw pgsync_row_error( $change, $error );
	}
}

/** One decoded row of $item, on its own; reports a conflict when a newer local row holds one of its unique keys. */
function pgsync_upsert_one( PGSync_Batch_Rows $rows, array $item, array $row, array &$report ) {
	$change = $item['change'];
	try {
		$kept   = null;
		$winner = null;
		if ( ! pgsync_upsert_row( $rows, $change['table'], $item['info'], $row, $kept, $winner ) ) {
			// The row lost: it is dead from the winner's version on, on every member. Those that
			// had it before the winner came evict it too, but one that gets it only once the
			// winner is gone (or never sees the winner: a local change deleted before it was sent)
			// would keep it. So the loss travels too.
			if ( null !== $winner ) {
				pgsync_evict_row( $rows->pdo, $change['table'], $item['key'], $item['key_text'], pgsync_winner_is_pending( $winner ) ? null : $winner['localHlc'], $rows->stmts );
			}
			$report['conflicts'][] = array(
				'table'     => $change['table'],
				'key'       => $change['key'],
				'reason'    => 'unique key held by a newer local row',
				'remoteHlc' => $rows->version_of( $item ),
				'kept'      => 'local',
				'local'     => null === $kept ? null : pgsync_conflict_local( $rows, $change['table'], $item['info'], $kept ),
			);
			return;
		}
		++$report['upserted'];
		$rows->applied( $item );
	} catch ( Throwable $error ) {
		throw pgsync_row_error( $change, $error );
	}
}

/** Decoded key cells as the plain values pgsync_read_row() takes. */
function pgsync_plain_key( array $key ) {
	return array_map(
		function ( $cell ) {
			return $cell[1];
		},
		$key
	);
}

/**
 * The local row that won a conflict, for the report: its cells encoded as captured rows' are,
 * text cut short (pgsync_report_text()) and BLOBs null, so the report stays small whatever the
 * row holds. Null when the row is gone (a local delete won), or local-only (its values stay on
 * this site: the journal and its export included).
 *
 * @param array $key Decoded key cells.
 */
function pgsync_conflict_local( PGSync_Batch_Rows $rows, $table, array $info, array $key ) {
	$image = pgsync_read_row( $rows->pdo, $table, $info, pgsync_plain_key( $key ), $rows->stmts );
	if ( null === $image || $rows->is_local_only_row( $info, $image['values'] ) ) {
		return null;
	}
	$cells = array();
	foreach ( $image['cells'] as $column => $cell ) {
		if ( is_string( $cell ) || ( is_array( $cell ) && isset( $cell['$b64'] ) ) ) {
			$cell = pgsync_report_text( $image['values'][ $column ] );
		} elseif ( is_array( $cell ) && isset( $cell['$blob'] ) ) {
			$cell = null;
		}
		$cells[ $column ] = $cell;
	}
	return (object) $cells;
}

/**
 * A TEXT value as a report's cell: beyond 1,000 characters, its first 1,000 and "…" (bytes for
 * text that is not valid UTF-8, which has no characters to count).
 */
function pgsync_report_text( $text ) {
	// Characters never outnumber bytes: text of at most 1,000 bytes is never cut.
	if ( strlen( $text ) > 1000 ) {
		if ( ! pgsync_is_utf8( $text ) ) {
			$text = substr( $text, 0, 1000 ) . '…';
		} elseif ( preg_match( '~^.{1000}(?=.)~su', $text, $m ) ) {
			$text = $m[0] . '…';
		}
	}
	return pgsync_encode_cell( $text, 'text' );
}

/** Key cells in primary-key order as decoded cells; the key must name exactly the primary key. */
function pgsync_decode_key( array $info, $cells ) {
	if ( ! is_array( $cells ) || count( $cells ) !== count( $info['pk'] ) || 0 === count( $info['pk'] ) ) {
		throw new UnexpectedValueException( 'the key does not match the primary key (' . implode( ', ', $info['pk'] ) . ')' );
	}
	$key = array();
	foreach ( $info['pk'] as $column ) {
		if ( ! array_key_exists( $column, $cells ) ) {
			throw new UnexpectedValueException( "the key lacks primary-key column $column" );
		}
		$key[ $column ] = pgsync_decode_cell( $cells[ $column ] );
	}
	return $key;
}

/** The row's cells decoded, strings outside the primary key with URLs rewritten. */
function pgsync_decode_row( array $info, $cells, PGSync_Batch_Rows $rows ) {
	if ( ! is_array( $cells ) || 0 === count( $cells ) ) {
		throw new UnexpectedValueException( 'an upsert needs the row' );
	}
	// One look at the whole row: a string that mentions the URL makes the row mention it too
	// (key strings included: they are never rewritten, so looking at them costs nothing more).
	$mentions = $rows->may_mention_url( implode( "\n", array_filter( $cells, 'is_string' ) ) );
	// Text cells that are not valid UTF-8 ($b64) are not in that look: they always go through it.
	$rewrite  = array( $rows, 'rewrite' );
	$row      = array();
	foreach ( $cells as $column => $cell ) {
		// Key columns identify the row on both sites: never rewritten.
		$in_key = isset( $info['pk_set'][ $column ] );
		if ( is_string( $cell ) ) {
			$row[ $column ] = array( '?', $in_key || ! $mentions ? $cell : $rows->rewrite( $cell ), PDO::PARAM_STR );
		} elseif ( is_int( $cell ) ) {
			$row[ $column ] = array( '?', $cell, PDO::PARAM_INT );
		} else {
			$row[ $column ] = pgsync_decode_cell( $cell, $in_key ? null : $rewrite );
		}
	}
	return $row;
}

/**
 * Why the local row wins over a change stamped $hlc, or null: it has a local change not drained
 * yet (that drain will be stamped after this batch, so it wins on both sites), or its version
 * $local_hlc is newer.
 */
function pgsync_winner_reason( $pending, $local_hlc, $hlc ) {
	if ( $pending ) {
		return array( 'reason' => pgsync_pending_reason(), 'localHlc' => $local_hlc );
	}
	if ( null !== $local_hlc && strcmp( $local_hlc, $hlc ) > 0 ) {
		return array( 'reason' => 'local version is newer', 'localHlc' => $local_hlc );
	}
	return null;
}

function pgsync_pending_reason() {
	return 'local change not sent yet';
}

/** Whether the local row won (pgsync_winner_reason()) by a change not sent yet, whose version is still to come. */
function pgsync_winner_is_pending( array $winner ) {
	return pgsync_pending_reason() === $winner['reason'];
}

/** pgsync_winner_reason() for one row, read from the database. */
function pgsync_local_winner( PDO $pdo, $table, $key_text, $hlc, $cache = null ) {
	$stmt = pgsync_prepare_cached( $pdo, 'SELECT 1 FROM ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) . ' WHERE tbl = ? AND pk = ? AND op <> ? LIMIT 1', $cache );
	$stmt->execute( array( $table, $key_text, pgsync_eviction_op() ) );
	$pending = false !== $stmt->fetchColumn();
	$stmt->closeCursor();
	return pgsync_winner_reason( $pending, pgsync_row_version( $pdo, $table, $key_text, $cache ), $hlc );
}

/**
 * Of the rows $keys (list of array(table, key text)), those whose version is newer than $hlc:
 * "table\0key text" => version. One query, each key an index lookup; a key text that is not
 * valid UTF-8 cannot travel in JSON and is looked up on its own.
 */
function pgsync_newer_versions( PDO $pdo, array $keys, $hlc ) {
	$rowver = pgsync_quote_id( pgsync_engine_table( 'rowver' ) );
	$newer  = array();
	$listed = array();
	$single = null;
	foreach ( $keys as $key ) {
		if ( pgsync_is_utf8( $key[1] ) ) {
			$listed[] = $key;
			continue;
		}
		$single = $single ?: $pdo->prepare( "SELECT hlc FROM $rowver WHERE tbl = ? AND pk = ? AND hlc > ?" );
		$single->execute( array( $key[0], $key[1], $hlc ) );
		$local = $single->fetchColumn();
		$single->closeCursor();
		if ( false !== $local ) {
			$newer[ $key[0] . "\0" . $key[1] ] = $local;
		}
	}
	if ( count( $listed ) > 0 ) {
		// CROSS JOIN keeps the list as the outer loop: one primary-key probe of rowver per row.
		$stmt = $pdo->prepare(
			"SELECT r.tbl, r.pk, r.hlc FROM json_each(?) AS j CROSS JOIN $rowver AS r"
			. " ON r.tbl = json_extract(j.value, '$[0]') AND r.pk = json_extract(j.value, '$[1]') WHERE r.hlc > ?"
		);
		$stmt->execute( array( pgsync_json( $listed ), $hlc ) );
		foreach ( $stmt->fetchAll( PDO::FETCH_NUM ) as $row ) {
			$newer[ $row[0] . "\0" . $row[1] ] = $row[2];
		}
	}
	return $newer;
}

function pgsync_set_version( PDO $pdo, $table, $key_text, $hlc, $cache = null ) {
	pgsync_prepare_cached( $pdo, 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'rowver' ) ) . ' (tbl, pk, hlc) VALUES (?, ?, ?) ON CONFLICT(tbl, pk) DO UPDATE SET hlc = excluded.hlc', $cache )
		->execute( array( $table, $key_text, $hlc ) );
}

function pgsync_bind_all( PDOStatement $stmt, array $cells ) {
	$i = 0;
	foreach ( $cells as $cell ) {
		$stmt->bindValue( ++$i, $cell[1], $cell[2] );
	}
	$stmt->execute();
}

function pgsync_where_key( array $key ) {
	$where = array();
	foreach ( $key as $column => $cell ) {
		$where[] = pgsync_quote_id( $column ) . ' = ' . $cell[0];
	}
	return implode( ' AND ', $where );
}

function pgsync_delete_row( PDO $pdo, $table, array $key, $cache = null ) {
	pgsync_bind_all( pgsync_prepare_cached( $pdo, 'DELETE FROM ' . pgsync_quote_id( $table ) . ' WHERE ' . pgsync_where_key( $key ), $cache ), $key );
}

/**
 * INSERT … ON CONFLICT(pk) DO UPDATE (never REPLACE, which deletes first). When another unique
 * key is taken by a different local row (both sites created the same option, say), last writer
 * wins on that key too: the local row goes if its version is older, else the remote row is
 * skipped (returns false, with $kept set to the local row's key as decoded cells and $winner to
 * why it won; both null when the row holding the key was not found).
 */
function pgsync_upsert_row( PGSync_Batch_Rows $rows, $table, array $info, array $row, &$kept = null, &$winner = null ) {
	$sql = $rows->upsert_sql( $table, $info, $row );
	for ( $attempt = 0; ; ++$attempt ) {
		$stmt = null;
		try {
			$stmt = $rows->prepared( $sql );
			pgsync_bind_all( $stmt, $row );
			return true;
		} catch ( PDOException $error ) {
			// A constraint error aborts only this statement (SQLite's ABORT): what it and its
			// triggers did is undone, the transaction goes on. The failed step leaves the
			// statement unreset: reset it and prepare afresh next time.
			if ( null !== $stmt ) {
				$stmt->closeCursor();
				$rows->forget( $sql );
			}
			$unique = pgsync_unique_columns( $error, $table );
			if ( $attempt > 3 || null === $unique || array_diff( $unique, array_keys( $row ) ) ) {
				throw $error;
			}
			if ( ! pgsync_evict_unique_holder( $rows->pdo, $table, $info, $unique, $row, $rows->hlc, $rows->stmts, $kept, $winner ) ) {
				return false;
			}
		}
	}
}

function pgsync_upsert_sql( $table, array $info, array $row, $count = 1 ) {
	$q       = 'pgsync_quote_id';
	$columns = array_keys( $row );
	$update  = array();
	foreach ( $columns as $column ) {
		if ( ! in_array( $column, $info['pk'], true ) ) {
			$update[] = $q( $column ) . ' = excluded.' . $q( $column );
		}
	}
	$values = '(' . implode( ', ', array_column( $row, 0 ) ) . ')';
	return 'INSERT INTO ' . $q( $table ) . ' (' . implode( ', ', array_map( $q, $columns ) ) . ') VALUES '
		. implode( ', ', array_fill( 0, $count, $values ) ) . ' ON CONFLICT(' . implode( ', ', array_map( $q, $info['pk'] ) ) . ') DO '
		. ( count( $update ) > 0 ? 'UPDATE SET ' . implode( ', ', $update ) : 'NOTHING' );
}

/** Columns named by "UNIQUE constraint failed: t.a, t.b", or null for any other error. */
function pgsync_unique_columns( PDOException $error, $table ) {
	if ( ! preg_match( '~UNIQUE constraint failed: (.+)$~', $error->getMessage(), $m ) ) {
		return null;
	}
	$columns = array();
	foreach ( explode( ', ', $m[1] ) as $qualified ) {
		if ( 0 !== strpos( $qualified, $table . '.' ) ) {
			return null;
		}
		$columns[] = substr( $qualified, strlen( $table ) + 1 );
	}
	return $columns;
}

/**
 * Evicts the local row that holds $row's $unique key (pgsync_evict_row() at $hlc, the version
 * of the row that takes its place), unless that row wins: then returns false, with its key
 * (decoded cells) in $kept and why it won in $winner. False too when no row is found.
 */
function pgsync_evict_unique_holder( PDO $pdo, $table, array $info, array $unique, array $row, $hlc, $cache = null, &$kept = null, &$winner = null ) {
	$q      = 'pgsync_quote_id';
	$match  = array_intersect_key( $row, array_flip( $unique ) );
	$select = array();
	foreach ( $info['pk'] as $column ) {
		$select[] = pgsync_select_cell( $column );
	}
	$stmt = $pdo->prepare( 'SELECT ' . implode( ', ', $select ) . ' FROM ' . $q( $table ) . ' WHERE ' . pgsync_where_key( $match ) );
	pgsync_bind_all( $stmt, $match );
	$holder = $stmt->fetch( PDO::FETCH_NUM );
	$stmt->closeCursor();
	if ( false === $holder ) {
		return false;
	}
	$key = array();
	foreach ( $info['pk'] as $i => $column ) {
		$key[ $column ] = pgsync_decode_cell( pgsync_encode_cell( $holder[ 2 * $i ], $holder[ 2 * $i + 1 ] ) );
	}
	$key_text = pgsync_key_text( $pdo, $key, $cache );
	$winner   = pgsync_local_winner( $pdo, $table, $key_text, $hlc, $cache );
	if ( null !== $winner ) {
		$kept = $key;
		return false;
	}
	pgsync_evict_row( $pdo, $table, $key, $key_text, $hlc, $cache );
	return true;
}

/**
 * Deletes the row $key (decoded cells), if it is here, because a row versioned $hlc took one of
 * its unique keys. The other members may hold it too, with nothing to collide with when they
 * get it (its winner deleted meanwhile, say): the eviction travels as a delete versioned $hlc
 * (pgsync_eviction_op()), so it never beats a later change of that row made elsewhere. $hlc
 * null: the winner is a local change not sent yet, and the delete goes with it, as this site's.
 */
function pgsync_evict_row( PDO $pdo, $table, array $key, $key_text, $hlc, $cache = null ) {
	pgsync_delete_row( $pdo, $table, $key, $cache );
	if ( null !== $hlc ) {
		pgsync_set_version( $pdo, $table, $key_text, $hlc, $cache );
	}
	pgsync_prepare_cached( $pdo, 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) . ' (tbl, pk, op) VALUES (?, ?, ?)', $cache )
		->execute( array( $table, $key_text, null === $hlc ? 'D' : pgsync_eviction_op() ) );
}
