/**
 * What of Playground Sync is left on a site: triggers and tables under the engine's prefix,
 * preload files, the engine's directory. The PHP runs through any `client.run()` (Node harness,
 * or a tab's client inside `page.evaluate`); WordPress is loaded with SHORTINIT only to reach
 * the raw SQLite connection. `is_dir`, not `file_exists`: on a secondary PHP instance (PROXYFS)
 * `file_exists` answers from a node cached before another instance removed the path.
 */
export interface EngineTraces {
  /** `type name` of every sqlite_master entry named `_wp_sqlite_pgsync_*`. */
  readonly schema: string[];
  readonly preloads: string[];
  readonly engineDir: boolean;
}

const MARKER = '@@ENGINE_TRACES@@';

export const ENGINE_TRACES_PHP = `<?php
define('SHORTINIT', true);
ob_start();
require '/wordpress/wp-load.php';
global $wpdb;
$pdo = method_exists($wpdb, 'get_driver') ? $wpdb->get_driver()->get_sqlite_pdo() : $wpdb->dbh->get_pdo();
$schema = $pdo->query("SELECT type || ' ' || name FROM sqlite_master WHERE substr(name, 1, 18) = '_wp_sqlite_pgsync_' ORDER BY type, name")->fetchAll(PDO::FETCH_COLUMN);
$preloads = glob('/internal/shared/preload/*playground-sync*') ?: [];
ob_end_clean();
echo '${MARKER}', json_encode(['schema' => $schema, 'preloads' => $preloads, 'engineDir' => is_dir('/internal/shared/playground-sync')]);
`;

export function parseEngineTraces(text: string): EngineTraces {
  const at = text.lastIndexOf(MARKER);
  if (at < 0) throw new Error(`No engine traces answer: ${text.slice(0, 500)}`);
  return JSON.parse(text.slice(at + MARKER.length)) as EngineTraces;
}

export const NO_ENGINE_TRACES: EngineTraces = { schema: [], preloads: [], engineDir: false };
