import * as v from 'valibot';
import { HlcStringSchema } from '../sync/hlc';
import { PeerIdSchema } from '../protocol/ids';

/**
 * One drained batch of database changes, as the site's outbox holds it (the `pull` engine task
 * answers it) and as a peer applies it. Cells are exact and JSON-safe (src/php/capture-common.php encodes them):
 * NULL → null, INTEGER → number (beyond ±2^53: `{"$int": "…"}`), REAL → `{"$real": "…"}`
 * (always, so it stays REAL), TEXT → string (not valid UTF-8: `{"$b64": …}`), BLOB →
 * `{"$blob": base64}`. Never raw bytes in JSON.
 */
export const BATCH_FORMAT_VERSION = 1;

const base64 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'));

/** The cells that are not plain JSON values. */
const TaggedCellSchema = v.union([
  v.strictObject({ $blob: base64 }),
  v.strictObject({ $b64: base64 }),
  v.strictObject({ $int: v.pipe(v.string(), v.regex(/^-?\d{1,19}$/, 'an integer')) }),
  v.strictObject({ $real: v.string() }),
]);

// Most frequent first: a union tries its options in order, and every miss costs an issue object.
export const CellSchema = v.union([v.string(), v.pipe(v.number(), v.safeInteger()), v.null(), ...TaggedCellSchema.options]);
export type Cell = v.InferOutput<typeof CellSchema>;

function isCell(value: unknown): boolean {
  if (typeof value === 'string' || value === null) return true;
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return v.is(TaggedCellSchema, value);
}

/** Column names a plain object must not take over (JSON.parse makes them own properties). */
const RISKY_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

function arePlainCells(value: object): boolean {
  for (const key of Object.keys(value)) {
    if (RISKY_KEYS.has(key) || !isCell((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** The full schema of a row's cells: it names the bad column. */
const FullCellsSchema = v.record(v.string(), CellSchema);

const tableName = v.pipe(v.string(), v.minLength(1), v.maxLength(128));
// A batch holds thousands of rows of dozens of cells: a plain loop accepts them as they are (no
// copy); only what it doubts goes through the full schema (named in the metadata for tools that
// walk schemas), whose issues are reported as they are.
const cells = v.pipe(
  v.custom<Record<string, Cell>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'Invalid type: expected an object of cells'),
  v.metadata({ fullSchema: FullCellsSchema }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || arePlainCells(dataset.value)) return;
    const full = v.safeParse(FullCellsSchema, dataset.value);
    if (!full.success) {
      for (const issue of full.issues) addIssue({ message: issue.message, path: issue.path });
      return;
    }
    const risky = Object.keys(dataset.value).find((key) => RISKY_KEYS.has(key));
    addIssue({ message: `Invalid column name: ${risky}` });
  }),
);
const keyCells = v.pipe(cells, v.check((key) => Object.keys(key).length > 0, 'a row key names at least one column'));

export const RowChangeSchema = v.variant('op', [
  /** The row's image when it was drained: inserted or updated, whatever happened in between. */
  v.strictObject({ op: v.literal('upsert'), table: tableName, key: keyCells, row: cells }),
  /**
   * `hlc`: only on a row evicted because a newer row took one of its unique keys: the version of
   * that row, not the batch's, so that a later change of the evicted row made elsewhere wins.
   */
  v.strictObject({ op: v.literal('delete'), table: tableName, key: keyCells, hlc: v.optional(HlcStringSchema) }),
]);
export type RowChange = v.InferOutput<typeof RowChangeSchema>;

/** A statement as the site's `$wpdb` ran it (MySQL dialect), replayed through the peer's driver. */
export const SchemaChangeSchema = v.strictObject({ table: tableName, sql: v.pipe(v.string(), v.check((sql) => sql.trim().length > 0, 'empty SQL')) });
export type SchemaChange = v.InferOutput<typeof SchemaChangeSchema>;

const IdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/** One row's renumbering, as the numberer sends it to every member (docs/ids.md). */
export const RenumberingSchema = v.pipe(
  v.strictObject({
    table: v.pipe(v.string(), v.minLength(1)),
    high: IdSchema,
    low: IdSchema,
    /** For the journal: a post's title, a term's, comment author's or user's name. */
    title: v.optional(v.nullable(v.string())),
    /** For the journal: the post type of a post. */
    postType: v.optional(v.nullable(v.string())),
  }),
  v.check((mapping) => mapping.low < mapping.high, 'a low ID is below its high ID'),
);
export type Renumbering = v.InferOutput<typeof RenumberingSchema>;

/** Rows one numberer's pass renumbers at most (renumber-pass.php's default): one batch carries them. */
export const MAX_RENUMBERINGS_PER_BATCH = 1000;

export const ChangeBatchSchema = v.pipe(
  v.strictObject({
    v: v.literal(BATCH_FORMAT_VERSION),
    /** The peer whose site made these changes. */
    peer: PeerIdSchema,
    /** Per-peer, 1, 2, 3, … kept in the sender's database: the receiver's cursor follows it. */
    seq: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    /**
     * The batch's content identity (sha1 of what the sender stored): a receiver takes a batch
     * number it has applied as a duplicate only when this matches.
     */
    id: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, 'a content id (40 hex digits)')),
    /** The sender's clock when it drained: the version of every row in the batch (but an eviction's: see `hlc` on a delete). */
    hlc: HlcStringSchema,
    /** The sender's site URL (no trailing slash). */
    siteUrl: v.pipe(v.string(), v.maxLength(500), v.url(), v.regex(/^https?:\/\//, 'a site URL is http(s)')),
    /** Applied first, in order; the rows carry current images, so they fit the schema after it. */
    ddl: v.array(SchemaChangeSchema),
    /** One change per (table, key), in the order of each key's last change. */
    rows: v.array(RowChangeSchema),
    /**
     * The numberer's renumberings (docs/ids.md): high IDs that became low ones on its site, to be
     * made on every member. A batch of its own, in order with the site's other batches.
     */
    renumber: v.optional(v.pipe(v.array(RenumberingSchema), v.minLength(1), v.maxLength(MAX_RENUMBERINGS_PER_BATCH))),
  }),
  v.check((batch) => batch.renumber === undefined || (batch.ddl.length === 0 && batch.rows.length === 0), 'a batch of renumberings carries nothing else'),
  v.brand('CheckedChangeBatch'),
);
/** A batch as anyone may hand it over, not checked yet. */
export type ChangeBatch = v.InferInput<typeof ChangeBatchSchema>;
/** A batch `ChangeBatchSchema` accepted: only parsing makes one, so it needs no second check. */
export type CheckedChangeBatch = v.InferOutput<typeof ChangeBatchSchema>;
