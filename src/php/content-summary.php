<?php
/**
 * What a site holds that users make: counts, active plugins, theme, and a digest of that content
 * with the site URL replaced, so two fresh installs (same content, other URLs, dates, salts)
 * have equal digests. Env: PG_SYNC_DOCROOT. Prints one JSON object.
 */
define('WP_USE_THEMES', false);
require_once getenv('PG_SYNC_DOCROOT') . '/wp-load.php';
global $wpdb;

$site = untrailingslashit(get_option('siteurl'));
$normalise = static function ($text) use ($site) {
    return str_replace([$site, str_replace('/', '\\/', $site)], '{site}', (string) $text);
};

$posts = $wpdb->get_results(
    "SELECT ID, post_type, post_status, post_name, post_title, post_content FROM {$wpdb->posts}
     WHERE post_status <> 'auto-draft' AND post_type <> 'revision' ORDER BY ID",
    ARRAY_A
);
$counts = ['post' => 0, 'page' => 0, 'attachment' => 0];
$digest = hash_init('sha256');
foreach ($posts as $post) {
    if (isset($counts[$post['post_type']]) && $post['post_status'] !== 'trash') $counts[$post['post_type']]++;
    hash_update($digest, json_encode([$post['ID'], $post['post_type'], $post['post_status'], $post['post_name'],
        $normalise($post['post_title']), md5($normalise($post['post_content']))]));
}
$comments = $wpdb->get_results("SELECT comment_ID, comment_post_ID, comment_content FROM {$wpdb->comments} ORDER BY comment_ID", ARRAY_A);
foreach ($comments as $comment) hash_update($digest, json_encode(array_values($comment)));
$users = $wpdb->get_results("SELECT ID, user_login, user_email FROM {$wpdb->users} ORDER BY ID", ARRAY_A);
foreach ($users as $user) hash_update($digest, json_encode(array_values($user)));
$plugins = array_values((array) get_option('active_plugins', []));
sort($plugins);
$theme = (string) get_option('stylesheet');
hash_update($digest, json_encode([$plugins, $theme]));

echo json_encode([
    'posts' => $counts['post'],
    'pages' => $counts['page'],
    'comments' => count($comments),
    'users' => count($users),
    'media' => $counts['attachment'],
    'plugins' => $plugins,
    'theme' => $theme,
    'digest' => 'sha256:' . hash_final($digest),
]);
