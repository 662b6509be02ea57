<?php
/**
 * Playground Sync: put before every script the extension runs (src/platform/php-script.ts, after
 * the bounded-run prologue). A script answers once, with pgsync_answer( $result ) or
 * pgsync_answer_error( $error, $code ): a marker line, then one JSON document,
 *   {"ok": true, "result": …, "notices": "…"}
 *   {"ok": false, "error": {"message": "…", "code": "…"}, "notices": "…"}   (code only when given)
 * What printed before the answer (WordPress loading, PHP notices, a plugin) is held and sent as
 * `notices`; what would print after it (shutdown functions) is swallowed. Neither can corrupt or
 * forge the answer, which the extension reads after the last marker.
 */
ob_start();
define( 'PGSYNC_ANSWER_BUFFER_LEVEL', ob_get_level() );

/**
 * $result: any JSON-encodable value, or a PGSync_Raw_Json (capture-common.php) that is JSON text
 * already. $json_flags: added to the encoding's (JSON_INVALID_UTF8_SUBSTITUTE for file paths).
 */
function pgsync_answer( $result, $json_flags = 0 ) {
	try {
		$json = $result instanceof PGSync_Raw_Json ? $result->json : pgsync_answer_json( $result, $json_flags );
	} catch ( JsonException $unencodable ) {
		pgsync_answer_error( 'The answer could not be encoded as JSON: ' . $unencodable->getMessage() );
		return;
	}
	pgsync_answer_send( '{"ok":true,"result":' . $json );
}

/** $error: a Throwable (its class goes before its message) or a message; $code: a reason the caller acts on. */
function pgsync_answer_error( $error, $code = null ) {
	$message = $error instanceof Throwable ? get_class( $error ) . ': ' . $error->getMessage() : (string) $error;
	$details = null === $code ? array( 'message' => $message ) : array(
		'message' => $message,
		'code'    => (string) $code,
	);
	pgsync_answer_send( '{"ok":false,"error":' . pgsync_answer_json( $details, JSON_INVALID_UTF8_SUBSTITUTE ) );
}

/** Prints the answer after everything held so far, which becomes its notices; swallows what comes after. */
function pgsync_answer_send( $head ) {
	$notices = '';
	while ( ob_get_level() >= PGSYNC_ANSWER_BUFFER_LEVEL ) {
		$held = ob_get_clean();
		if ( false === $held ) {
			break; // A buffer started as not removable: what it holds stays out of the notices.
		}
		$notices = $held . $notices;
	}
	echo "\n@@PGSYNC_RESULT@@", $head, ',"notices":', pgsync_answer_json( $notices, JSON_INVALID_UTF8_SUBSTITUTE ), "}\n";
	ob_start(
		static function () {
			return '';
		}
	);
}

function pgsync_answer_json( $value, $json_flags ) {
	return json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR | $json_flags );
}
?>
