import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import type { SiteClient } from '../../src/platform/site-client';
import { runHarnessScript } from './php-scripts';
import { replaceSiteUrl, siteUrlBase, siteUrlSpellings } from './site-url';

const FoundCellsSchema = v.array(
  v.strictObject({ table: v.string(), rowid: v.number(), column: v.string(), value: v.unknown() }),
);
const UpdatedSchema = v.strictObject({ updated: v.number() });

/**
 * Rewrites every stored mention of `fromUrl` in the site's database to `toUrl` (all spellings,
 * PHP-serialized values kept valid), through the raw SQLite PDO so no WordPress hook runs. Used
 * when a site boots from another site's snapshot. Returns the number of cells changed.
 */
export async function retargetSiteUrl(client: SiteClient, fromUrl: string, toUrl: string): Promise<number> {
  const fromBase = siteUrlBase(fromUrl);
  const toBase = siteUrlBase(toUrl);
  if (fromBase === toBase) return 0;
  const found = await runHarnessScript(client, 'find-url-cells', {
    PG_HARNESS_NEEDLES: JSON.stringify(siteUrlSpellings(fromBase)),
  });
  const changes = [];
  for (const cell of v.parse(FoundCellsSchema, found.result)) {
    if (typeof cell.value !== 'string') {
      throw new Error(`${cell.table}.${cell.column} (rowid ${cell.rowid}) holds the site URL in a binary value`);
    }
    const value = replaceSiteUrl(cell.value, fromBase, toBase);
    if (value !== cell.value) changes.push({ ...cell, value });
  }
  if (changes.length === 0) return 0;
  const input = `/tmp/pg-harness-retarget-${randomUUID()}.json`;
  await client.writeFile(input, JSON.stringify(changes));
  try {
    const answer = await runHarnessScript(client, 'update-cells', { PG_HARNESS_INPUT: input });
    return v.parse(UpdatedSchema, answer.result).updated;
  } finally {
    await client.unlink(input);
  }
}
