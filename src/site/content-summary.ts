import * as v from 'valibot';
import { ENGINE_PHP_FILES } from '../db/php-sources';
import { Exclusions } from '../files/exclusions';
import { buildManifest, type BuiltManifest } from '../files/manifest';
import { sha256Hex } from '../files/sha256';
import contentSummaryPhp from '../php/content-summary.php?raw';
import { runPhpScript } from '../platform/php-script';
import type { SiteClient } from '../platform/site-client';
import { ContentSummarySchema, type ContentSummary } from '../protocol/runtime';
import { localOnlyPhpArray } from '../sync/local-only';

const DatabaseAnswerSchema = v.object({
  ...v.omit(ContentSummarySchema, ['digest', 'files']).entries,
  rowsDigest: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  dbPath: v.nullable(v.string()),
});

/** The engine's PHP the summary script requires (it shares matching, URL rewriting and cell encoding). */
const LIBRARY_FILES = ['local-only.php', 'url-rewrite.php', 'capture-common.php'] as const;

const encoder = new TextEncoder();

/**
 * Counts for the popup and a digest of everything that would sync (see src/php/content-summary.php):
 * every synced row, URL-normalised, and every synced file under the document root. Equal digests,
 * same content; two fresh sites compare equal.
 */
export async function readContentSummary(client: SiteClient): Promise<ContentSummary> {
  const root = await client.documentRoot;
  // Outside the engine's directory, which belongs to a pairing (this site may have none).
  const library = `/tmp/playground-sync-summary-${crypto.randomUUID()}`;
  await client.mkdir(library);
  try {
    for (const name of LIBRARY_FILES) await client.writeFile(`${library}/${name}`, ENGINE_PHP_FILES[name]!);
    await client.writeFile(`${library}/local-only-rules.php`, `<?php\nreturn ${localOnlyPhpArray()};\n`);
    const database = await runPhpScript(
      client,
      {
        what: 'content summary',
        code: contentSummaryPhp,
        env: { PG_SYNC_DOCROOT: root, PG_SYNC_SITE_URL: await client.absoluteUrl, PG_SYNC_LIBRARY: library },
      },
      DatabaseAnswerSchema,
    );
    const { rowsDigest, dbPath, ...counts } = database;
    const manifest = await buildManifest(client, root, Exclusions.forSite(root, dbPath));
    const digest = await sha256Hex(encoder.encode(JSON.stringify({ rows: rowsDigest, files: await treeDigest(manifest) })));
    return v.parse(ContentSummarySchema, { ...counts, files: manifest.files.size, digest: `sha256:${digest}` });
  } finally {
    await client.rmdir(library, { recursive: true }).catch(() => undefined);
  }
}

/** Every synced file (path, size, hash) and directory, in a fixed order. */
function treeDigest(manifest: BuiltManifest): Promise<string> {
  const lines = [
    ...[...manifest.files].map(([path, file]) => `f ${JSON.stringify(path)} ${file.size} ${file.sha256}`),
    ...[...manifest.directories].map((path) => `d ${JSON.stringify(path)}`),
    ...manifest.unreadable.map((path) => `? ${JSON.stringify(path)}`),
  ].sort();
  return sha256Hex(encoder.encode(lines.join('\n')));
}
