<?php
/**
 * Playground Sync test harness, platform mu-plugin: no network.
 *
 * Loaded from /internal/shared/mu-plugins like Playground's own platform plugins, never part of the
 * site. Every WordPress HTTP API call fails at once with a WP_Error (as on an offline Playground)
 * instead of waiting for a connection that cannot happen.
 */
add_filter(
	'pre_http_request',
	static function () {
		return new WP_Error( 'http_request_failed', 'Network access is disabled in the Playground Sync test harness.' );
	},
	PHP_INT_MAX
);
