<?php
/**
 * Playground Sync: replaces reclaimed high IDs with their low IDs inside stored values.
 *
 * Load it with require_once next to url-rewrite.php (whose serialized-value walker it uses; it
 * only defines functions) and call
 *
 *     playground_sync_renumber_value($value, $map)
 *
 * for every column value, where $map is high ID (int) => low ID (int). See docs/ids.md for why a
 * number equal to a high ID is taken for a reference to that row. The rules:
 * - an integer equal to a high ID becomes its low ID; floats, null and booleans pass through;
 * - in text, a high ID standing as a number (no letter or digit right before or after it: not
 *   inside a hash, base64 or a longer number) is replaced: plain text, block comments, classes
 *   (`wp-image-…`), shortcodes and URLs alike;
 * - PHP-serialized text is walked byte by byte: every string payload is rewritten by these rules
 *   (nested serialized or JSON values included) and its length written anew, and every integer
 *   (array keys too) mapped;
 * - a JSON object or array has each string literal decoded, rewritten and re-encoded in its own
 *   style, and the numbers between the literals replaced.
 * Works on PHP 7.4+.
 */

require_once __DIR__ . '/url-rewrite.php';

// A constant, not function_exists(): this file's functions are bound before its first line runs.
if ( defined( 'PLAYGROUND_SYNC_ID_REWRITE' ) ) {
	return;
}
define( 'PLAYGROUND_SYNC_ID_REWRITE', true );

/**
 * @param mixed $value A column value (string, int, float, null).
 * @param array $map   High ID => low ID, both int.
 * @return mixed The value with every high ID of $map replaced by its low ID.
 */
function playground_sync_renumber_value( $value, array $map ) {
	if ( is_int( $value ) ) {
		return isset( $map[ $value ] ) ? $map[ $value ] : $value;
	}
	if ( ! is_string( $value ) || '' === $value || 0 === count( $map ) ) {
		return $value;
	}
	return playground_sync_renumber_text( $value, playground_sync_renumber_plan( $map ), 0 );
}

/** The map with the number pattern that finds its keys, built once per map. */
function playground_sync_renumber_plan( array $map ) {
	static $last_map = null;
	static $last_plan = null;
	if ( $map === $last_map ) {
		return $last_plan;
	}
	$shortest = PHP_INT_MAX;
	$longest  = 0;
	foreach ( $map as $high => $low ) {
		$digits   = strlen( (string) $high );
		$shortest = min( $shortest, $digits );
		$longest  = max( $longest, $digits );
	}
	$last_map  = $map;
	$last_plan = array(
		'map'     => $map,
		// After a percent escape (`%3D` of an encoded `?p=`) the escape's hex digits are no letters of a word.
		'pattern' => '~(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))[0-9]{' . $shortest . ',' . $longest . '}(?![0-9A-Za-z])~',
	);
	return $last_plan;
}

function playground_sync_renumber_text( $text, array $plan, $layer ) {
	if ( $layer > playground_sync_max_layers() || ! preg_match( $plan['pattern'], $text ) ) {
		return $text;
	}
	$rewrite_inner = function ( $inner ) use ( $plan, $layer ) {
		return playground_sync_renumber_text( $inner, $plan, $layer + 1 );
	};
	if ( preg_match( '~^(?:[NbidsaOCErR][:;])~', $text ) ) {
		$map_int = function ( $digits ) use ( $plan ) {
			return playground_sync_renumber_number( $digits, $plan['map'] );
		};
		try {
			return playground_sync_serialized_map_strings( $text, $rewrite_inner, $special, $map_int );
		} catch ( DomainException $not_serialized ) {
			// Plain text that starts like serialized data.
		} catch ( OverflowException $too_deep ) {
			return $text;
		}
	}
	$numbers = function ( $part ) use ( $plan ) {
		return playground_sync_renumber_numbers( $part, $plan );
	};
	$json    = playground_sync_json_map_strings( $text, $rewrite_inner, $numbers );
	if ( null !== $json ) {
		return $json;
	}
	return playground_sync_renumber_numbers( $text, $plan );
}

/** Every high ID of the plan standing as a number in $text, replaced. */
function playground_sync_renumber_numbers( $text, array $plan ) {
	$map    = $plan['map'];
	$result = preg_replace_callback(
		$plan['pattern'],
		function ( $m ) use ( $map ) {
			return playground_sync_renumber_number( $m[0], $map );
		},
		$text
	);
	if ( null === $result ) {
		throw new RuntimeException( 'ID rewrite failed: ' . preg_last_error() );
	}
	return $result;
}

/** A number written in digits: its low ID's digits if it is a high ID of $map, else the same. */
function playground_sync_renumber_number( $digits, array $map ) {
	// A sign or a leading zero makes it another spelling, not the ID (and past PHP_INT_MAX it is no key).
	if ( '' === $digits || '0' === $digits[0] || (string) (int) $digits !== $digits ) {
		return $digits;
	}
	return isset( $map[ (int) $digits ] ) ? (string) $map[ (int) $digits ] : $digits;
}
