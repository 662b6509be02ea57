import contentSummaryPhp from '../php/content-summary.php?raw';
import type { SiteClient } from '../platform/site-client';
import { ContentSummarySchema, type ContentSummary } from '../protocol/runtime';
import { parseMessage } from '../protocol/validate';

/** Counts and a content digest of the site (see src/php/content-summary.php): equal digests, same content. */
export async function readContentSummary(client: Pick<SiteClient, 'documentRoot' | 'run'>): Promise<ContentSummary> {
  const response = await client.run({ code: contentSummaryPhp, env: { PG_SYNC_DOCROOT: await client.documentRoot } });
  const text = response.text.trim();
  const start = text.lastIndexOf('\n{');
  let value: unknown;
  try {
    value = JSON.parse(start >= 0 ? text.slice(start + 1) : text);
  } catch {
    throw new Error(`Could not read the site's content: ${response.errors || text.slice(0, 200) || `PHP exit code ${response.exitCode}`}`);
  }
  const parsed = parseMessage(ContentSummarySchema, value, 'content summary');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

export function sameContent(a: ContentSummary, b: ContentSummary): boolean {
  return a.digest === b.digest;
}
