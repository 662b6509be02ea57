<?php
/**
 * Offline stand-in's share of the real site's "playground web" mu-plugin: the login hint and
 * the URL report the remote frame listens to for onNavigation().
 */
function playground_standin_login_message( $message ) {
	return $message . '<div class="message info"><strong>username:</strong> <code>admin</code><br>'
		. '<strong>password</strong>: <code>password</code></div>';
}
add_filter( 'login_message', 'playground_standin_login_message' );

function playground_standin_report_url_to_parent() {
	?>
	<script>
		if (window.parent !== window) {
			window.parent.postMessage(
				JSON.stringify({ type: 'playground-url-change', url: window.location.href }),
				'*'
			);
		}
	</script>
	<?php
}
add_action( 'wp_head', 'playground_standin_report_url_to_parent' );
add_action( 'admin_head', 'playground_standin_report_url_to_parent' );
