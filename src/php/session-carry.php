<?php
/**
 * Playground Sync: the tab's login, carried over a full-state copy. A copy brings the source's
 * users, password hashes included, and WordPress signs its login cookies with part of the user's
 * hash: the tab's cookies stop working, although its session (`session_tokens`, local-only, kept
 * through the copy) is still here. Right after installing a copy the engine makes one request
 * with a one-time secret it wrote to PGSYNC_SESSION_CARRY_FILE (a request, so the new cookies
 * land in the tab's cookie store); the session the tab's cookie names, when it is still valid
 * here, gets cookies signed for the copied user row. Hooked on `plugins_loaded` by the preload
 * (pluggable functions are loaded by then, no theme yet); answers {"carried": login or null}
 * and ends the request.
 */
const PGSYNC_SESSION_CARRY_FILE = '/internal/shared/playground-sync/session-carry.json';

function pgsync_carry_session() {
	header( 'Content-Type: application/json' );
	$asked = json_decode( (string) @file_get_contents( PGSYNC_SESSION_CARRY_FILE ), true );
	$given = (string) $_GET['playground-sync-carry-session'];
	if ( ! is_array( $asked ) || ! isset( $asked['secret'], $asked['expires'] ) || (int) $asked['expires'] < time() || ! hash_equals( (string) $asked['secret'], $given ) ) {
		echo wp_json_encode( array( 'carried' => null, 'refused' => 'not asked by Playground Sync' ) );
		exit;
	}
	@unlink( PGSYNC_SESSION_CARRY_FILE );
	$cookie  = wp_parse_auth_cookie( '', 'logged_in' );
	$carried = null;
	if ( $cookie && '' !== $cookie['token'] && (int) $cookie['expiration'] > time() ) {
		$user = get_user_by( 'login', $cookie['username'] );
		if ( $user && WP_Session_Tokens::get_instance( $user->ID )->verify( $cookie['token'] ) ) {
			// Cookies of a "remember me" login last 14 days, others 2.
			$remember = (int) $cookie['expiration'] - time() > 2 * DAY_IN_SECONDS;
			wp_set_auth_cookie( $user->ID, $remember, '', $cookie['token'] );
			$carried = $user->user_login;
		}
	}
	echo wp_json_encode( array( 'carried' => $carried ) );
	exit;
}
