<?php
/**
 * Offline stand-in: WordPress never reaches the network. Every HTTP API call fails at once with
 * a WP_Error, unless an earlier pre_http_request filter already answered it.
 */
function playground_standin_block_http( $preempt, $args, $url ) {
	if ( false !== $preempt ) {
		return $preempt;
	}
	return new WP_Error( 'http_request_failed', 'Network access is disabled in this Playground: ' . $url );
}
add_filter( 'pre_http_request', 'playground_standin_block_http', PHP_INT_MAX, 3 );
