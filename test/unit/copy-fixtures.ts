import { sha256Hex } from '../../src/files';
import { COPY_FORMAT_VERSION, type CopyMeta } from '../../src/engine/copy';

/** A copy description of a source `peer-a` for `database` (and a pack of `packBytes`), with file counts to taste. */
export async function copyMetaFor(
  database: Uint8Array,
  files: { fileCount: number; shippedFileCount: number },
  pack: CopyMeta['pack'] = null,
): Promise<CopyMeta> {
  return {
    format: COPY_FORMAT_VERSION,
    wordpressVersion: '6.5.5',
    phpVersion: '8.3.33',
    databaseDriver: 'WP_MySQL_On_SQLite',
    sqliteDriverVersion: '3.0.2',
    siteUrl: 'https://playground.wordpress.net/scope:a',
    sourcePeerId: 'peer-a',
    dbPathRelative: 'wp-content/database/.ht.sqlite',
    lastBatchSeq: 7,
    hlc: '0191dd9dec7b.0003.peer-a',
    capturedAt: 1_700_000_000_000,
    database: { size: database.length, sha256: await sha256Hex(database) },
    pack,
    ...files,
  };
}
