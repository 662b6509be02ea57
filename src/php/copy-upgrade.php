<?php
/**
 * Playground Sync, full-state copy: the copy's database was written by an older WordPress than
 * this site's (members may run different versions), so this site's WordPress upgrades it, as
 * wp-admin/upgrade.php would once someone clicked "Update WordPress Database". `db_version` is
 * local-only (each site keeps the one of its own WordPress), so the copy kept this site's: it is
 * set back to the copy's first, which is where the upgrade starts from. Capture is installed: what
 * the upgrade changes reaches the other members as any change does.
 *
 * Input (PGSYNC_COPY_INPUT, a JSON file): {docroot, fromDbVersion}. Loads WordPress as upgrade.php
 * does (WP_INSTALLING: no plugins). Answers {from, to} through src/php/answer.php.
 */
define( 'WP_INSTALLING', true );

try {
	$pgsync_input = json_decode( (string) file_get_contents( (string) getenv( 'PGSYNC_COPY_INPUT' ) ), true, 4, JSON_THROW_ON_ERROR );
	require_once rtrim( (string) $pgsync_input['docroot'], '/' ) . '/wp-load.php';
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$pgsync_from = (int) $pgsync_input['fromDbVersion'];
	update_option( 'db_version', $pgsync_from );
	wp_cache_flush();
	wp_upgrade();
	pgsync_answer(
		array(
			'from' => $pgsync_from,
			'to'   => (int) get_option( 'db_version' ),
		)
	);
} catch ( Throwable $error ) {
	pgsync_answer_error( $error );
}
