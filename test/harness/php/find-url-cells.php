<?php
/**
 * Finds every TEXT cell of the user tables that contains one of the needles (JSON list in
 * PG_HARNESS_NEEDLES). Cells are addressed by rowid. Needs db-prelude.php.
 */
$pdo     = pg_harness_pdo();
$needles = json_decode( getenv( 'PG_HARNESS_NEEDLES' ), true, 512, JSON_THROW_ON_ERROR );
$cells   = array();
foreach ( pg_harness_user_tables( $pdo ) as $table ) {
	$create = (string) $pdo->query( 'SELECT sql FROM sqlite_master WHERE type = \'table\' AND name = ' . $pdo->quote( $table ) )->fetchColumn();
	$has_rowid = ! preg_match( '/\bWITHOUT\s+ROWID\b/i', $create );
	foreach ( $pdo->query( 'PRAGMA table_info(' . pg_harness_quote_id( $table ) . ')' )->fetchAll( PDO::FETCH_ASSOC ) as $column ) {
		$quoted = pg_harness_quote_id( $column['name'] );
		$where  = array();
		foreach ( $needles as $needle ) {
			$where[] = "instr($quoted, " . $pdo->quote( $needle ) . ') > 0';
		}
		$key  = $has_rowid ? 'rowid' : 'NULL';
		$stmt = $pdo->query( "SELECT $key, $quoted, typeof($quoted) FROM " . pg_harness_quote_id( $table ) . ' WHERE ' . implode( ' OR ', $where ) );
		while ( false !== ( $row = $stmt->fetch( PDO::FETCH_NUM ) ) ) {
			if ( ! $has_rowid ) {
				throw new RuntimeException( "Table $table has no rowid; cannot address the cell that holds a site URL." );
			}
			$cells[] = array(
				'table'  => $table,
				'rowid'  => (int) $row[0],
				'column' => $column['name'],
				'value'  => pg_harness_cell( $row[1], $row[2] ),
			);
		}
	}
}
pg_harness_respond( $cells );
