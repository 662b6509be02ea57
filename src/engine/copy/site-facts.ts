import * as v from 'valibot';
import type { SiteClient } from '../../platform/site-client';
import { runCopyScript } from './copy-php';

const FactsSchema = v.object({
  wordpressVersion: v.string(),
  /** The database version this WordPress's code writes (`$wp_db_version`). */
  wordpressDbVersion: v.number(),
  phpVersion: v.string(),
  /** The class that runs the SQL: `WP_MySQL_On_SQLite` (AST driver) or `WP_SQLite_Translator` (legacy). */
  databaseDriver: v.string(),
  /** `SQLITE_DRIVER_VERSION` of the SQLite plugin, when it defines one (3.x does). */
  sqliteDriverVersion: v.nullable(v.string()),
  databasePath: v.string(),
  journalMode: v.string(),
  tablePrefix: v.string(),
  /** The engine's state in the database; null when capture was never installed. */
  engine: v.nullable(
    v.object({
      peerId: v.nullable(v.string()),
      hlc: v.nullable(v.string()),
      lastBatchSeq: v.number(),
      cursors: v.record(v.string(), v.number()),
    }),
  ),
  copy: v.nullable(v.object({ size: v.number(), sha256: v.string() })),
});

export type SiteFacts = Omit<v.InferOutput<typeof FactsSchema>, 'copy'>;
export type DatabaseCopy = NonNullable<v.InferOutput<typeof FactsSchema>['copy']>;

/** What a site is: versions, database driver and path, the engine's identity. Changes nothing. */
export async function readSiteFacts(client: SiteClient): Promise<SiteFacts> {
  const { copy: _copy, ...facts } = await runCopyScript(client, 'facts', FactsSchema, {
    env: { PGSYNC_DOCROOT: await client.documentRoot },
  });
  return facts;
}

/**
 * The site's facts plus a copy of its database file at `copyTo`, both read inside one read
 * transaction (the engine's sequence number belongs to exactly these bytes).
 */
export async function copyDatabase(client: SiteClient, copyTo: string): Promise<{ facts: SiteFacts; copy: DatabaseCopy }> {
  const { copy, ...facts } = await runCopyScript(client, 'facts', FactsSchema, {
    env: { PGSYNC_DOCROOT: await client.documentRoot, PGSYNC_COPY_DATABASE_TO: copyTo },
  });
  if (!copy) throw new Error('The database was not copied');
  return { facts, copy };
}
