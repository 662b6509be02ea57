<?php
/**
 * Writes TEXT cells by rowid through the raw SQLite PDO, in one transaction. The list
 * ([{table, rowid, column, value}]) is read from the JSON file named by PG_HARNESS_INPUT.
 * Needs db-prelude.php.
 */
$pdo   = pg_harness_pdo();
$cells = json_decode( file_get_contents( getenv( 'PG_HARNESS_INPUT' ) ), true, 512, JSON_THROW_ON_ERROR );
$count = 0;
$pdo->beginTransaction();
try {
	foreach ( $cells as $cell ) {
		$stmt = $pdo->prepare( 'UPDATE ' . pg_harness_quote_id( $cell['table'] ) . ' SET ' . pg_harness_quote_id( $cell['column'] ) . ' = :value WHERE rowid = :rowid' );
		$stmt->execute(
			array(
				':value' => $cell['value'],
				':rowid' => $cell['rowid'],
			)
		);
		$count += $stmt->rowCount();
	}
	$pdo->commit();
} catch ( Throwable $error ) {
	$pdo->rollBack();
	throw $error;
}
pg_harness_respond( array( 'updated' => $count ) );
