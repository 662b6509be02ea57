<?php
/**
 * Dumps the site's state for convergence tests: every user table's schema and rows (ordered by
 * primary key, or by all columns when there is none) read through the driver's raw SQLite PDO,
 * and the sha256 of every file under the document root except the database directory.
 * Needs db-prelude.php.
 */
$pdo    = pg_harness_pdo();
$tables = array();
$schema = array();
foreach ( pg_harness_user_tables( $pdo ) as $table ) {
	$info    = $pdo->query( 'PRAGMA table_info(' . pg_harness_quote_id( $table ) . ')' )->fetchAll( PDO::FETCH_ASSOC );
	$columns = array();
	$pk      = array();
	foreach ( $info as $column ) {
		$columns[] = array(
			'name'    => $column['name'],
			'type'    => $column['type'],
			'notNull' => (int) $column['notnull'] === 1,
			'default' => null === $column['dflt_value'] ? null : (string) $column['dflt_value'],
			'pk'      => (int) $column['pk'],
		);
		if ( (int) $column['pk'] > 0 ) {
			$pk[ (int) $column['pk'] ] = $column['name'];
		}
	}
	ksort( $pk );
	$pk             = array_values( $pk );
	$names          = array_column( $columns, 'name' );
	$schema[ $table ] = array(
		'columns'    => $columns,
		'primaryKey' => $pk,
	);
	$select = array();
	foreach ( $names as $name ) {
		$select[] = pg_harness_quote_id( $name ) . ', typeof(' . pg_harness_quote_id( $name ) . ')';
	}
	$order = array_map( 'pg_harness_quote_id', $pk ? $pk : $names );
	$stmt  = $pdo->query( 'SELECT ' . implode( ', ', $select ) . ' FROM ' . pg_harness_quote_id( $table ) . ' ORDER BY ' . implode( ', ', $order ) );
	$rows  = array();
	while ( false !== ( $row = $stmt->fetch( PDO::FETCH_NUM ) ) ) {
		$out = new stdClass();
		foreach ( $names as $i => $name ) {
			$out->{$name} = pg_harness_cell( $row[ 2 * $i ], $row[ 2 * $i + 1 ] );
		}
		$rows[] = $out;
	}
	$tables[ $table ] = $rows;
}

$root     = rtrim( getenv( 'PG_HARNESS_DOCROOT' ), '/' );
$db_path  = pg_harness_db_path();
$excluded = array_unique( array( rtrim( WP_CONTENT_DIR, '/' ) . '/database', dirname( $db_path ) ) );
$files    = array();
$iterator = new RecursiveIteratorIterator(
	new RecursiveCallbackFilterIterator(
		new RecursiveDirectoryIterator( $root, FilesystemIterator::SKIP_DOTS ),
		static function ( SplFileInfo $entry ) use ( $excluded ) {
			return ! in_array( $entry->getPathname(), $excluded, true );
		}
	)
);
foreach ( $iterator as $entry ) {
	if ( ! $entry->isFile() ) {
		continue;
	}
	$relative = substr( $entry->getPathname(), strlen( $root ) + 1 );
	if ( ! pg_harness_is_utf8( $relative ) ) {
		$relative = '$b64:' . base64_encode( $relative );
	}
	$files[ $relative ] = hash_file( 'sha256', $entry->getPathname() );
}
ksort( $files, SORT_STRING );

pg_harness_respond(
	array(
		'tables'          => (object) $tables,
		'schema'          => (object) $schema,
		'files'           => (object) $files,
		'databasePath'    => $db_path,
		'excludedFromFiles' => array_values( $excluded ),
	)
);
