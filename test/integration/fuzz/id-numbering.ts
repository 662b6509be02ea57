import type { NodeSite } from '../../harness';

/**
 * A fuzz judgement beside convergence: no row the workload made may be numbered by SQLite below
 * the pairing's ID ranges. Such an ID (max(ID) + 1, taken while the ID-shard filter was missing,
 * e.g. after an older build's rotation, with the sequences not lifted) is one the other site can
 * take too: two rows with one key, the newer replacing the other on both sites, which converges
 * and so passes every other check.
 *
 * Judged on the tables there at pairing. A table made while the filter is gone (a plugin activated
 * right after an older build's rotation) has no sequence to lift yet: its first rows are numbered
 * from 1 until the engine is back, and only a site making the same table the same way at the same
 * time could number rows alike.
 */

const MARKER = '@@FUZZ_IDS@@';

/** Per AUTOINCREMENT table its largest ID below the plan's base (0 for a table not there yet), and that base. */
export interface IdHighs {
  readonly base: number;
  readonly tables: Readonly<Record<string, { readonly pk: string; readonly max: number; readonly below: readonly number[] }>>;
}

/** What `site` holds now; `since`: also the IDs above its table's maximum then, below the base. */
export async function idHighs(site: NodeSite, since?: IdHighs): Promise<IdHighs> {
  const code = `<?php
$pdo = new PDO('sqlite:' . ${JSON.stringify(site.facts.databasePath)});
$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$since = json_decode(${JSON.stringify(JSON.stringify(since?.tables ?? {}))}, true);
try {
  $base = (int) $pdo->query('SELECT group_lo FROM "_wp_sqlite_pgsync_id_plan" WHERE id = 1')->fetchColumn();
} catch (Exception $e) {
  $base = 0;
}
$renumbered = (bool) $pdo->query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_wp_sqlite_pgsync_renumbered'")->fetchColumn();
$tables = array();
foreach ($pdo->query("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' AND name NOT LIKE 'sqlite%' AND substr(name, 1, 11) <> '_wp_sqlite_'")->fetchAll(PDO::FETCH_COLUMN) as $table) {
  $keys = array_values(array_filter($pdo->query('PRAGMA table_info("' . $table . '")')->fetchAll(PDO::FETCH_ASSOC), fn ($c) => (int) $c['pk'] > 0));
  if (count($keys) !== 1) continue;
  $pk = $keys[0]['name'];
  $max = (int) $pdo->query("SELECT coalesce(max(\\"$pk\\"), 0) FROM \\"$table\\" WHERE \\"$pk\\" < $base")->fetchColumn();
  $from = isset($since[$table]) ? (int) $since[$table]['max'] : 0;
  // Low IDs the group's numberer gave (docs/ids.md) are not SQLite's numbering.
  $given = $renumbered ? " AND \\"$pk\\" NOT IN (SELECT low FROM \\"_wp_sqlite_pgsync_renumbered\\" WHERE tbl = " . $pdo->quote($table) . ")" : '';
  $below = array_map('intval', $pdo->query("SELECT \\"$pk\\" FROM \\"$table\\" WHERE \\"$pk\\" > $from AND \\"$pk\\" < $base$given ORDER BY 1 LIMIT 20")->fetchAll(PDO::FETCH_COLUMN));
  $tables[$table] = array('pk' => $pk, 'max' => $max, 'below' => $below);
}
echo '${MARKER}', json_encode(array('base' => $base, 'tables' => (object) $tables));
`;
  const response = await site.client.run({ code });
  const at = response.text.indexOf(MARKER);
  if (at < 0) throw new Error(`Could not read the IDs of ${site.siteUrl}:\n${response.text}\n${response.errors}`);
  return JSON.parse(response.text.slice(at + MARKER.length)) as IdHighs;
}

/** Rows made since `before` that SQLite numbered below the ID ranges, one line per table; '' when none. */
export async function idsBelowRanges(site: NodeSite, before: IdHighs, side: string): Promise<string> {
  const now = await idHighs(site, before);
  if (before.base === 0) return '';
  return Object.entries(now.tables)
    .filter(([name, table]) => name in before.tables && table.below.length > 0)
    .map(([name, table]) => `${side}: ${name} rows ${table.below.join(', ')} numbered by SQLite below the ID ranges (from ${now.base}): another site can number its rows alike`)
    .join('\n');
}
