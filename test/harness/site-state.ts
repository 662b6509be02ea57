import * as v from 'valibot';
import type { SiteClient } from '../../src/platform/site-client';
import { runHarnessScript } from './php-scripts';

/**
 * A site's state as convergence tests compare it: every table's rows and every file's hash.
 *
 * Cells are JSON-safe and exact: NULL → null, INTEGER → number (beyond ±2^53: {"$int": "…"}),
 * REAL → number (non-finite: {"$real": "INF"}), TEXT → string (not valid UTF-8: {"$b64": …}),
 * BLOB → {"$blob": base64}. So TEXT '1' and INTEGER 1 stay different; REAL 1.0 and INTEGER 1 do
 * not (JSON numbers).
 */
const CellSchema = v.union([
  v.null(),
  v.number(),
  v.string(),
  v.strictObject({ $blob: v.string() }),
  v.strictObject({ $b64: v.string() }),
  v.strictObject({ $int: v.string() }),
  v.strictObject({ $real: v.string() }),
]);
export type Cell = v.InferOutput<typeof CellSchema>;
export type Row = Readonly<Record<string, Cell>>;

const ColumnSchema = v.strictObject({
  name: v.string(),
  type: v.string(),
  notNull: v.boolean(),
  default: v.nullable(v.string()),
  pk: v.number(),
});
export type ColumnInfo = v.InferOutput<typeof ColumnSchema>;

const TableSchemaSchema = v.strictObject({ columns: v.array(ColumnSchema), primaryKey: v.array(v.string()) });
export type TableSchema = v.InferOutput<typeof TableSchemaSchema>;

const SiteStateSchema = v.strictObject({
  /** Rows per table, ordered by primary key (by all columns when the table has none). */
  tables: v.record(v.string(), v.array(v.record(v.string(), CellSchema))),
  /** Column definitions (PRAGMA table_info) and primary-key columns per table. */
  schema: v.record(v.string(), TableSchemaSchema),
  /** sha256 of every file under the document root, by path relative to it ("$b64:…" if not UTF-8). */
  files: v.record(v.string(), v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))),
  /** Where the database file was found (DB_PATH on 3.1+, FQDB before). */
  databasePath: v.string(),
  /** Directories left out of `files` (the database directory). */
  excludedFromFiles: v.array(v.string()),
});
export type SiteState = v.InferOutput<typeof SiteStateSchema>;

/**
 * Reads the whole state through `client.run()`: the driver's raw SQLite PDO (AST:
 * `$wpdb->get_driver()->get_sqlite_pdo()`, legacy: `$wpdb->dbh->get_pdo()`), WordPress loaded with
 * SHORTINIT so nothing runs that could write. Skips `sqlite_*` and the driver's `_wp_sqlite_*`
 * tables and the database directory.
 */
export async function dumpSiteState(site: { readonly client: SiteClient }): Promise<SiteState> {
  const answer = await runHarnessScript(site.client, 'dump-state');
  if (answer.notices) throw new Error(`PHP printed while dumping the site state:\n${answer.notices}`);
  return v.parse(SiteStateSchema, answer.result);
}

/** The bytes a dumped cell holds, for BLOB and binary-TEXT round-trip checks. */
export function cellBytes(cell: Cell): Uint8Array | null {
  if (typeof cell === 'string') return new TextEncoder().encode(cell);
  if (cell !== null && typeof cell === 'object') {
    if ('$blob' in cell) return Uint8Array.from(Buffer.from(cell.$blob, 'base64'));
    if ('$b64' in cell) return Uint8Array.from(Buffer.from(cell.$b64, 'base64'));
  }
  return null;
}
