import * as v from 'valibot';
import { parseMessage } from '../protocol/validate';
import type { PhpResult } from './site-client';

/**
 * Reads the one answer every script the extension runs gives (src/php/answer.php): after the last
 * ANSWER_MARKER, `{ok: true, result, notices}` or `{ok: false, error: {message, code?}, notices}`.
 */

export const ANSWER_MARKER = '\n@@PGSYNC_RESULT@@';

const EnvelopeSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), result: v.unknown(), notices: v.string() }),
  v.object({ ok: v.literal(false), error: v.object({ message: v.string(), code: v.optional(v.string()) }), notices: v.string() }),
]);

/** Characters of PHP's output, errors or notices quoted in an error message. */
const EXCERPT_CHARACTERS = 500;

/**
 * - `refused`: the script answered an error (its message, and its `code` when it gave one);
 * - `no-answer`: PHP printed no answer (a fatal error, an exit);
 * - `bad-answer`: an answer that is not the envelope, or a result its schema rejects;
 * - `run-failed`: the run itself failed (the site refused it, PHP exited with an error).
 */
export type PhpScriptFailure = 'refused' | 'no-answer' | 'bad-answer' | 'run-failed';

/** Whatever went wrong running a script, named after it: `what` says which ("pull", "ID shard survey"). */
export class PhpScriptError extends Error {
  override readonly name = 'PhpScriptError';
  /** Only there when the script gave one (the journal shows an error's `code` when it has one). */
  declare readonly code?: string;

  constructor(
    readonly what: string,
    readonly failure: PhpScriptFailure,
    reason: string,
    options: { code?: string; cause?: unknown } = {},
  ) {
    super(`Playground Sync ${what} failed: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.code !== undefined) this.code = options.code;
  }
}

/** The script's result, checked by `schema`; throws `PhpScriptError` otherwise. */
export function readAnswer<TSchema extends v.GenericSchema>(
  what: string,
  response: Pick<PhpResult, 'text' | 'errors' | 'exitCode'>,
  schema: TSchema,
): v.InferOutput<TSchema> {
  const text = response.text;
  const at = text.lastIndexOf(ANSWER_MARKER);
  if (at < 0) {
    throw new PhpScriptError(what, 'no-answer', `no answer (PHP exit code ${response.exitCode})${printed(text, response.errors)}`);
  }
  const answerText = text.slice(at + ANSWER_MARKER.length);
  let json: unknown;
  try {
    json = JSON.parse(answerText);
  } catch (error) {
    throw new PhpScriptError(what, 'bad-answer', `its answer is not JSON (${error instanceof Error ? error.message : String(error)}): ${excerpt(answerText)}`);
  }
  const envelope = parseMessage(EnvelopeSchema, json, 'answer');
  if (!envelope.ok) throw new PhpScriptError(what, 'bad-answer', `${envelope.error}: ${excerpt(answerText)}`);
  const answer = envelope.value;
  if (!answer.ok) {
    const notices = answer.notices.trim() ? ` (PHP printed: ${excerpt(answer.notices.trim())})` : '';
    throw new PhpScriptError(what, 'refused', `${answer.error.message}${notices}`, answer.error.code === undefined ? {} : { code: answer.error.code });
  }
  const result = parseMessage(schema, answer.result, 'result');
  if (!result.ok) throw new PhpScriptError(what, 'bad-answer', `${result.error}: ${excerpt(JSON.stringify(answer.result) ?? 'undefined')}`);
  return result.value;
}

function printed(output: string, errors: string): string {
  const parts = [output.trim() && `output: ${excerpt(output.trim())}`, errors.trim() && `errors: ${excerpt(errors.trim())}`].filter(Boolean);
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}

function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARACTERS ? text : `${text.slice(0, EXCERPT_CHARACTERS)}… (${text.length} characters)`;
}
