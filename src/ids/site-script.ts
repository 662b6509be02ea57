import type * as v from 'valibot';
import { runPhpScript } from '../platform/php-script';
import type { SiteClient } from '../platform/site-client';
import { ID_SHARDS_INSTALL_PHP, ID_SHARDS_LIBRARY_PATH, ID_SHARDS_PHP } from './id-shards-php';

export type IdShardAction = 'survey' | 'install' | 'status' | 'uninstall';

/**
 * Puts the filter library where the preload and the script require it (/internal is not
 * persisted: again on every attach). Loading it changes nothing: only the preload registers it.
 */
export async function writeIdShardLibrary(client: SiteClient): Promise<void> {
  await client.mkdir(ID_SHARDS_LIBRARY_PATH.slice(0, ID_SHARDS_LIBRARY_PATH.lastIndexOf('/')));
  await client.writeFile(ID_SHARDS_LIBRARY_PATH, ID_SHARDS_PHP);
}

/**
 * Runs src/php/id-shards-install.php on the site; resolves with its result checked by `schema`.
 * A refusal is a `PhpScriptError` whose `code` says which (`other-plan`, `ids-above-base`, `int-size`, …).
 */
export async function runIdShardScript<TSchema extends v.GenericSchema>(
  client: SiteClient,
  action: IdShardAction,
  schema: TSchema,
  env: Record<string, string> = {},
): Promise<v.InferOutput<TSchema>> {
  const documentRoot = await client.documentRoot;
  await writeIdShardLibrary(client);
  return runPhpScript(
    client,
    { what: `ID shard ${action}`, code: ID_SHARDS_INSTALL_PHP, env: { ...env, PG_SYNC_ID_ACTION: action, PG_SYNC_DOCROOT: documentRoot } },
    schema,
  );
}
