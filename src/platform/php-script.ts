import type * as v from 'valibot';
// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import answerPrologue from '../php/answer.php?raw';
import { runBounded, type BoundedRunClient, type BoundedRunRequest } from './bounded-run';
import { PhpScriptError, readAnswer } from './php-answer';
import type { PhpResult } from './site-client';

export interface PhpScript extends BoundedRunRequest {
  /** What the script does, for errors: "pull", "ID shard survey", "copy facts". */
  readonly what: string;
}

/**
 * Runs a script that answers through src/php/answer.php (put before its code here), with every
 * call under the site's message limit (runBounded). Resolves with its result checked by `schema`;
 * throws `PhpScriptError` when the run failed, the script answered an error, or no good answer.
 */
export async function runPhpScript<TSchema extends v.GenericSchema>(
  client: BoundedRunClient,
  script: PhpScript,
  schema: TSchema,
): Promise<v.InferOutput<TSchema>> {
  const { what, ...request } = script;
  // Checked here: after the prologue, runBounded's own check would only see the prologue's.
  if (!request.code.startsWith('<?php')) throw new Error(`The ${what} script must start with <?php`);
  let response: PhpResult;
  try {
    response = await runBounded(client, { ...request, code: answerPrologue + request.code });
  } catch (error) {
    throw new PhpScriptError(what, 'run-failed', error instanceof Error ? error.message : String(error), { cause: error });
  }
  return readAnswer(what, response, schema);
}
