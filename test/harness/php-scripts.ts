import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import type { SiteClient } from '../../src/platform/site-client';

/**
 * The harness's PHP lives in real .php files next to this module (test/harness/php/). A script is
 * the shared database prelude plus one task file, sent as one `run()`; it answers with one JSON
 * document after a marker line, so notices printed while WordPress loads cannot corrupt it.
 */

export type HarnessScript = 'dump-state' | 'find-url-cells' | 'update-cells' | 'site-facts';

const RESULT_MARKER = '\n@@PG_HARNESS_RESULT@@';
const sources = new Map<string, string>();

export function phpSource(name: string): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = readFileSync(new URL(`./php/${name}.php`, import.meta.url), 'utf8');
    sources.set(name, source);
  }
  return source;
}

/** The prelude and the task as one program (the task's own `<?php` opener dropped). */
function program(script: HarnessScript): string {
  return `${phpSource('db-prelude')}\n${phpSource(script).replace(/^<\?php\s*/, '')}`;
}

const EnvelopeSchema = v.object({ notices: v.string(), result: v.unknown() });

export interface ScriptAnswer {
  readonly result: unknown;
  /** Whatever WordPress printed while loading (warnings, notices); normally empty. */
  readonly notices: string;
}

/**
 * Runs a harness script through `client.run()` (the same call the extension makes) and returns
 * its parsed answer. Throws with PHP's output when the script fails or answers nothing.
 */
export async function runHarnessScript(
  client: SiteClient,
  script: HarnessScript,
  env: Record<string, string> = {},
): Promise<ScriptAnswer> {
  const documentRoot = await client.documentRoot;
  const response = await client.run({ code: program(script), env: { ...env, PG_HARNESS_DOCROOT: documentRoot } });
  const text = response.text;
  const at = text.lastIndexOf(RESULT_MARKER);
  if (at < 0) {
    throw new Error(`Harness script ${script} gave no result (exit ${response.exitCode}):\n${text}\n${response.errors}`);
  }
  const envelope = v.parse(EnvelopeSchema, JSON.parse(text.slice(at + RESULT_MARKER.length)));
  return { result: envelope.result, notices: `${text.slice(0, at)}${envelope.notices}`.trim() };
}
