import type * as v from 'valibot';
import { PhpScriptError } from '../platform/php-answer';
import { runPhpScript } from '../platform/php-script';
import type { SiteClient } from '../platform/site-client';
import { ENGINE_DIR, ENGINE_TASK_PATH } from './php-sources';

/**
 * Runs one task of src/php/engine-task.php through `client.run()`. The input goes into a JSON
 * file (never into PHP source); the answer is the one every script gives (src/php/answer.php).
 */

export type EngineTask = 'install' | 'pull' | 'apply' | 'uninstall' | 'reclaim-ids' | 'renumber' | 'find-high-ids';

/**
 * The engine's PHP may be gone (older Playground builds lose /internal when they rotate the
 * runtime, possibly at the start of this very request, or while another PHP instance's request
 * runs, taking the task's input file with it): answered as a task error, not a PHP fatal, which
 * would make php-wasm rotate the runtime once more.
 */
export const ENGINE_MISSING_ERROR = 'Playground Sync’s PHP is not on this site (lost with the PHP runtime): reinstall it';
const ENGINE_MISSING_CODE = 'engine-missing';
const taskCode = `<?php
if ( ! is_file( ${JSON.stringify(ENGINE_TASK_PATH)} ) || ! is_file( (string) getenv( 'PGSYNC_INPUT' ) ) ) {
  pgsync_answer_error( ${JSON.stringify(ENGINE_MISSING_ERROR)}, ${JSON.stringify(ENGINE_MISSING_CODE)} );
  return;
}
require ${JSON.stringify(ENGINE_TASK_PATH)};`;

let inputCounter = 0;
const encoder = new TextEncoder();

/** The task failed because the site lost the engine's files (its PHP or the task's input) with the runtime: worth running again once they are back. */
export function lostWithRuntime(error: unknown): boolean {
  return error instanceof PhpScriptError && error.code === ENGINE_MISSING_CODE;
}

/** The task's result, checked by `schema`. Throws `PhpScriptError` when PHP failed or answered nothing usable. */
export async function runEngineTask<TSchema extends v.GenericSchema>(
  client: SiteClient,
  task: EngineTask,
  input: unknown,
  schema: TSchema,
): Promise<v.InferOutput<TSchema>> {
  inputCounter += 1;
  const inputPath = `${ENGINE_DIR}/input-${task}-${Date.now()}-${inputCounter}.json`;
  try {
    return await runPhpScript(
      client,
      {
        what: task,
        code: taskCode,
        env: { PGSYNC_TASK: task, PGSYNC_INPUT: inputPath, PGSYNC_DOCROOT: await client.documentRoot },
        // As bytes: php-wasm writes a string into its file system many times slower than encoded bytes.
        inputs: [{ path: inputPath, data: encoder.encode(JSON.stringify(input)) }],
      },
      schema,
    );
  } catch (error) {
    // A task that answered its own error ran with the engine in place; anything else may be the engine's files going.
    if ((error instanceof PhpScriptError && error.failure === 'refused') || (await client.isDir(ENGINE_DIR).catch(() => true))) throw error;
    throw new PhpScriptError(task, 'run-failed', ENGINE_MISSING_ERROR, { code: ENGINE_MISSING_CODE, cause: error });
  } finally {
    await client.unlink(inputPath).catch(() => undefined);
  }
}
