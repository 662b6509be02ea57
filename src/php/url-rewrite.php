<?php
/**
 * Playground Sync: replaces the sender's site URL with the receiver's inside stored values.
 *
 * Runs on the receiver, before a row is applied. Load it with require_once (it only defines
 * functions; it reads no input of its own) and call
 *
 *     playground_sync_rewrite_value($value, $from_site_url, $to_site_url)
 *
 * for every column value. Non-strings pass through. A string is handled by what it is:
 * - PHP-serialized: strings rewritten inside, lengths recomputed. Without objects, enums or
 *   references it is unserialized (allowed_classes => false), rewritten in keys and values and
 *   re-serialized; otherwise (an object cannot survive allowed_classes => false) a byte-exact
 *   parser walks the serialized text, rewrites every `s:N:"…";` by its declared length and
 *   recomputes N, so serialized values nested in strings are handled level by level.
 * - JSON (`{…}` / `[…]`): every string literal is decoded, rewritten the same way and
 *   re-encoded in its original style; the rest is kept byte for byte.
 * - Anything else, including bytes that are not UTF-8: every occurrence of the site URL in its
 *   plain, JSON-escaped (`https:\/\/…`) and URL-encoded (`https%3A%2F%2F…`, either hex case)
 *   spellings, with or without scheme (`//host/…`), plus root-relative paths (`/scope:a/…`).
 *
 * A match must end where the site URL ends: `scope:a` never matches inside `scope:ab` or
 * `scope:a.b`, so other Playground sites and genuine `https://playground.wordpress.net/` links
 * are left alone. Works on PHP 7.4+ (Playground still offers 7.4).
 */

if ( function_exists( 'playground_sync_rewrite_value' ) ) {
	return;
}

/**
 * @param mixed  $value A column value (string, int, float, null).
 * @param string $from  The sender's site URL (a trailing slash is ignored).
 * @param string $to    The receiver's site URL.
 * @return mixed The value with every reference to $from pointing at $to.
 */
function playground_sync_rewrite_value( $value, $from, $to ) {
	if ( ! is_string( $value ) || '' === $value ) {
		return $value;
	}
	$plan = playground_sync_url_plan( $from, $to );
	if ( null === $plan ) {
		return $value;
	}
	return playground_sync_rewrite_string( $value, $plan, 0 );
}

/** How deep serialized/JSON values may nest inside each other's strings before we stop looking. */
function playground_sync_max_layers() {
	return 32;
}

function playground_sync_rewrite_string( $text, array $plan, $layer ) {
	if ( ! playground_sync_mentions_url( $text, $plan ) || $layer > playground_sync_max_layers() ) {
		return $text;
	}
	$serialized = playground_sync_rewrite_serialized( $text, $plan, $layer );
	if ( null !== $serialized ) {
		return $serialized;
	}
	$json = playground_sync_rewrite_json( $text, $plan, $layer );
	if ( null !== $json ) {
		return $json;
	}
	return playground_sync_replace_plain( $text, $plan );
}

// ---------------------------------------------------------------------------------------------
// The plan: what to look for and what to put instead, built once per (from, to).

function playground_sync_url_plan( $from, $to ) {
	static $plans = array();
	$key = $from . "\n" . $to;
	if ( array_key_exists( $key, $plans ) ) {
		return $plans[ $key ];
	}
	$source = playground_sync_url_parts( $from );
	$target = playground_sync_url_parts( $to );
	if ( $source === $target ) {
		return $plans[ $key ] = null;
	}

	$from_site = '//' . $source['authority'] . $source['path'];
	$to_site   = '//' . $target['authority'] . $target['path'];
	// The spellings: plain, JSON-escaped, URL-encoded. Each list is [search, replace, scheme separator].
	$forms = array(
		'plain' => array( preg_quote( $from_site, '~' ), $to_site, ':' ),
		'json'  => array( preg_quote( playground_sync_json_slashes( $from_site ), '~' ), playground_sync_json_slashes( $to_site ), ':' ),
		'enc'   => array( playground_sync_percent_pattern( rawurlencode( $from_site ) ), rawurlencode( $to_site ), '(?i:%3A)' ),
	);
	$ends = '(?![A-Za-z0-9_\-]|\.[A-Za-z0-9_\-])';
	// A root-relative path starts a path: not preceded by anything a host, port or path is made of.
	$starts = '(?<![A-Za-z0-9._\~\-\]/%:@\\\\])';

	$alternatives = array();
	$replace      = array();
	foreach ( $forms as $name => $form ) {
		$alternatives[]      = "(?<{$name}_site>(?:(?<{$name}_scheme>(?i:https?))(?<{$name}_sep>{$form[2]}))?{$form[0]}){$ends}";
		$replace[ $name ]    = $form[1];
	}
	$rooted = '' !== $source['path'] && '' !== $target['path'];
	if ( $rooted ) {
		$paths = array(
			'plain' => array( preg_quote( $source['path'], '~' ), $target['path'] ),
			'json'  => array( preg_quote( playground_sync_json_slashes( $source['path'] ), '~' ), playground_sync_json_slashes( $target['path'] ) ),
			'enc'   => array( playground_sync_percent_pattern( rawurlencode( $source['path'] ) ), rawurlencode( $target['path'] ) ),
		);
		foreach ( $paths as $name => $path ) {
			$alternatives[]           = "{$starts}(?<{$name}_path>{$path[0]}){$ends}";
			$replace[ $name . '_path' ] = $path[1];
		}
	}

	// Cheap test before any parsing: every spelling contains the last piece of the URL, plain or encoded.
	$tail = '' !== $source['path'] ? substr( $source['path'], strrpos( $source['path'], '/' ) + 1 ) : $source['authority'];

	return $plans[ $key ] = array(
		'pattern'     => '~' . implode( '|', $alternatives ) . '~',
		'replace'     => $replace,
		'from_scheme' => $source['scheme'],
		'to_scheme'   => $target['scheme'],
		'probes'      => array_values( array_unique( array( $tail, rawurlencode( $tail ) ) ) ),
	);
}

function playground_sync_url_parts( $url ) {
	if ( ! is_string( $url ) || ! preg_match( '~^(https?)://([^/?#\s\\\\]+)((?:/[^?#\s\\\\]*)?)$~i', rtrim( $url, '/' ), $m ) ) {
		throw new InvalidArgumentException( 'Not a site URL: ' . var_export( $url, true ) );
	}
	return array(
		'scheme'    => strtolower( $m[1] ),
		'authority' => $m[2],
		'path'      => rtrim( $m[3], '/' ),
	);
}

function playground_sync_json_slashes( $text ) {
	return str_replace( '/', '\\/', $text );
}

/** A regex for a percent-encoded string that accepts either case of the hex digits. */
function playground_sync_percent_pattern( $encoded ) {
	return preg_replace( '~%[0-9A-F]{2}~', '(?i:$0)', preg_quote( $encoded, '~' ) );
}

function playground_sync_mentions_url( $text, array $plan ) {
	foreach ( $plan['probes'] as $probe ) {
		if ( false !== stripos( $text, $probe ) ) {
			return true;
		}
	}
	return false;
}

// ---------------------------------------------------------------------------------------------
// Plain text (any bytes: no /u, so invalid UTF-8 is matched byte by byte, never rejected).

function playground_sync_replace_plain( $text, array $plan ) {
	$result = preg_replace_callback(
		$plan['pattern'],
		function ( $m ) use ( $plan ) {
			foreach ( array( 'plain', 'json', 'enc' ) as $name ) {
				if ( isset( $m[ $name . '_site' ] ) ) {
					$scheme = $m[ $name . '_scheme' ];
					if ( null === $scheme ) {
						return $plan['replace'][ $name ];
					}
					if ( strtolower( $scheme ) === $plan['from_scheme'] ) {
						$scheme = $plan['to_scheme'];
					}
					return $scheme . $m[ $name . '_sep' ] . $plan['replace'][ $name ];
				}
				if ( isset( $m[ $name . '_path' ] ) ) {
					return $plan['replace'][ $name . '_path' ];
				}
			}
			return $m[0];
		},
		$text,
		-1,
		$count,
		PREG_UNMATCHED_AS_NULL
	);
	if ( null === $result ) {
		throw new RuntimeException( 'Site URL rewrite failed: ' . preg_last_error() );
	}
	return $result;
}

// ---------------------------------------------------------------------------------------------
// PHP-serialized values

/** Returns null when $text is not exactly one serialized value. */
function playground_sync_rewrite_serialized( $text, array $plan, $layer ) {
	if ( ! preg_match( '~^(?:[NbidsaOCErR][:;])~', $text ) ) {
		return null;
	}
	$rewrite = function ( $inner ) use ( $plan, $layer ) {
		return playground_sync_rewrite_string( $inner, $plan, $layer + 1 );
	};
	try {
		$rewritten = playground_sync_serialized_map_strings( $text, $rewrite, $special );
	} catch ( DomainException $not_serialized ) {
		return null;
	} catch ( OverflowException $too_deep ) {
		return $text;
	}
	if ( $special ) {
		return $rewritten;
	}
	$data = @unserialize( $text, array( 'allowed_classes' => false ) );
	if ( false === $data && 'b:0;' !== $text ) {
		return $rewritten;
	}
	return serialize( playground_sync_rewrite_data( $data, $plan, $layer + 1 ) );
}

function playground_sync_rewrite_data( $data, array $plan, $layer ) {
	if ( is_string( $data ) ) {
		return playground_sync_rewrite_string( $data, $plan, $layer );
	}
	if ( ! is_array( $data ) ) {
		return $data;
	}
	$out = array();
	foreach ( $data as $key => $item ) {
		$key         = is_string( $key ) ? playground_sync_rewrite_string( $key, $plan, $layer ) : $key;
		$out[ $key ] = playground_sync_rewrite_data( $item, $plan, $layer );
	}
	return $out;
}

/**
 * Walks one serialized value byte by byte and maps every string payload (keys and property
 * names included) through $map, writing the new byte length, and every integer (keys included)
 * through $map_int when given (digits in, digits out). Objects, enums and references are kept as
 * written; `$special` reports whether any were seen. Throws DomainException when $text is not
 * exactly one serialized value, OverflowException when it nests too deep to walk.
 */
function playground_sync_serialized_map_strings( $text, callable $map, &$special = null, ?callable $map_int = null ) {
	$special = false;
	$pos     = 0;
	$walk    = array(
		'string' => $map,
		'int'    => $map_int,
	);
	$out     = playground_sync_serialized_value( $text, $pos, $walk, $special, 0 );
	if ( strlen( $text ) !== $pos ) {
		throw new DomainException( 'trailing data after the serialized value' );
	}
	return $out;
}

function playground_sync_serialized_value( $text, &$pos, array $walk, &$special, $depth ) {
	if ( $depth > 512 ) {
		throw new OverflowException( 'serialized value nested too deep' );
	}
	$type = isset( $text[ $pos ] ) ? $text[ $pos ] : '';
	switch ( $type ) {
		case 'N':
			return playground_sync_serialized_token( $text, $pos, '~\GN;~' );
		case 'b':
			return playground_sync_serialized_token( $text, $pos, '~\Gb:[01];~' );
		case 'i':
			$token = playground_sync_serialized_token( $text, $pos, '~\Gi:[+-]?[0-9]+;~' );
			return null === $walk['int'] ? $token : 'i:' . $walk['int']( substr( $token, 2, -1 ) ) . ';';
		case 'd':
			return playground_sync_serialized_token( $text, $pos, '~\Gd:(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|-?INF|NAN);~' );
		case 'r':
		case 'R':
			$special = true;
			return playground_sync_serialized_token( $text, $pos, '~\G[rR]:[0-9]+;~' );
		case 's':
			$payload = playground_sync_serialized_quoted( $text, $pos, 's' );
			playground_sync_serialized_expect( $text, $pos, ';' );
			$payload = $walk['string']( $payload );
			return 's:' . strlen( $payload ) . ':"' . $payload . '";';
		case 'E':
			$special = true;
			$name    = playground_sync_serialized_quoted( $text, $pos, 'E' );
			playground_sync_serialized_expect( $text, $pos, ';' );
			return 'E:' . strlen( $name ) . ':"' . $name . '";';
		case 'a':
			$count = (int) substr( playground_sync_serialized_token( $text, $pos, '~\Ga:[0-9]+:~' ), 2, -1 );
			return 'a:' . $count . ':' . playground_sync_serialized_entries( $text, $pos, $count, $walk, $special, $depth );
		case 'O':
			$special = true;
			$class   = playground_sync_serialized_quoted( $text, $pos, 'O' );
			playground_sync_serialized_expect( $text, $pos, ':' );
			$count = (int) substr( playground_sync_serialized_token( $text, $pos, '~\G[0-9]+:~' ), 0, -1 );
			return 'O:' . strlen( $class ) . ':"' . $class . '":' . $count . ':'
				. playground_sync_serialized_entries( $text, $pos, $count, $walk, $special, $depth );
		case 'C':
			// Custom serialization (Serializable): the payload's format is the class's own, so
			// only `s:N:"…";` runs found inside it are rewritten and re-measured.
			$special = true;
			$class   = playground_sync_serialized_quoted( $text, $pos, 'C' );
			playground_sync_serialized_expect( $text, $pos, ':' );
			$length = (int) substr( playground_sync_serialized_token( $text, $pos, '~\G[0-9]+:\{~' ), 0, -2 );
			if ( $pos + $length >= strlen( $text ) ) {
				throw new DomainException( 'custom payload runs past the end' );
			}
			$payload = playground_sync_serialized_loose_strings( substr( $text, $pos, $length ), $walk['string'] );
			$pos    += $length;
			playground_sync_serialized_expect( $text, $pos, '}' );
			return 'C:' . strlen( $class ) . ':"' . $class . '":' . strlen( $payload ) . ':{' . $payload . '}';
		default:
			throw new DomainException( 'unknown serialized type at byte ' . $pos );
	}
}

function playground_sync_serialized_entries( $text, &$pos, $count, array $walk, &$special, $depth ) {
	playground_sync_serialized_expect( $text, $pos, '{' );
	$out = '{';
	for ( $i = 0; $i < 2 * $count; $i++ ) {
		$out .= playground_sync_serialized_value( $text, $pos, $walk, $special, $depth + 1 );
	}
	playground_sync_serialized_expect( $text, $pos, '}' );
	return $out . '}';
}

function playground_sync_serialized_token( $text, &$pos, $pattern ) {
	if ( ! preg_match( $pattern, $text, $m, 0, $pos ) ) {
		throw new DomainException( 'malformed serialized token at byte ' . $pos );
	}
	$pos += strlen( $m[0] );
	return $m[0];
}

function playground_sync_serialized_expect( $text, &$pos, $char ) {
	if ( ! isset( $text[ $pos ] ) || $text[ $pos ] !== $char ) {
		throw new DomainException( "expected {$char} at byte {$pos}" );
	}
	++$pos;
}

/** `<type>:<length>:"<length bytes>"`, returning the bytes. */
function playground_sync_serialized_quoted( $text, &$pos, $type ) {
	$length = (int) substr( playground_sync_serialized_token( $text, $pos, '~\G' . $type . ':[0-9]+:"~' ), 2, -2 );
	if ( $pos + $length >= strlen( $text ) || '"' !== $text[ $pos + $length ] ) {
		throw new DomainException( 'string length does not match at byte ' . $pos );
	}
	$payload = substr( $text, $pos, $length );
	$pos    += $length + 1;
	return $payload;
}

/** Rewrites every well-formed `s:N:"…";` run in text of unknown format, keeping the rest. */
function playground_sync_serialized_loose_strings( $text, callable $map ) {
	$out = '';
	$pos = 0;
	while ( preg_match( '~s:([0-9]+):"~', $text, $m, PREG_OFFSET_CAPTURE, $pos ) ) {
		$at     = $m[0][1];
		$start  = $at + strlen( $m[0][0] );
		$length = (int) $m[1][0];
		if ( '";' !== substr( $text, $start + $length, 2 ) ) {
			$out .= substr( $text, $pos, $at + 1 - $pos );
			$pos  = $at + 1;
			continue;
		}
		$payload = $map( substr( $text, $start, $length ) );
		$out    .= substr( $text, $pos, $at - $pos ) . 's:' . strlen( $payload ) . ':"' . $payload . '";';
		$pos     = $start + $length + 2;
	}
	return $out . substr( $text, $pos );
}

// ---------------------------------------------------------------------------------------------
// JSON documents

/** Returns null when $text is not a JSON object or array. */
function playground_sync_rewrite_json( $text, array $plan, $layer ) {
	// Valid JSON: outside string literals there is nothing a URL could be in.
	return playground_sync_json_map_strings(
		$text,
		function ( $value ) use ( $plan, $layer ) {
			return playground_sync_rewrite_string( $value, $plan, $layer + 1 );
		},
		null,
		function ( $literal ) use ( $plan ) {
			return playground_sync_mentions_url( $literal, $plan );
		}
	);
}

/**
 * A JSON object or array with the value of each string literal mapped through $map and written
 * back in the literal's own style, and the text between the literals through $between (kept when
 * null). $worth, given the literal as written, says whether it is worth decoding. Null when
 * $text is not a JSON object or array.
 */
function playground_sync_json_map_strings( $text, callable $map, ?callable $between = null, ?callable $worth = null ) {
	$start = strspn( $text, " \t\r\n" );
	if ( ! isset( $text[ $start ] ) || ( '{' !== $text[ $start ] && '[' !== $text[ $start ] ) ) {
		return null;
	}
	json_decode( $text );
	if ( JSON_ERROR_NONE !== json_last_error() ) {
		return null;
	}
	$between = $between ?: function ( $part ) {
		return $part;
	};
	// Valid JSON: a `"` outside a literal always opens one.
	$out    = '';
	$pos    = 0;
	$length = strlen( $text );
	while ( false !== ( $open = strpos( $text, '"', $pos ) ) ) {
		$end = $open + 1;
		while ( true ) {
			$end += strcspn( $text, '"\\', $end );
			if ( $end >= $length || '"' === $text[ $end ] ) {
				break;
			}
			$end += 2;
		}
		$literal = substr( $text, $open, $end + 1 - $open );
		$mapped  = null === $worth || $worth( $literal ) ? playground_sync_json_map_literal( $literal, $map ) : $literal;
		$out    .= $between( substr( $text, $pos, $open - $pos ) ) . $mapped;
		$pos     = $end + 1;
	}
	return $out . $between( substr( $text, $pos ) );
}

function playground_sync_json_map_literal( $literal, callable $map ) {
	$value = json_decode( $literal );
	if ( ! is_string( $value ) ) {
		return $literal;
	}
	$mapped = $map( $value );
	if ( $mapped === $value ) {
		return $literal;
	}
	// Keep the literal's style: escaped slashes if it had any (or no slash at all, json_encode's default), \u escapes likewise.
	$flags = 0;
	if ( false === strpos( $literal, '\\/' ) && false !== strpos( $literal, '/' ) ) {
		$flags |= JSON_UNESCAPED_SLASHES;
	}
	if ( ! preg_match( '~\\\\u[0-9a-fA-F]{4}~', $literal ) ) {
		$flags |= JSON_UNESCAPED_UNICODE;
	}
	$encoded = json_encode( $mapped, $flags );
	return false === $encoded ? $literal : $encoded;
}
