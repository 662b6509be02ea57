<?php
/**
 * What a site holds, for the question "which one to keep?" when two sites are paired: counts,
 * active plugins and theme (shown in the popup), and a digest of every row that would sync: all
 * user tables (schema and rows) minus local-only rows, with the site's own URL replaced by one
 * placeholder, so two fresh sites on different scopes compare equal. Rows a site makes by merely
 * being looked at are left out too (see pgsync_summary_volatile). The file tree's part of the
 * digest is added by src/site/content-summary.ts.
 *
 * Env: PG_SYNC_DOCROOT, PG_SYNC_SITE_URL (as the engine sends it), PG_SYNC_LIBRARY (a directory
 * holding local-only.php, local-only-rules.php, url-rewrite.php, capture-common.php).
 *
 * WordPress loads with SHORTINIT: no plugin or theme code runs, so nothing else can print an
 * answer; whatever prints after ours (shutdown functions) is swallowed (src/php/answer.php).
 */
define( 'SHORTINIT', true );

/** What stands in for the site's URL in the digest (the same on every site). */
function pgsync_summary_placeholder_url() {
	return 'https://playground-sync.invalid/site';
}

/**
 * SQL over alias `t`, true for rows WordPress makes when a page is merely viewed: the Dashboard's
 * Quick Draft auto-draft post (and meta of auto-drafts), and per-user screen settings.
 */
function pgsync_summary_volatile( $table, $table_prefix ) {
	$quoted = preg_quote( $table_prefix, '~' );
	if ( preg_match( "~^{$quoted}(?:[1-9][0-9]*_)?posts$~D", $table ) ) {
		return "t.post_status IS 'auto-draft'";
	}
	if ( preg_match( "~^({$quoted}(?:[1-9][0-9]*_)?)postmeta$~D", $table, $m ) ) {
		return 't.post_id IN (SELECT ID FROM ' . pgsync_quote_id( $m[1] . 'posts' ) . " WHERE post_status = 'auto-draft')";
	}
	if ( $table === $table_prefix . 'usermeta' ) {
		$tests = array();
		foreach ( array( 'user-settings', 'user-settings-time', 'dashboard_quick_press_last_post_id' ) as $suffix ) {
			$tests[] = 'substr(t.meta_key, -' . strlen( $suffix ) . ") = '$suffix'";
		}
		return '(' . implode( ' OR ', $tests ) . ')';
	}
	return '0';
}

/** One cell as the digest sees it: encoded as the engine sends it, the site URL replaced. */
function pgsync_summary_cell( $value, $type, $site_url ) {
	$cell = pgsync_encode_cell( $value, $type );
	return is_string( $cell ) ? playground_sync_rewrite_value( $cell, $site_url, pgsync_summary_placeholder_url() ) : $cell;
}

/** Digest and row count of every table that syncs: its columns, then its synced rows in key order. */
function pgsync_summary_rows( PDO $pdo, $table_prefix, array $rules, $site_url ) {
	$digest = hash_init( 'sha256' );
	$count  = 0;
	foreach ( pgsync_user_tables( $pdo ) as $table ) {
		if ( 'never' === playground_sync_local_only_table( $table, $table_prefix, $rules )['sync'] ) {
			continue;
		}
		$columns = $pdo->query( 'PRAGMA table_info(' . pgsync_quote_id( $table ) . ')' )->fetchAll( PDO::FETCH_ASSOC );
		$info    = pgsync_table_info( $pdo, $table );
		$order   = count( $info['pk'] ) > 0 ? $info['pk'] : $info['columns'];
		$sql     = 'SELECT ' . implode( ', ', array_map( 'pgsync_select_cell', $info['columns'] ) )
			. ' FROM ' . pgsync_quote_id( $table ) . ' AS t'
			. ' WHERE NOT ' . playground_sync_local_only_predicate( $table, $table_prefix, 't', $rules )
			. ' AND NOT (' . pgsync_summary_volatile( $table, $table_prefix ) . ')'
			. ' ORDER BY ' . implode( ', ', array_map( 'pgsync_quote_id', $order ) );
		hash_update( $digest, pgsync_json( array( 'table', $table, $columns ) ) . "\n" );
		$rows = $pdo->query( $sql );
		while ( false !== ( $row = $rows->fetch( PDO::FETCH_NUM ) ) ) {
			$cells = array();
			for ( $i = 0; $i < count( $row ); $i += 2 ) {
				$cells[] = pgsync_summary_cell( $row[ $i ], $row[ $i + 1 ], $site_url );
			}
			hash_update( $digest, pgsync_json( $cells ) . "\n" );
			++$count;
		}
	}
	return array( hash_final( $digest ), $count );
}

try {
	$pgsync_library = rtrim( (string) getenv( 'PG_SYNC_LIBRARY' ), '/' );
	require_once $pgsync_library . '/local-only.php';
	require_once $pgsync_library . '/url-rewrite.php';
	require_once $pgsync_library . '/capture-common.php';
	require_once rtrim( (string) getenv( 'PG_SYNC_DOCROOT' ), '/' ) . '/wp-load.php';
	global $wpdb, $table_prefix;
	$pgsync_pdo = pgsync_wpdb_pdo();
	if ( ! $pgsync_pdo ) {
		throw new RuntimeException( 'No SQLite database behind $wpdb' );
	}
	list( $pgsync_rows_digest, $pgsync_rows ) = pgsync_summary_rows(
		$pgsync_pdo,
		$table_prefix,
		require $pgsync_library . '/local-only-rules.php',
		rtrim( (string) getenv( 'PG_SYNC_SITE_URL' ), '/' )
	);

	$pgsync_counts = array( 'post' => 0, 'page' => 0, 'attachment' => 0 );
	$pgsync_types  = $wpdb->get_results(
		"SELECT post_type, COUNT(*) AS n FROM {$wpdb->posts} WHERE post_status NOT IN ('auto-draft', 'trash') AND post_type IN ('post', 'page', 'attachment') GROUP BY post_type",
		ARRAY_A
	);
	foreach ( $pgsync_types as $pgsync_type ) {
		$pgsync_counts[ $pgsync_type['post_type'] ] = (int) $pgsync_type['n'];
	}
	/**
	 * The theme's name as its style.css header gives it ("Twenty Twenty-Four"), shown in the
	 * popup where a slug would break mid-word in a narrow column; the slug when there is no header.
	 */
	function pgsync_theme_name( $stylesheet ) {
		$style = WP_CONTENT_DIR . '/themes/' . $stylesheet . '/style.css';
		$name  = is_readable( $style ) ? get_file_data( $style, array( 'name' => 'Theme Name' ) )['name'] : '';
		return '' !== $name ? $name : $stylesheet;
	}

	$pgsync_plugins = array_values( array_map( 'strval', (array) get_option( 'active_plugins', array() ) ) );
	sort( $pgsync_plugins );
	pgsync_answer(
		array(
			'posts'      => $pgsync_counts['post'],
			'pages'      => $pgsync_counts['page'],
			'media'      => $pgsync_counts['attachment'],
			'comments'   => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->comments}" ),
			'users'      => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->users}" ),
			'plugins'    => $pgsync_plugins,
			'theme'      => pgsync_theme_name( (string) get_option( 'stylesheet' ) ),
			'rows'       => $pgsync_rows,
			'rowsDigest' => $pgsync_rows_digest,
			'dbPath'     => defined( 'DB_PATH' ) ? DB_PATH : ( defined( 'FQDB' ) ? FQDB : null ),
		),
		JSON_INVALID_UTF8_SUBSTITUTE
	);
} catch ( Throwable $error ) {
	pgsync_answer_error( $error );
}
