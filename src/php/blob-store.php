<?php
/**
 * A site's store of immutable blobs named by their sha256 (blob-store.ts): one operation per run,
 * so a big file never crosses into JavaScript whole. Input through the environment:
 * PGSYNC_BLOB_DIR (absolute store directory), PGSYNC_BLOB_OP and PGSYNC_BLOB_ARGS (JSON object);
 * the list of paths to stat or the ranges to unpack come as the request body
 * (php://input). Names were validated by the caller and are checked again here.
 *
 * Answers through src/php/answer.php; `read` answers its bytes in base64. A refusal is an error
 * answer with the reason.
 */
$pgsync_blob_dir  = rtrim( (string) getenv( 'PGSYNC_BLOB_DIR' ), '/' );
$pgsync_blob_op   = (string) getenv( 'PGSYNC_BLOB_OP' );
$pgsync_blob_args = json_decode( (string) getenv( 'PGSYNC_BLOB_ARGS' ), true, 8 );
if ( ! is_array( $pgsync_blob_args ) ) {
	$pgsync_blob_args = array();
}
const PGSYNC_BLOB_STEP = 1048576;

/** A refusal: answered as an error with the reason (an exit or a fatal would make php-wasm rotate the runtime). */
function pgsync_blob_fail( string $reason ): void {
	throw new RuntimeException( $reason );
}

function pgsync_blob_name( array $args ): string {
	$name = isset( $args['sha256'] ) ? (string) $args['sha256'] : '';
	if ( ! preg_match( '/^[0-9a-f]{64}$/', $name ) ) {
		pgsync_blob_fail( 'not a sha256 name' );
	}
	return $name;
}

function pgsync_blob_ensure_dir( string $dir ): void {
	if ( ! is_dir( $dir ) && ! @mkdir( $dir, 0777, true ) && ! is_dir( $dir ) ) {
		pgsync_blob_fail( "cannot create $dir" );
	}
}

/**
 * Copies $from to $to a megabyte at a time (never the whole file in PHP memory either), feeding
 * what it writes to $hash, if given: the copy's sha256 without reading it again.
 */
function pgsync_blob_copy( string $from, string $to, ?HashContext $hash = null ): bool {
	$in = @fopen( $from, 'rb' );
	if ( false === $in ) {
		return false;
	}
	$out = @fopen( $to, 'wb' );
	if ( false === $out ) {
		fclose( $in );
		return false;
	}
	pgsync_blob_presize( $out, (int) @filesize( $from ) );
	$ok = true;
	while ( $ok && ! feof( $in ) ) {
		$piece = fread( $in, PGSYNC_BLOB_STEP );
		if ( false === $piece ) {
			$ok = false;
			break;
		}
		$ok = strlen( $piece ) === fwrite( $out, $piece );
		if ( $hash ) {
			hash_update( $hash, $piece );
		}
	}
	fclose( $in );
	return fclose( $out ) && $ok;
}

/**
 * Gives the open file its final size before it is written: Emscripten's in-memory file system
 * grows a file by an eighth each time a write passes its end, copying it whole every time, which
 * makes writing a big file a megabyte at a time many times slower than the bytes.
 */
function pgsync_blob_presize( $handle, int $size ): void {
	if ( $size > PGSYNC_BLOB_STEP ) {
		ftruncate( $handle, $size );
		rewind( $handle );
	}
}

function pgsync_blob_temp( string $dir ): string {
	pgsync_blob_ensure_dir( $dir . '/tmp' );
	return $dir . '/tmp/' . bin2hex( random_bytes( 8 ) );
}

/**
 * Writes one [offset, size, sha256, target] range of the open blob $in to its target: null when
 * it is there, else why not (the target is left as it was).
 */
function pgsync_blob_unpack_one( $in, string $dir, array $entry ): ?string {
	list( $offset, $size, $sha256, $target ) = array_pad( $entry, 4, null );
	if ( ! is_int( $offset ) || ! is_int( $size ) || $offset < 0 || $size < 0 || ! is_string( $sha256 ) || ! is_string( $target ) || '' === $target ) {
		return 'malformed entry';
	}
	if ( is_dir( $target ) ) {
		return 'a directory is in the way';
	}
	$parent = dirname( $target );
	if ( file_exists( $parent ) && ! is_dir( $parent ) ) {
		return 'its parent is a file, not a directory';
	}
	if ( ! is_dir( $parent ) && ! @mkdir( $parent, 0777, true ) && ! is_dir( $parent ) ) {
		return 'cannot create its folder';
	}
	$temp = pgsync_blob_temp( $dir );
	$out  = @fopen( $temp, 'wb' );
	if ( false === $out || 0 !== fseek( $in, $offset ) ) {
		return 'cannot write a copy';
	}
	pgsync_blob_presize( $out, $size );
	$hash = hash_init( 'sha256' );
	$left = $size;
	while ( $left > 0 ) {
		$piece = fread( $in, min( $left, PGSYNC_BLOB_STEP ) );
		if ( false === $piece || '' === $piece ) {
			break;
		}
		fwrite( $out, $piece );
		hash_update( $hash, $piece );
		$left -= strlen( $piece );
	}
	fclose( $out );
	$actual = hash_final( $hash );
	if ( $left > 0 || $actual !== $sha256 ) {
		@unlink( $temp );
		return $left > 0 ? 'the pack ends before its bytes' : "its bytes have sha256 $actual, not $sha256";
	}
	if ( ! @rename( $temp, $target ) ) {
		@unlink( $temp );
		return 'cannot move it into place';
	}
	return null;
}

/**
 * Appends the chunks written as files beside the part of $name (`<name>.pieces/<offset>`, by
 * the extension without running PHP) that continue it, in order, and removes them: answers the
 * part's size. A piece after a gap waits for the one before it.
 */
function pgsync_blob_absorb( string $incoming, string $name, ?HashContext $hash = null ): int {
	$part   = $incoming . '/' . $name . '.part';
	$pieces = $incoming . '/' . $name . '.pieces';
	clearstatcache();
	$have = is_file( $part ) ? filesize( $part ) : 0;
	// $hash, if given, is fed the whole part: what it held, then what is added.
	if ( $hash && $have > 0 ) {
		hash_update_file( $hash, $part );
	}
	if ( ! is_dir( $pieces ) ) {
		return $have;
	}
	$offsets = array();
	foreach ( (array) scandir( $pieces ) as $entry ) {
		if ( is_string( $entry ) && ctype_digit( $entry ) ) {
			$offsets[] = (int) $entry;
		}
	}
	sort( $offsets );
	// Where the part will end, so that it is sized once (see pgsync_blob_presize()).
	$end = $have;
	foreach ( $offsets as $offset ) {
		if ( $offset > $end ) {
			break;
		}
		$end = max( $end, $offset + (int) filesize( $pieces . '/' . $offset ) );
	}
	if ( $end === $have ) {
		return $have;
	}
	$out = fopen( $part, 'c+b' );
	if ( $end - $have > PGSYNC_BLOB_STEP ) {
		ftruncate( $out, $end );
	}
	fseek( $out, $have );
	foreach ( $offsets as $offset ) {
		if ( $offset > $have ) {
			break;
		}
		$bytes = (string) file_get_contents( $pieces . '/' . $offset );
		if ( $offset + strlen( $bytes ) > $have ) {
			$added = substr( $bytes, $have - $offset );
			fwrite( $out, $added );
			if ( $hash ) {
				hash_update( $hash, $added );
			}
			$have = $offset + strlen( $bytes );
		}
		unlink( $pieces . '/' . $offset );
	}
	fclose( $out );
	return $have;
}

/** Whether the files $a and $b hold the same bytes (compared a step at a time: cheaper than hashing one). */
function pgsync_blob_same_bytes( string $a, string $b ): bool {
	clearstatcache();
	if ( ! is_file( $b ) || @filesize( $a ) !== @filesize( $b ) ) {
		return false;
	}
	$in_a = @fopen( $a, 'rb' );
	$in_b = @fopen( $b, 'rb' );
	$same = false !== $in_a && false !== $in_b;
	while ( $same ) {
		$bytes_a = fread( $in_a, PGSYNC_BLOB_STEP );
		$bytes_b = fread( $in_b, PGSYNC_BLOB_STEP );
		$same    = false !== $bytes_a && $bytes_a === $bytes_b;
		if ( '' === $bytes_a ) {
			break;
		}
	}
	if ( false !== $in_a ) {
		fclose( $in_a );
	}
	if ( false !== $in_b ) {
		fclose( $in_b );
	}
	return $same;
}

/** Removes the files in $dir, then $dir itself. */
function pgsync_blob_remove_dir( string $dir ): void {
	foreach ( (array) @scandir( $dir ) as $entry ) {
		if ( is_string( $entry ) && is_file( $dir . '/' . $entry ) ) {
			unlink( $dir . '/' . $entry );
		}
	}
	@rmdir( $dir );
}

$pgsync_blob_incoming = $pgsync_blob_dir . '/incoming';
$pgsync_blob_cut      = $pgsync_blob_dir . '/cut';
try {
	switch ( $pgsync_blob_op ) {
		case 'stat':
			$pgsync_paths = json_decode( (string) file_get_contents( 'php://input' ), true );
			if ( ! is_array( $pgsync_paths ) ) {
				pgsync_blob_fail( 'the body is not a JSON list of paths' );
			}
			$pgsync_sizes = array();
			clearstatcache();
			foreach ( $pgsync_paths as $pgsync_entry ) {
				// A path, or [path, size] or [path, size, sha256]: hash the file too when it has that size (an
				// echo check), unless the store's blob of that sha256 holds the same bytes (a compare is cheaper).
				$pgsync_path      = is_array( $pgsync_entry ) ? (string) ( $pgsync_entry[0] ?? '' ) : (string) $pgsync_entry;
				$pgsync_hash_size = is_array( $pgsync_entry ) ? (int) ( $pgsync_entry[1] ?? -1 ) : -1;
				$pgsync_maybe     = is_array( $pgsync_entry ) ? (string) ( $pgsync_entry[2] ?? '' ) : '';
				// One stat per path (following links, as reading the file would).
				$pgsync_stat = @stat( $pgsync_path );
				if ( false === $pgsync_stat ) {
					$pgsync_sizes[] = 'absent';
				} elseif ( 0040000 === ( $pgsync_stat['mode'] & 0170000 ) ) {
					$pgsync_sizes[] = 'directory';
				} elseif ( $pgsync_stat['size'] === $pgsync_hash_size ) {
					$pgsync_same    = 1 === preg_match( '/^[0-9a-f]{64}$/', $pgsync_maybe ) && pgsync_blob_same_bytes( $pgsync_path, $pgsync_blob_dir . '/' . $pgsync_maybe );
					$pgsync_hash    = $pgsync_same ? $pgsync_maybe : @hash_file( 'sha256', $pgsync_path );
					$pgsync_sizes[] = false === $pgsync_hash ? $pgsync_stat['size'] : array( $pgsync_stat['size'], $pgsync_hash );
				} else {
					$pgsync_sizes[] = $pgsync_stat['size'];
				}
			}
			pgsync_answer( $pgsync_sizes );
			break;

		case 'stage':
			$pgsync_source = isset( $pgsync_blob_args['path'] ) ? (string) $pgsync_blob_args['path'] : '';
			if ( '' === $pgsync_source || ! is_file( $pgsync_source ) ) {
				pgsync_blob_fail( 'no file to stage' );
			}
			$pgsync_temp = pgsync_blob_temp( $pgsync_blob_dir );
			$pgsync_known = isset( $pgsync_blob_args['sha256'] ) ? pgsync_blob_name( $pgsync_blob_args ) : null;
			if ( ! empty( $pgsync_blob_args['move'] ) && @rename( $pgsync_source, $pgsync_temp ) ) {
				// A scratch file of the caller's: taken as it is (no second copy of a big file), hashed
				// where it lies, unless the engine's PHP that wrote it hashed it as it did.
				$pgsync_hash = $pgsync_known ?? hash_file( 'sha256', $pgsync_temp );
			} else {
				$pgsync_context = hash_init( 'sha256' );
				if ( ! pgsync_blob_copy( $pgsync_source, $pgsync_temp, $pgsync_context ) ) {
					@unlink( $pgsync_temp );
					pgsync_blob_fail( 'could not copy the file into the store' );
				}
				// The copy is what is served: the hash of what was copied, not of the source (which may change meanwhile).
				$pgsync_hash = hash_final( $pgsync_context );
				if ( ! empty( $pgsync_blob_args['move'] ) ) {
					@unlink( $pgsync_source );
				}
			}
			$pgsync_size = filesize( $pgsync_temp );
			if ( is_file( $pgsync_blob_dir . '/' . $pgsync_hash ) ) {
				unlink( $pgsync_temp );
			} else {
				rename( $pgsync_temp, $pgsync_blob_dir . '/' . $pgsync_hash );
			}
			pgsync_answer( array( 'sha256' => $pgsync_hash, 'size' => $pgsync_size ) );
			break;

		case 'read':
			$pgsync_file   = $pgsync_blob_dir . '/' . pgsync_blob_name( $pgsync_blob_args );
			$pgsync_offset = (int) ( $pgsync_blob_args['offset'] ?? -1 );
			$pgsync_length = (int) ( $pgsync_blob_args['length'] ?? -1 );
			if ( $pgsync_offset < 0 || $pgsync_length < 0 ) {
				pgsync_blob_fail( 'bad offset or length' );
			}
			$pgsync_in = @fopen( $pgsync_file, 'rb' );
			if ( false === $pgsync_in ) {
				pgsync_blob_fail( 'missing' );
			}
			fseek( $pgsync_in, $pgsync_offset );
			$pgsync_bytes = $pgsync_length > 0 ? (string) fread( $pgsync_in, $pgsync_length ) : '';
			fclose( $pgsync_in );
			pgsync_answer( base64_encode( $pgsync_bytes ) );
			break;

		case 'cut':
			// Chunks of a blob cut ahead into files of their own (`cut/<name>/<offset>`), which the
			// extension reads and removes without running PHP: answers the offsets cut.
			$pgsync_name   = pgsync_blob_name( $pgsync_blob_args );
			$pgsync_offset = (int) ( $pgsync_blob_args['offset'] ?? -1 );
			$pgsync_count  = (int) ( $pgsync_blob_args['count'] ?? 0 );
			$pgsync_length = (int) ( $pgsync_blob_args['length'] ?? 0 );
			if ( $pgsync_offset < 0 || $pgsync_count < 1 || $pgsync_length < 1 ) {
				pgsync_blob_fail( 'bad offset, count or length' );
			}
			$pgsync_in = @fopen( $pgsync_blob_dir . '/' . $pgsync_name, 'rb' );
			if ( false === $pgsync_in ) {
				pgsync_blob_fail( 'missing' );
			}
			pgsync_blob_ensure_dir( $pgsync_blob_cut . '/' . $pgsync_name );
			// Chunks cut by earlier runs, before `keepFrom`, were read: they go.
			$pgsync_keep_from = (int) ( $pgsync_blob_args['keepFrom'] ?? 0 );
			foreach ( (array) @scandir( $pgsync_blob_cut . '/' . $pgsync_name ) as $pgsync_entry ) {
				if ( is_string( $pgsync_entry ) && ctype_digit( $pgsync_entry ) && (int) $pgsync_entry < $pgsync_keep_from ) {
					@unlink( $pgsync_blob_cut . '/' . $pgsync_name . '/' . $pgsync_entry );
				}
			}
			fseek( $pgsync_in, $pgsync_offset );
			$pgsync_cut = array();
			for ( $pgsync_index = 0; $pgsync_index < $pgsync_count; $pgsync_index++ ) {
				$pgsync_bytes = (string) fread( $pgsync_in, $pgsync_length );
				if ( '' === $pgsync_bytes ) {
					break;
				}
				$pgsync_at = $pgsync_offset + $pgsync_index * $pgsync_length;
				file_put_contents( $pgsync_blob_cut . '/' . $pgsync_name . '/' . $pgsync_at, $pgsync_bytes );
				$pgsync_cut[] = $pgsync_at;
			}
			fclose( $pgsync_in );
			pgsync_answer( $pgsync_cut );
			break;

		case 'finish':
			$pgsync_name = pgsync_blob_name( $pgsync_blob_args );
			$pgsync_part = $pgsync_blob_incoming . '/' . $pgsync_name . '.part';
			// Hashed as its last chunks are joined: the bytes are gone through once.
			$pgsync_context = hash_init( 'sha256' );
			pgsync_blob_absorb( $pgsync_blob_incoming, $pgsync_name, $pgsync_context );
			pgsync_blob_remove_dir( $pgsync_blob_incoming . '/' . $pgsync_name . '.pieces' );
			if ( ! is_file( $pgsync_part ) ) {
				pgsync_blob_fail( 'no part to finish' );
			}
			$pgsync_hash = hash_final( $pgsync_context );
			if ( $pgsync_hash !== $pgsync_name ) {
				unlink( $pgsync_part );
				pgsync_answer( array( 'ok' => false, 'sha256' => $pgsync_hash ) );
				break;
			}
			rename( $pgsync_part, $pgsync_blob_dir . '/' . $pgsync_name );
			pgsync_answer( array( 'ok' => true ) );
			break;

		case 'has':
			pgsync_answer( is_file( $pgsync_blob_dir . '/' . pgsync_blob_name( $pgsync_blob_args ) ) );
			break;

		case 'part-size':
			pgsync_answer( pgsync_blob_absorb( $pgsync_blob_incoming, pgsync_blob_name( $pgsync_blob_args ) ) );
			break;

		case 'place':
			$pgsync_blob   = $pgsync_blob_dir . '/' . pgsync_blob_name( $pgsync_blob_args );
			$pgsync_target = isset( $pgsync_blob_args['target'] ) ? (string) $pgsync_blob_args['target'] : '';
			if ( ! is_file( $pgsync_blob ) ) {
				pgsync_blob_fail( 'missing' );
			}
			if ( '' === $pgsync_target || is_dir( $pgsync_target ) ) {
				pgsync_blob_fail( 'a directory is in the way' );
			}
			pgsync_blob_ensure_dir( dirname( $pgsync_target ) );
			// Copied aside first, then renamed in: no request ever sees the target half-written.
			$pgsync_temp = pgsync_blob_temp( $pgsync_blob_dir );
			if ( ! pgsync_blob_copy( $pgsync_blob, $pgsync_temp ) || ! rename( $pgsync_temp, $pgsync_target ) ) {
				@unlink( $pgsync_temp );
				pgsync_blob_fail( 'could not place the blob' );
			}
			pgsync_answer( true );
			break;

		case 'unpack':
			// Ranges of a blob (a pack of files one after another) written to their paths, each
			// checked against its sha256 and renamed into place whole; one answer per entry.
			$pgsync_blob    = $pgsync_blob_dir . '/' . pgsync_blob_name( $pgsync_blob_args );
			$pgsync_entries = json_decode( (string) file_get_contents( 'php://input' ), true );
			if ( ! is_array( $pgsync_entries ) ) {
				pgsync_blob_fail( 'the body is not a JSON list of entries' );
			}
			$pgsync_in = @fopen( $pgsync_blob, 'rb' );
			if ( false === $pgsync_in ) {
				pgsync_blob_fail( 'missing' );
			}
			$pgsync_results = array();
			foreach ( $pgsync_entries as $pgsync_entry ) {
				$pgsync_results[] = pgsync_blob_unpack_one( $pgsync_in, $pgsync_blob_dir, (array) $pgsync_entry );
			}
			fclose( $pgsync_in );
			pgsync_answer( $pgsync_results );
			break;

		case 'remove':
			$pgsync_name = pgsync_blob_name( $pgsync_blob_args );
			@unlink( $pgsync_blob_dir . '/' . $pgsync_name );
			@unlink( $pgsync_blob_incoming . '/' . $pgsync_name . '.part' );
			pgsync_blob_remove_dir( $pgsync_blob_incoming . '/' . $pgsync_name . '.pieces' );
			pgsync_blob_remove_dir( $pgsync_blob_cut . '/' . $pgsync_name );
			pgsync_answer( true );
			break;

		case 'clear':
			foreach ( array_merge( (array) glob( $pgsync_blob_incoming . '/*.pieces' ), (array) glob( $pgsync_blob_cut . '/*' ) ) as $pgsync_dir ) {
				if ( is_string( $pgsync_dir ) && is_dir( $pgsync_dir ) ) {
					pgsync_blob_remove_dir( $pgsync_dir );
				}
			}
			foreach ( array( $pgsync_blob_dir . '/tmp', $pgsync_blob_incoming, $pgsync_blob_dir ) as $pgsync_dir ) {
				foreach ( (array) @scandir( $pgsync_dir ) as $pgsync_name ) {
					if ( is_file( $pgsync_dir . '/' . $pgsync_name ) ) {
						unlink( $pgsync_dir . '/' . $pgsync_name );
					}
				}
			}
			pgsync_answer( true );
			break;

		default:
			pgsync_blob_fail( 'unknown operation' );
	}
} catch ( RuntimeException $pgsync_refusal ) {
	pgsync_answer_error( $pgsync_refusal->getMessage() );
} catch ( Throwable $pgsync_error ) {
	pgsync_answer_error( $pgsync_error );
}
