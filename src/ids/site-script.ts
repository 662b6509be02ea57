import * as v from 'valibot';
import { runBounded } from '../platform/bounded-run';
import type { SiteClient } from '../platform/site-client';
import { ID_SHARDS_INSTALL_PHP, ID_SHARDS_LIBRARY_PATH, ID_SHARDS_PHP } from './id-shards-php';

const RESULT_MARKER = '\n@@PG_SYNC_ID_SHARDS@@';

const AnswerSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), result: v.unknown() }),
  v.object({ ok: v.literal(false), error: v.object({ code: v.string(), message: v.string() }) }),
]);

/** A refusal of the site's ID shard script: `code` says which (`other-plan`, `ids-above-base`, `int-size`, …). */
export class IdShardRefusal extends Error {
  override readonly name = 'IdShardRefusal';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type IdShardAction = 'survey' | 'install' | 'status' | 'uninstall';

/**
 * Puts the filter library where the preload and the script require it (/internal is not
 * persisted: again on every attach). Loading it changes nothing: only the preload registers it.
 */
export async function writeIdShardLibrary(client: SiteClient): Promise<void> {
  await client.mkdir(ID_SHARDS_LIBRARY_PATH.slice(0, ID_SHARDS_LIBRARY_PATH.lastIndexOf('/')));
  await client.writeFile(ID_SHARDS_LIBRARY_PATH, ID_SHARDS_PHP);
}

/** Runs src/php/id-shards-install.php on the site; resolves with its result, throws its refusal. */
export async function runIdShardScript(
  client: SiteClient,
  action: IdShardAction,
  env: Record<string, string> = {},
): Promise<unknown> {
  const documentRoot = await client.documentRoot;
  await writeIdShardLibrary(client);
  const response = await runBounded(client, {
    code: ID_SHARDS_INSTALL_PHP,
    env: { ...env, PG_SYNC_ID_ACTION: action, PG_SYNC_DOCROOT: documentRoot },
  });
  const at = response.text.lastIndexOf(RESULT_MARKER);
  if (at < 0) {
    throw new Error(`ID shard ${action} gave no answer (exit ${response.exitCode}):\n${response.text}\n${response.errors}`);
  }
  const answer = v.parse(AnswerSchema, JSON.parse(response.text.slice(at + RESULT_MARKER.length)));
  if (!answer.ok) throw new IdShardRefusal(answer.error.code, answer.error.message);
  return answer.result;
}
