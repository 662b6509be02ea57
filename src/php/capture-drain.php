<?php
/**
 * Playground Sync: the drain. Turns the changelog into one batch (schema changes in order, then
 * the current image of every touched row, coalesced by table and key), stamps it with the site's
 * clock, a per-peer sequence number and a content id, and stores it in the outbox table, all in
 * one short write transaction that never calls into JavaScript. Only then, outside any
 * transaction, is the extension told that changes are ready (`post_message_to_js` yields to the
 * event loop, where another PHP instance of the site may write the same database file: holding a
 * transaction across it corrupts the file). The extension reads the outbox itself (the `pull`
 * engine task) and has a batch removed only once the paired site acknowledged it, so a batch is
 * durable from its capture on and its number is never given out twice.
 * Needs capture-common.php, capture-triggers.php, local-only.php.
 */

if ( function_exists( 'pgsync_capture_batch' ) ) {
	return;
}

/** The `type` of the message that says batches wait in the outbox (CHANGES_READY_TYPE in src/db/change-feed.ts). */
function pgsync_changes_ready_type() {
	return 'pg-sync/changes-ready';
}

/** What the extension answers to it (CHANGES_NOTED_REPLY in src/db/change-feed.ts). */
function pgsync_changes_noted_reply() {
	return 'pg-sync/noted';
}

/**
 * Where a drain leaves word when nobody answered its message (older Playground builds listen only
 * on the primary PHP instance): one JSON line per undelivered signal. The extension checks for it
 * without running PHP and pulls. Shared by every PHP instance of the site (/internal/shared).
 */
function pgsync_signal_path() {
	return pgsync_dir() . '/changes-waiting.ndjson';
}

/**
 * Moves the changelog into new outbox batches, in one write transaction that holds no call
 * into JavaScript. Returns the last batch's seq, or null when there was nothing to send or a
 * transaction is open on this connection (its work is not final: a request dying inside it sends
 * nothing). A failure rolls everything back (the changes wait in the changelog) and is rethrown
 * as it was.
 */
function pgsync_capture_batch( PDO $pdo, array $config ) {
	if ( ! pgsync_drain_needed( $pdo ) ) {
		return null;
	}
	global $wpdb;
	// Schema work nobody recorded (a request run while the engine's files were gone, or as they
	// came back; DDL that bypassed $wpdb): read before the transaction, logged once triggers are back.
	$missed = pgsync_schema_unrecorded( $pdo ) ? pgsync_missed_schema( $pdo, is_object( $wpdb ) ? $wpdb : null, $config['tablePrefix'], pgsync_local_only_rules() ) : null;
	$pdo->exec( 'BEGIN IMMEDIATE' );
	try {
		pgsync_ensure_triggers( $pdo, $config['tablePrefix'], pgsync_local_only_rules() );
		if ( null !== $missed ) {
			pgsync_log_missed_schema( $pdo, $missed, $config['tablePrefix'], pgsync_local_only_rules() );
		}
		$changelog = pgsync_quote_id( pgsync_engine_table( 'changelog' ) );
		$entries   = $pdo->query( "SELECT seq, tbl, pk, ddl, op FROM $changelog ORDER BY seq" )->fetchAll( PDO::FETCH_NUM );
		$seq       = null;
		if ( count( $entries ) > 0 ) {
			pgsync_capture_renumbered( $pdo, $entries );
			$seq  = pgsync_store_batches( $pdo, $config, $entries );
			$last = end( $entries );
			$pdo->prepare( "DELETE FROM $changelog WHERE seq <= ?" )->execute( array( (int) $last[0] ) );
		}
		$pdo->exec( 'COMMIT' );
		return $seq;
	} catch ( Throwable $error ) {
		pgsync_rollback_quietly( $pdo );
		throw $error;
	}
}

/**
 * Gives the changed rows the low IDs of high IDs this site renumbered before they are read
 * (renumber.php: pgsync_renumber_changed_rows()). Nothing is loaded on a site that renumbered nothing.
 */
function pgsync_capture_renumbered( PDO $pdo, array $entries ) {
	if ( ! pgsync_table_exists( $pdo, pgsync_engine_table( 'renumbered' ) ) ) {
		return;
	}
	require_once pgsync_dir() . '/id-rewrite.php';
	require_once pgsync_dir() . '/renumber.php';
	pgsync_renumber_changed_rows( $pdo, $entries );
}

/** Rolls back whatever is open; a failed COMMIT may already have ended the transaction. */
function pgsync_rollback_quietly( PDO $pdo ) {
	try {
		$pdo->exec( 'ROLLBACK' );
	} catch ( Throwable $nothing_open ) {
		// The error that brought us here is the one worth reporting.
	}
}

/**
 * Tells the extension that batches wait (or that capturing failed, with the cause). Never call
 * with a transaction open: this yields to JavaScript.
 */
function pgsync_signal_changes( array $config, $error = null ) {
	$message = array(
		'type' => pgsync_changes_ready_type(),
		'peer' => $config['peerId'],
	);
	if ( null !== $error ) {
		$message['error'] = substr( $error, 0, 2000 );
	}
	$json  = pgsync_json( $message );
	$reply = function_exists( 'post_message_to_js' ) ? post_message_to_js( $json ) : null;
	if ( pgsync_changes_noted_reply() !== $reply ) {
		file_put_contents( pgsync_signal_path(), $json . "\n", FILE_APPEND );
	}
}

/**
 * The `pull` task: forgets the rows the extension refused ($discard: seqs of rows that were not the
 * drain's, so a batch number a forged row took is free again), captures what the changelog holds
 * (unless !$capture), forgets the batches the paired site acknowledged (seq <= $release), and
 * answers the outbox's rows after $after in order, as raw JSON:
 * {"entries": [{"seq": n, "id": "…", "batch": {…}} or {"seq": n, "invalid": "why"}, ...],
 * "more": bool, "errors": [...]}. Any PHP on the site can write the outbox: a row whose batch is
 * not a JSON object or whose id is not text is answered as invalid, so the answer stays valid
 * JSON; the extension checks every batch itself. `errors` are the causes of failed drains left in
 * the signal file.
 */
function pgsync_pull( PDO $pdo, array $config, $after, $release, $max_bytes, $capture = true, array $discard = array() ) {
	$errors = array();
	$signal = pgsync_signal_path();
	if ( is_file( $signal ) ) {
		// Taken first: a signal written after this point is a new one.
		$lines = (string) file_get_contents( $signal );
		unlink( $signal );
		foreach ( explode( "\n", $lines ) as $line ) {
			$message = json_decode( $line, true );
			if ( is_array( $message ) && isset( $message['error'] ) && is_string( $message['error'] ) && count( $errors ) < 99 ) {
				$errors[] = substr( $message['error'], 0, 2000 );
			}
		}
	}
	$outbox = pgsync_quote_id( pgsync_engine_table( 'outbox' ) );
	if ( count( $discard ) > 0 ) {
		// Before capturing: the drain may need the number a refused row took.
		$delete = $pdo->prepare( "DELETE FROM $outbox WHERE seq = ?" );
		foreach ( $discard as $seq ) {
			$delete->execute( array( (int) $seq ) );
		}
	}
	try {
		if ( $capture ) {
			pgsync_capture_batch( $pdo, $config );
		}
	} catch ( Throwable $error ) {
		$errors[] = substr( get_class( $error ) . ': ' . $error->getMessage(), 0, 2000 );
	}
	if ( $release > 0 ) {
		$pdo->prepare( "DELETE FROM $outbox WHERE seq <= ?" )->execute( array( (int) $release ) );
	}
	// A number JSON cannot carry exactly was never the drain's: such a row is left alone.
	$stmt = $pdo->prepare( "SELECT seq, id, batch FROM $outbox WHERE seq > ? AND seq <= 9007199254740991 ORDER BY seq" );
	$stmt->execute( array( (int) $after ) );
	$entries = array();
	$bytes   = 0;
	$more    = false;
	while ( false !== ( $row = $stmt->fetch( PDO::FETCH_NUM ) ) ) {
		$seq   = (int) $row[0];
		$id    = (string) $row[1];
		$batch = (string) $row[2];
		if ( count( $entries ) > 0 && $bytes + strlen( $batch ) > $max_bytes ) {
			$more = true;
			break;
		}
		$bytes += strlen( $batch );
		if ( ! pgsync_is_utf8( $id ) ) {
			$entries[] = pgsync_json( array( 'seq' => $seq, 'invalid' => 'id: not UTF-8 text' ) );
		} elseif ( ! pgsync_is_json_object( $batch ) ) {
			$entries[] = pgsync_json( array( 'seq' => $seq, 'invalid' => 'batch: not a JSON object' ) );
		} else {
			$entries[] = '{"seq":' . $seq . ',"id":' . pgsync_json( $id ) . ',"batch":' . $batch . '}';
		}
	}
	$stmt->closeCursor();
	return new PGSync_Raw_Json( '{"entries":[' . implode( ',', $entries ) . '],"more":' . ( $more ? 'true' : 'false' ) . ',"errors":' . pgsync_json( $errors ) . '}' );
}

/** Whether $text is one JSON object (checked without building it where PHP can). */
function pgsync_is_json_object( $text ) {
	if ( '{' !== substr( $text, 0, 1 ) ) {
		return false;
	}
	return function_exists( 'json_validate' ) ? json_validate( $text ) : null !== json_decode( $text );
}

/**
 * Whether there is anything to do, read without taking the write lock (most requests change
 * nothing). False while a transaction is open on this connection: BEGIN fails inside one.
 */
function pgsync_drain_needed( PDO $pdo ) {
	try {
		$pdo->exec( 'BEGIN' );
	} catch ( PDOException $in_transaction ) {
		return false;
	}
	try {
		$pending = $pdo->query( 'SELECT 1 FROM ' . pgsync_quote_id( pgsync_engine_table( 'changelog' ) ) . ' LIMIT 1' );
		$needed  = false !== $pending->fetchColumn();
		$pending->closeCursor();
		// Tables created or rebuilt by code the DDL watcher never saw need their triggers.
		$needed = $needed || pgsync_meta_get( $pdo, 'schema_fingerprint' ) !== pgsync_schema_fingerprint( $pdo );
	} finally {
		$pdo->exec( 'COMMIT' );
	}
	return $needed;
}

/**
 * How much one outbox batch holds at most: a request that wrote more (an import of thousands of
 * posts) leaves as several batches in order, so the drain's memory stays within PHP's limit
 * (Playground's is 256 MB) and each batch stays small on the link. A single row larger than
 * the byte bound still goes whole, alone in its batch.
 */
function pgsync_batch_max_rows() {
	return 10000;
}

function pgsync_batch_max_bytes() {
	return 2097152;
}

/** How many keys' images are read per query (bounds the memory one read holds). */
function pgsync_batch_read_keys() {
	return 250;
}

/**
 * Turns changelog entries into outbox batches (in the caller's transaction): schema changes in
 * order in the first, then the current image of every touched row, coalesced by table and key,
 * in order of each key's last change, at most pgsync_batch_max_rows() rows and about
 * pgsync_batch_max_bytes() of JSON per batch. Each batch gets its own clock time, sequence number
 * and row versions. Returns the last batch's seq, or null when there was nothing to send.
 */
function pgsync_store_batches( PDO $pdo, array $config, array $entries ) {
	$rules   = pgsync_local_only_rules();
	$ddl     = array();
	$keys    = array();
	$evicted = array(); // By key: whether every entry of it is an eviction (see pgsync_evicted_delete()).
	foreach ( $entries as $entry ) {
		list( , $table, $pk, $statement, $op ) = $entry;
		if ( null !== $statement ) {
			$ddl[] = array(
				'table' => $table,
				'sql'   => $statement,
			);
		} else {
			$id = $table . "\0" . $pk;
			$evicted[ $id ] = ( $evicted[ $id ] ?? true ) && pgsync_eviction_op() === $op;
			// Re-inserting moves a key to its latest position: rows go in order of their last change.
			unset( $keys[ $id ] );
			$keys[ $id ] = array( $table, $pk );
		}
	}
	$tables  = array();
	$fitting = array(); // Keys that fit their table: array(table, key text, key values).
	foreach ( $keys as list( $table, $pk ) ) {
		if ( ! array_key_exists( $table, $tables ) ) {
			$tables[ $table ] = pgsync_table_exists( $pdo, $table ) ? pgsync_drain_table( $pdo, $table, $config['tablePrefix'], $rules ) : null;
		}
		$info   = $tables[ $table ];
		$values = json_decode( $pk, true );
		// A dropped table's rows go with its DROP; a key that no longer fits the table cannot be read.
		if ( null === $info || ! is_array( $values ) || count( $values ) !== count( $info['pk'] ) ) {
			continue;
		}
		$fitting[] = array( $table, $pk, $values );
	}
	unset( $keys );
	$batch = new PGSync_Batch_Builder( $pdo, $config, $ddl );
	foreach ( array_chunk( $fitting, pgsync_batch_read_keys() ) as $chunk ) {
		$wanted = array(); // table => list of key texts, read per table in one query.
		foreach ( $chunk as list( $table, $pk ) ) {
			$wanted[ $table ][] = $pk;
		}
		$images = array();
		foreach ( $wanted as $table => $pks ) {
			$images[ $table ] = pgsync_read_rows( $pdo, $table, $tables[ $table ], $pks );
		}
		foreach ( $chunk as list( $table, $pk, $values ) ) {
			$info  = $tables[ $table ];
			$image = $images[ $table ][ $pk ] ?? null;
			if ( null !== $image && pgsync_drain_is_local_only_row( $info, $image ) ) {
				continue;
			}
			$cells = array();
			foreach ( $info['pk'] as $i => $column ) {
				$value            = is_int( $values[ $i ] ) || is_string( $values[ $i ] ) || null === $values[ $i ] ? $values[ $i ] : null;
				$cells[ $column ] = pgsync_key_cell( $value );
			}
			if ( $evicted[ $table . "\0" . $pk ] ) {
				$change = pgsync_evicted_delete( $pdo, $table, $pk, $cells, $image );
				if ( null !== $change ) {
					$batch->add( $table, $pk, pgsync_json( $change ), false );
				}
				continue;
			}
			$change = array(
				'table' => $table,
				'key'   => $cells,
				'op'    => null === $image ? 'delete' : 'upsert',
			);
			if ( null !== $image ) {
				$change['row'] = $image['cells'];
			}
			$batch->add( $table, $pk, pgsync_json( $change ) );
		}
	}
	return $batch->finish();
}

/**
 * The delete a row evicted over a unique key travels as (see pgsync_evict_unique_holder()):
 * versioned as the row that won, not as this drain, so that a later change of the evicted row
 * made elsewhere still wins over it on every member. Null when the row is back (a newer version of
 * it came since, from a member that sends it on its own).
 */
function pgsync_evicted_delete( PDO $pdo, $table, $pk, array $cells, $image ) {
	$version = pgsync_row_version( $pdo, $table, $pk );
	if ( null !== $image || null === $version ) {
		return null;
	}
	return array(
		'table' => $table,
		'key'   => $cells,
		'op'    => 'delete',
		'hlc'   => $version,
	);
}

/**
 * Stores one outbox batch under the next seq, stamped with a new tick of the site's clock:
 * $fields (ddl, or the numberer's renumber) and $rows (JSON texts, spliced in, not decoded and
 * encoded again). Inside the caller's transaction. Returns array(seq, hlc).
 */
function pgsync_store_outbox_batch( PDO $pdo, array $config, array $fields, array $rows ) {
	$hlc = pgsync_clock_advance( $pdo, $config['peerId'] );
	$seq = 1 + (int) pgsync_meta_get( $pdo, 'last_batch_seq' );
	pgsync_meta_set( $pdo, 'last_batch_seq', $seq );
	$head = pgsync_json(
		array(
			'v'       => 1,
			'peer'    => $config['peerId'],
			'seq'     => $seq,
			'hlc'     => $hlc,
			'siteUrl' => $config['siteUrl'],
		) + $fields
	);
	$json = substr( $head, 0, -1 ) . ',"rows":[' . implode( ',', $rows ) . ']}';
	$pdo->prepare( 'INSERT INTO ' . pgsync_quote_id( pgsync_engine_table( 'outbox' ) ) . ' (seq, id, batch) VALUES (?, ?, ?)' )
		->execute( array( $seq, sha1( $json ), $json ) );
	return array( $seq, $hlc );
}

/**
 * The numberer's renumberings as a batch of their own in the outbox (inside the pass's
 * transaction, see renumber-pass.php): durable like any change of the site, sent in order with
 * them, and again after a reload until every member acknowledged it (docs/ids.md).
 */
function pgsync_store_renumber_batch( PDO $pdo, array $config, array $mappings ) {
	return pgsync_store_outbox_batch( $pdo, $config, array( 'ddl' => array(), 'renumber' => $mappings ), array() )[0];
}

/** Collects row changes (as JSON) into outbox batches of bounded size; see pgsync_store_batches(). */
final class PGSync_Batch_Builder {
	private $pdo;
	private $config;
	private $ddl;
	private $rows     = array();
	private $versions = array();
	private $bytes    = 0;
	private $last_seq = null;

	public function __construct( PDO $pdo, array $config, array $ddl ) {
		$this->pdo    = $pdo;
		$this->config = $config;
		$this->ddl    = $ddl;
	}

	/** $versioned: whether the row takes the batch's version (not when the change carries its own). */
	public function add( $table, $pk, $json, $versioned = true ) {
		if ( count( $this->rows ) > 0 && ( count( $this->rows ) >= pgsync_batch_max_rows() || $this->bytes + strlen( $json ) > pgsync_batch_max_bytes() ) ) {
			$this->store();
		}
		$this->rows[] = $json;
		if ( $versioned ) {
			$this->versions[] = array( $table, $pk );
		}
		$this->bytes     += strlen( $json );
	}

	/** Stores what is left; returns the last batch's seq, or null when none was stored. */
	public function finish() {
		if ( count( $this->rows ) > 0 || count( $this->ddl ) > 0 ) {
			$this->store();
		}
		return $this->last_seq;
	}

	private function store() {
		$pdo = $this->pdo;
		list( $seq, $hlc ) = pgsync_store_outbox_batch( $pdo, $this->config, array( 'ddl' => $this->ddl ), $this->rows );
		pgsync_store_versions( $pdo, $this->versions, $hlc, 'max(hlc, excluded.hlc)' );
		$this->last_seq = $seq;
		$this->ddl      = array();
		$this->rows     = array();
		$this->versions = array();
		$this->bytes    = 0;
	}
}

/** The table's columns and primary key, and how the local-only list treats its rows. */
function pgsync_drain_table( PDO $pdo, $table, $table_prefix, array $rules ) {
	return pgsync_table_info( $pdo, $table ) + array( 'class' => playground_sync_local_only_table( $table, $table_prefix, $rules ) );
}

/** What playground_sync_is_local_only_row() says of a row (an image) of a table from pgsync_drain_table(). */
function pgsync_drain_is_local_only_row( array $info, array $image ) {
	$class = $info['class'];
	if ( 'filtered' !== $class['sync'] ) {
		return 'never' === $class['sync'];
	}
	$column = $class['rule']['column'];
	if ( null !== $image['values'] ) {
		return array_key_exists( $column, $image['values'] ) && playground_sync_local_only_key( $class['rule'], $image['values'][ $column ] );
	}
	$value = property_exists( $image['cells'], $column ) ? $image['cells']->{$column} : null;
	// As a row read in full has it: every value a string.
	return playground_sync_local_only_key( $class['rule'], is_int( $value ) ? (string) $value : $value );
}

function pgsync_key_cell( $value ) {
	return is_int( $value ) ? pgsync_encode_cell( $value, 'integer' ) : pgsync_encode_cell( $value, null === $value ? 'null' : 'text' );
}

/**
 * SELECT list of every column's value, then every column's storage class (see
 * pgsync_select_cell()); columns qualified with $alias when given.
 */
function pgsync_image_select( array $info, $alias = '' ) {
	$select = array();
	$types  = array();
	foreach ( $info['columns'] as $column ) {
		$c        = pgsync_column( $column, $alias );
		$select[] = "CASE typeof($c) WHEN 'real' THEN printf('%!.17g', $c) ELSE $c END";
		$types[]  = "typeof($c)";
	}
	return implode( ', ', array_merge( $select, $types ) );
}

/**
 * A row fetched with pgsync_image_select() (from column $offset on) as its image: cells
 * (encoded) and plain values (for the local-only check).
 */
function pgsync_image( array $info, array $row, $offset = 0 ) {
	$count  = count( $info['columns'] );
	$values = array_combine( $info['columns'], array_slice( $row, $offset, $count ) );
	// UTF-8 is checked byte by byte and an ASCII separator ends any sequence: the row is valid
	// UTF-8 as a whole exactly when each of its values is.
	$utf8  = 1 === preg_match( '//u', implode( "\n", $values ) );
	$cells = array();
	$i     = $offset + $count;
	foreach ( $values as $column => $value ) {
		$type = $row[ $i++ ];
		// The common cells inline; pgsync_encode_cell() decides the rest.
		if ( 'text' === $type && $utf8 ) {
			$cells[ $column ] = $value;
		} elseif ( 'integer' === $type && strlen( $value ) < 16 ) {
			$cells[ $column ] = (int) $value;
		} else {
			$cells[ $column ] = pgsync_encode_cell( $value, $type );
		}
	}
	return array(
		'cells'  => (object) $cells,
		'values' => $values,
	);
}

/**
 * The current images of the rows of $table whose keys are $pks (key texts as the capture
 * triggers write them): key text => image; rows that are gone are absent. Rows whose cells JSON
 * holds as they are (text, safe integers, NULL: nearly all) come as JSON built by SQLite, with
 * 'values' null; the rest (REAL, BLOB, big integers, text that is not valid UTF-8) through
 * pgsync_image().
 */
function pgsync_read_rows( PDO $pdo, $table, array $info, array $pks ) {
	$images = array();
	$others = $pks;
	// json_object() takes two arguments per column; SQLite's oldest limit is 127 arguments.
	if ( count( $info['columns'] ) <= 60 ) {
		$plain = array();
		$pairs = array();
		foreach ( $info['columns'] as $column ) {
			$c       = pgsync_column( $column, 't' );
			$plain[] = "(typeof($c) IN ('text', 'null') OR (typeof($c) = 'integer' AND $c BETWEEN -9007199254740991 AND 9007199254740991))";
			$pairs[] = playground_sync_sql_string( $column ) . ", $c";
		}
		$select = 'CASE WHEN ' . implode( ' AND ', $plain ) . ' THEN json_object(' . implode( ', ', $pairs ) . ') END';
		$others = array();
		foreach ( pgsync_select_by_keys( $pdo, $table, $info, $select, $pks ) as $row ) {
			// SQLite copies text into JSON unchecked: json_decode() refuses what is not valid UTF-8.
			$cells = null === $row[1] ? null : json_decode( $row[1], false );
			if ( $cells instanceof stdClass ) {
				$images[ $pks[ (int) $row[0] ] ] = array(
					'cells'  => $cells,
					'values' => null,
				);
			} else {
				$others[] = $pks[ (int) $row[0] ];
			}
		}
	}
	if ( count( $others ) > 0 ) {
		foreach ( pgsync_select_by_keys( $pdo, $table, $info, pgsync_image_select( $info, 't' ), $others ) as $row ) {
			$images[ $others[ (int) $row[0] ] ] = pgsync_image( $info, $row, 1 );
		}
	}
	return $images;
}

/** The rows of $table (alias t) whose keys are $pks: the key's index in $pks, then $select. */
function pgsync_select_by_keys( PDO $pdo, $table, array $info, $select, array $pks ) {
	$match = array();
	foreach ( $info['pk'] as $i => $column ) {
		// json_extract gives each key value back with the storage class the trigger saw.
		$match[] = pgsync_column( $column, 't' ) . " = json_extract(j.value, '$[$i]')";
	}
	// CROSS JOIN keeps the key list as the outer loop: one primary-key probe per row.
	$stmt = $pdo->prepare(
		"SELECT j.key, $select FROM json_each(?) AS j CROSS JOIN " . pgsync_quote_id( $table ) . ' AS t ON ' . implode( ' AND ', $match )
	);
	$stmt->execute( array( '[' . implode( ',', $pks ) . ']' ) );
	return $stmt->fetchAll( PDO::FETCH_NUM );
}

/**
 * The row's current image (see pgsync_image()), or null. $cache: optional ArrayObject of
 * statements to reuse (see pgsync_prepare_cached()); with it, the SQL is built once per table
 * and key shape too.
 */
function pgsync_read_row( PDO $pdo, $table, array $info, array $key, $cache = null ) {
	$shape = $table;
	foreach ( $key as $value ) {
		$shape .= is_int( $value ) ? "\0i" : "\0s";
	}
	$sql = $cache instanceof ArrayObject && isset( $cache[ "read-sql\0" . $shape ] ) ? $cache[ "read-sql\0" . $shape ] : null;
	if ( null === $sql ) {
		$where = array();
		foreach ( $key as $column => $value ) {
			$where[] = pgsync_quote_id( $column ) . ' = ' . ( is_int( $value ) ? 'CAST(? AS INTEGER)' : '?' );
		}
		$sql = 'SELECT ' . pgsync_image_select( $info ) . ' FROM ' . pgsync_quote_id( $table ) . ' WHERE ' . implode( ' AND ', $where );
		if ( $cache instanceof ArrayObject ) {
			$cache[ "read-sql\0" . $shape ] = $sql;
		}
	}
	$stmt = pgsync_prepare_cached( $pdo, $sql, $cache );
	$stmt->execute( array_values( $key ) );
	$row = $stmt->fetch( PDO::FETCH_NUM );
	$stmt->closeCursor();
	return false === $row ? null : pgsync_image( $info, $row );
}

/**
 * Shutdown of a request that loaded WordPress: finalize pending DDL, capture into the outbox,
 * then (no transaction open) tell the extension.
 */
function pgsync_drain_at_shutdown() {
	if ( pgsync_is_applying() ) {
		return;
	}
	$config = pgsync_config();
	if ( ! $config ) {
		return;
	}
	try {
		pgsync_finalize_pending_ddl();
		$pdo = pgsync_wpdb_pdo();
		if ( ! $pdo || null === pgsync_capture_batch( $pdo, $config ) ) {
			return;
		}
		$error = null;
	} catch ( Throwable $caught ) {
		$error = 'Capturing this request’s changes failed: ' . get_class( $caught ) . ': ' . $caught->getMessage();
		error_log( 'Playground Sync: ' . $error );
	}
	pgsync_signal_changes( $config, $error );
}
