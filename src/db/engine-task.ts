import * as v from 'valibot';
import { runBounded, type BoundedRunClient, type BoundedRunRequest } from '../platform/bounded-run';
import type { SiteClient } from '../platform/site-client';
import { parseMessage } from '../protocol/validate';
import { ENGINE_DIR, ENGINE_TASK_PATH } from './php-sources';

/**
 * Runs one task of src/php/engine-task.php through `client.run()`. The input goes into a JSON
 * file (never into PHP source); the answer comes back after a marker line. Other PHP that answers
 * the same way (the content summary) runs through `runAnsweringPhp`.
 */

export type EngineTask = 'install' | 'pull' | 'apply' | 'uninstall';

const RESULT_MARKER = '\n@@PGSYNC_RESULT@@';
const AnswerSchema = v.object({ notices: v.string(), result: v.unknown() });
const TaskErrorSchema = v.object({ status: v.literal('error'), error: v.string() });

/**
 * The engine's PHP may be gone (older Playground builds lose /internal when they rotate the
 * runtime, possibly at the start of this very request, or while another PHP instance's request
 * runs, taking the task's input file with it): answered as a task error, not a PHP fatal, which
 * would make php-wasm rotate the runtime once more.
 */
export const ENGINE_MISSING_ERROR = 'Playground Sync’s PHP is not on this site (lost with the PHP runtime): reinstall it';
const taskCode = `<?php
if ( ! is_file( ${JSON.stringify(ENGINE_TASK_PATH)} ) || ! is_file( (string) getenv( 'PGSYNC_INPUT' ) ) ) {
  echo ${JSON.stringify(RESULT_MARKER)}, json_encode( array( 'notices' => '', 'result' => array( 'status' => 'error', 'error' => ${JSON.stringify(ENGINE_MISSING_ERROR)} ) ) );
  return;
}
require ${JSON.stringify(ENGINE_TASK_PATH)};`;

let inputCounter = 0;
const encoder = new TextEncoder();

/** The task failed because the site lost the engine's files (its PHP or the task's input) with the runtime: worth running again once they are back. */
export function lostWithRuntime(error: unknown): boolean {
  return error instanceof EngineTaskError && error.message.includes(ENGINE_MISSING_ERROR);
}

export class EngineTaskError extends Error {
  constructor(
    readonly task: string,
    message: string,
  ) {
    super(`Playground Sync ${task} failed: ${message}`);
    this.name = 'EngineTaskError';
  }
}

/** The task's result, checked by `schema`. Throws `EngineTaskError` when PHP failed or answered nothing. */
export async function runEngineTask<TSchema extends v.GenericSchema>(
  client: SiteClient,
  task: EngineTask,
  input: unknown,
  schema: TSchema,
): Promise<v.InferOutput<TSchema>> {
  inputCounter += 1;
  const inputPath = `${ENGINE_DIR}/input-${task}-${Date.now()}-${inputCounter}.json`;
  try {
    return await runAnsweringPhp(
      client,
      task,
      {
        code: taskCode,
        env: { PGSYNC_TASK: task, PGSYNC_INPUT: inputPath, PGSYNC_DOCROOT: await client.documentRoot },
        // As bytes: php-wasm writes a string into its file system many times slower than encoded bytes.
        inputs: [{ path: inputPath, data: encoder.encode(JSON.stringify(input)) }],
      },
      schema,
    );
  } catch (error) {
    if (error instanceof EngineTaskError || (await client.isDir(ENGINE_DIR).catch(() => true))) throw error;
    throw new EngineTaskError(task, ENGINE_MISSING_ERROR);
  } finally {
    await client.unlink(inputPath).catch(() => undefined);
  }
}

/**
 * Runs PHP that answers as engine-task.php does: `{notices, result}` as JSON after the last
 * RESULT_MARKER, `result` being `{status: 'error', error}` on failure. Returns `result` checked
 * by `schema`; throws `EngineTaskError` (labelled `what`) otherwise.
 */
export async function runAnsweringPhp<TSchema extends v.GenericSchema>(
  client: BoundedRunClient,
  what: string,
  request: BoundedRunRequest,
  schema: TSchema,
): Promise<v.InferOutput<TSchema>> {
  const response = await runBounded(client, request);
  const at = response.text.lastIndexOf(RESULT_MARKER);
  if (at < 0) {
    throw new EngineTaskError(what, `no answer (exit ${response.exitCode}): ${response.text}\n${response.errors}`.trim());
  }
  const answer = v.parse(AnswerSchema, JSON.parse(response.text.slice(at + RESULT_MARKER.length)));
  const failure = v.safeParse(TaskErrorSchema, answer.result);
  if (failure.success) throw new EngineTaskError(what, failure.output.error);
  const parsed = parseMessage(schema, answer.result, `${what} answer`);
  if (!parsed.ok) throw new EngineTaskError(what, parsed.error);
  return parsed.value;
}
