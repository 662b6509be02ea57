<?php
/**
 * Lists the synced tree with each file's size and sha256, in one run (cheaper than one client
 * call per file). Input through the environment: PG_SYNC_ROOT (absolute) and PG_SYNC_EXCLUSIONS
 * (JSON list of {kind, path}); excluded directories are not even entered. Symlinks are skipped
 * (the journal does not report them either). Answers (src/php/answer.php) {"files": [[path, size,
 * sha256], ...], "directories": [path, ...], "unreadable": [path, ...]}, paths relative to the root.
 */
$pg_sync_root  = rtrim( (string) getenv( 'PG_SYNC_ROOT' ), '/' );
$pg_sync_rules = json_decode( (string) getenv( 'PG_SYNC_EXCLUSIONS' ), true, 8, JSON_THROW_ON_ERROR );

function pg_sync_is_excluded( string $path, array $rules ): bool {
	foreach ( $rules as $rule ) {
		$rule_path = $rule['path'];
		switch ( $rule['kind'] ) {
			case 'directory':
				if ( $path === $rule_path || 0 === strpos( $path, $rule_path . '/' ) ) {
					return true;
				}
				break;
			case 'file':
				if ( $path === $rule_path ) {
					return true;
				}
				break;
			case 'file-prefix':
				if ( 0 === strpos( $path, $rule_path ) && false === strpos( substr( $path, strlen( $rule_path ) ), '/' ) ) {
					return true;
				}
				break;
		}
	}
	return false;
}

$pg_sync_files       = array();
$pg_sync_directories = array();
$pg_sync_unreadable  = array();
$pg_sync_pending     = array( '' );
while ( $pg_sync_pending ) {
	$pg_sync_relative = array_pop( $pg_sync_pending );
	$pg_sync_absolute = '' === $pg_sync_relative ? $pg_sync_root : $pg_sync_root . '/' . $pg_sync_relative;
	$pg_sync_names    = @scandir( $pg_sync_absolute );
	if ( false === $pg_sync_names ) {
		$pg_sync_unreadable[] = $pg_sync_relative;
		continue;
	}
	foreach ( $pg_sync_names as $pg_sync_name ) {
		if ( '.' === $pg_sync_name || '..' === $pg_sync_name ) {
			continue;
		}
		$pg_sync_path = '' === $pg_sync_relative ? $pg_sync_name : $pg_sync_relative . '/' . $pg_sync_name;
		$pg_sync_full = $pg_sync_root . '/' . $pg_sync_path;
		if ( is_link( $pg_sync_full ) || pg_sync_is_excluded( $pg_sync_path, $pg_sync_rules ) ) {
			continue;
		}
		if ( is_dir( $pg_sync_full ) ) {
			$pg_sync_directories[] = $pg_sync_path;
			$pg_sync_pending[]     = $pg_sync_path;
		} else {
			$pg_sync_hash = @hash_file( 'sha256', $pg_sync_full );
			if ( false === $pg_sync_hash ) {
				$pg_sync_unreadable[] = $pg_sync_path;
				continue;
			}
			$pg_sync_files[] = array( $pg_sync_path, filesize( $pg_sync_full ), $pg_sync_hash );
		}
	}
}
pgsync_answer(
	array(
		'files'       => $pg_sync_files,
		'directories' => $pg_sync_directories,
		'unreadable'  => $pg_sync_unreadable,
	),
	JSON_INVALID_UTF8_SUBSTITUTE
);
