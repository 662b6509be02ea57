<?php
/**
 * What the harness checks after boot: versions, driver class, database path and journal mode.
 * Needs db-prelude.php.
 */
global $wpdb, $wp_version;
$pdo = pg_harness_pdo();
pg_harness_respond(
	array(
		'wordpressVersion' => $wp_version,
		'wpdbClass'        => get_class( $wpdb ),
		'driverClass'      => pg_harness_driver_class(),
		'databasePath'     => pg_harness_db_path(),
		'journalMode'      => (string) $pdo->query( 'PRAGMA journal_mode' )->fetchColumn(),
	)
);
