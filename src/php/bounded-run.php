<?php
/**
 * Playground Sync: put before every script the extension runs (src/platform/bounded-run.ts), so
 * that no message between the extension and PHP grows past one piece, whatever a script answers.
 *
 * - Inputs the extension wrote in pieces (PGSYNC_SPOOL_INPUTS: [{path, pieces}]) are joined into
 *   their file before the script starts.
 * - The script's whole output is held; when it is longer than PGSYNC_SPOOL_PIECE bytes it is
 *   written in pieces of that size under PGSYNC_SPOOL_DIR, and the answer is only a stub line
 *   that says how many there are (the extension reads them one by one and removes them).
 *   When the pieces cannot be written, the output is answered as it is: never lost.
 */
( function () {
	$pgsync_inputs = json_decode( (string) getenv( 'PGSYNC_SPOOL_INPUTS' ), true );
	foreach ( is_array( $pgsync_inputs ) ? $pgsync_inputs : array() as $pgsync_input ) {
		$pgsync_joined = fopen( $pgsync_input['path'], 'wb' );
		for ( $pgsync_index = 0; $pgsync_index < $pgsync_input['pieces']; $pgsync_index++ ) {
			$pgsync_piece = $pgsync_input['path'] . '.piece-' . $pgsync_index;
			fwrite( $pgsync_joined, (string) file_get_contents( $pgsync_piece ) );
			unlink( $pgsync_piece );
		}
		fclose( $pgsync_joined );
	}
	$pgsync_dir   = (string) getenv( 'PGSYNC_SPOOL_DIR' );
	$pgsync_limit = (int) getenv( 'PGSYNC_SPOOL_PIECE' );
	if ( '' === $pgsync_dir || $pgsync_limit <= 0 ) {
		return;
	}
	$pgsync_held = '';
	ob_start(
		function ( $buffer, $phase ) use ( &$pgsync_held, $pgsync_dir, $pgsync_limit ) {
			if ( $phase & PHP_OUTPUT_HANDLER_CLEAN ) {
				$pgsync_held = '';
				return '';
			}
			$pgsync_held .= $buffer;
			if ( ! ( $phase & PHP_OUTPUT_HANDLER_FINAL ) ) {
				return '';
			}
			$pgsync_output = $pgsync_held;
			$pgsync_held   = '';
			$pgsync_length = strlen( $pgsync_output );
			if ( $pgsync_length <= $pgsync_limit || ( ! is_dir( $pgsync_dir ) && ! @mkdir( $pgsync_dir, 0777, true ) ) ) {
				return $pgsync_output;
			}
			$pgsync_count = 0;
			for ( $pgsync_at = 0; $pgsync_at < $pgsync_length; $pgsync_at += $pgsync_limit ) {
				if ( false === @file_put_contents( $pgsync_dir . '/' . $pgsync_count, substr( $pgsync_output, $pgsync_at, $pgsync_limit ) ) ) {
					return $pgsync_output;
				}
				++$pgsync_count;
			}
			return '@@PGSYNC_SPOOLED@@' . json_encode( array( 'pieces' => $pgsync_count, 'bytes' => $pgsync_length ) ) . "\n";
		}
	);
} )();
?>
