<?php
/**
 * Playground Sync, full-state copy: concatenates the files a copy ships into one file, so
 * the extension reads them with a single readFileAsBuffer instead of one call per file. Each
 * file is hashed as it is read: the answer says what was really packed (a file may have changed
 * or gone since the manifest was built).
 *
 * Input (PGSYNC_COPY_INPUT, a JSON file): {"root": "/wordpress", "paths": [...], "out": path}.
 * Answers (src/php/answer.php) {"packed": [[path, size, sha256], ...], "gone": [...], "sha256": the pack's}.
 */
try {
	$pgsync_input = json_decode( (string) file_get_contents( (string) getenv( 'PGSYNC_COPY_INPUT' ) ), true, 16, JSON_THROW_ON_ERROR );
	$pgsync_root  = rtrim( (string) $pgsync_input['root'], '/' );
	$pgsync_out   = fopen( (string) $pgsync_input['out'], 'wb' );
	if ( false === $pgsync_out ) {
		throw new RuntimeException( 'Cannot write ' . $pgsync_input['out'] );
	}
	// Sized once up front: Emscripten's in-memory file system copies a growing file whole each
	// time a write passes its end (by an eighth), which makes a big pack slow to build.
	$pgsync_expected = 0;
	foreach ( $pgsync_input['paths'] as $pgsync_path ) {
		$pgsync_expected += (int) @filesize( $pgsync_root . '/' . $pgsync_path );
	}
	ftruncate( $pgsync_out, $pgsync_expected );
	rewind( $pgsync_out );
	$pgsync_written = 0;
	$pgsync_whole   = hash_init( 'sha256' );
	$pgsync_packed  = array();
	$pgsync_gone    = array();
	foreach ( $pgsync_input['paths'] as $pgsync_path ) {
		$pgsync_bytes = is_file( $pgsync_root . '/' . $pgsync_path ) ? @file_get_contents( $pgsync_root . '/' . $pgsync_path ) : false;
		if ( false === $pgsync_bytes ) {
			$pgsync_gone[] = $pgsync_path;
			continue;
		}
		if ( strlen( $pgsync_bytes ) !== fwrite( $pgsync_out, $pgsync_bytes ) ) {
			throw new RuntimeException( 'Short write while packing ' . $pgsync_path );
		}
		$pgsync_written += strlen( $pgsync_bytes );
		hash_update( $pgsync_whole, $pgsync_bytes );
		$pgsync_packed[] = array( $pgsync_path, strlen( $pgsync_bytes ), hash( 'sha256', $pgsync_bytes ) );
	}
	// Files that shrank or went since they were sized leave no bytes behind.
	ftruncate( $pgsync_out, $pgsync_written );
	fclose( $pgsync_out );
	pgsync_answer(
		array(
			'packed' => $pgsync_packed,
			'gone'   => $pgsync_gone,
			'sha256' => hash_final( $pgsync_whole ),
		),
		JSON_INVALID_UTF8_SUBSTITUTE
	);
} catch ( Throwable $error ) {
	pgsync_answer_error( $error );
}
