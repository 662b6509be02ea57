import { ENGINE_TABLE_PREFIX } from '../sync/local-only';

/**
 * The database engine's own tables (created through the raw SQLite PDO, see
 * src/php/capture-common.php), for everyone who needs to know them: the ID allocator adds its
 * own here, tests leave them out of comparisons. All share `ENGINE_TABLE_PREFIX`, so the capture
 * triggers and the local-only list skip them already.
 */
export const ENGINE_TABLES = {
  /** Captured changes: `(seq, tbl, pk json, op, ddl)`; emptied by each drain into the outbox. */
  changelog: `${ENGINE_TABLE_PREFIX}changelog`,
  /** Holds a row only inside a replay transaction: the capture triggers stay silent then. */
  applying: `${ENGINE_TABLE_PREFIX}applying`,
  /** `name → value`: `peer`, `hlc` (the site's clock), `last_batch_seq`, `schema_fingerprint`. */
  meta: `${ENGINE_TABLE_PREFIX}meta`,
  /** `(tbl, pk) → hlc`: the version of every row sent or applied, for last-writer-wins. */
  rowVersions: `${ENGINE_TABLE_PREFIX}rowver`,
  /** `peer → applied_up_to`: the receiver's cursor, written in the same transaction as the batch. */
  cursors: `${ENGINE_TABLE_PREFIX}cursor`,
  /** `seq → (id, batch json)`: drained batches, kept until the paired site acknowledged them. */
  outbox: `${ENGINE_TABLE_PREFIX}outbox`,
  /** `(peer, seq) → id`: content ids of recently applied batches, to tell a resend from a reused number. */
  appliedBatches: `${ENGINE_TABLE_PREFIX}applied`,
} as const;

/** Capture triggers are named `<this>{i,u,d}_<table>`. */
export const ENGINE_TRIGGER_PREFIX = `${ENGINE_TABLE_PREFIX}trg_`;
