/**
 * PHP (for `inWordPress`) that imports `posts` posts of type `import_item` in one request, as an
 * importer plugin does: multi-row INSERTs of 500, then two meta rows and one category each. Answers
 * how many `import_item` posts the site holds.
 */
export const importPostsPhp = (posts: number): string => `global $wpdb;
$term = wp_insert_term('Imported', 'category');
$columns = 'post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name, post_type, to_ping, pinged, post_content_filtered, post_modified, post_modified_gmt, guid';
for ($first = 0; $first < ${posts}; $first += 500) {
  $values = [];
  for ($n = $first; $n < min($first + 500, ${posts}); $n++) {
    $values[] = $wpdb->prepare("(1, '2024-01-01 00:00:00', '2024-01-01 00:00:00', %s, %s, '', 'publish', %s, 'import_item', '', '', '', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '')", "Imported post $n: " . str_repeat('lorem ipsum ', 40), "Imported $n", "imported-$n");
  }
  $wpdb->query("INSERT INTO $wpdb->posts ($columns) VALUES " . implode(',', $values));
}
$wpdb->query("INSERT INTO $wpdb->postmeta (post_id, meta_key, meta_value) SELECT ID, '_import_source', 'feed' FROM $wpdb->posts WHERE post_type = 'import_item'");
$wpdb->query("INSERT INTO $wpdb->postmeta (post_id, meta_key, meta_value) SELECT ID, '_import_rank', post_name FROM $wpdb->posts WHERE post_type = 'import_item'");
$wpdb->query($wpdb->prepare("INSERT INTO $wpdb->term_relationships (object_id, term_taxonomy_id) SELECT ID, %d FROM $wpdb->posts WHERE post_type = 'import_item'", $term['term_taxonomy_id']));
$result = (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_type = 'import_item'");`;
