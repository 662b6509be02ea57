// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import * as v from 'valibot';
import snapshotFactsSource from '../../php/snapshot-facts.php?raw';
import snapshotPackSource from '../../php/snapshot-pack.php?raw';
import snapshotPrepareSource from '../../php/snapshot-prepare.php?raw';
import { ENGINE_DIR } from '../../db/php-sources';
import { runBounded, type BoundedRunClient } from '../../platform/bounded-run';
import type { SiteClient } from '../../platform/site-client';

const SCRIPTS = {
  facts: snapshotFactsSource,
  pack: snapshotPackSource,
  prepare: snapshotPrepareSource,
} as const;

export type SnapshotScript = keyof typeof SCRIPTS;

/** Scratch files of a copy in progress (MEMFS outside /wordpress: no FS journal sees them). */
export const SNAPSHOT_WORK_DIR = `${ENGINE_DIR}/snapshot`;

const RESULT_MARKER = '\n@@PGSYNC_SNAPSHOT@@';
const AnswerSchema = v.variant('ok', [
  v.looseObject({ ok: v.literal(true) }),
  v.object({ ok: v.literal(false), error: v.string() }),
]);

let scratchCounter = 0;

/** A fresh path in the work directory (created on demand). */
export async function scratchPath(client: Pick<SiteClient, 'isDir' | 'mkdir'>, name: string): Promise<string> {
  if (!(await client.isDir(SNAPSHOT_WORK_DIR))) await client.mkdir(SNAPSHOT_WORK_DIR);
  scratchCounter += 1;
  return `${SNAPSHOT_WORK_DIR}/${Date.now()}-${scratchCounter}-${name}`;
}

/**
 * Runs one src/php/snapshot-*.php script through `client.run()`; input goes into a JSON file,
 * never into PHP source. Resolves with the answer checked by `schema`, throws its error.
 */
export async function runSnapshotScript<TSchema extends v.GenericSchema>(
  client: BoundedRunClient & Pick<SiteClient, 'isDir' | 'mkdir'>,
  script: SnapshotScript,
  schema: TSchema,
  options: { input?: unknown; env?: Record<string, string> } = {},
): Promise<v.InferOutput<TSchema>> {
  const inputPath = options.input === undefined ? null : await scratchPath(client, `${script}-input.json`);
  try {
    const response = await runBounded(client, {
      code: SCRIPTS[script],
      env: { ...options.env, ...(inputPath ? { PGSYNC_SNAPSHOT_INPUT: inputPath } : {}) },
      inputs: inputPath ? [{ path: inputPath, data: JSON.stringify(options.input) }] : [],
    });
    const at = response.text.lastIndexOf(RESULT_MARKER);
    if (at < 0) {
      throw new Error(`Snapshot ${script} gave no answer (exit ${response.exitCode}): ${`${response.text}\n${response.errors}`.trim().slice(0, 1000)}`);
    }
    const answer = v.parse(AnswerSchema, JSON.parse(response.text.slice(at + RESULT_MARKER.length)));
    if (!answer.ok) throw new Error(`Snapshot ${script} failed: ${answer.error}`);
    const parsed = v.safeParse(schema, answer);
    if (!parsed.success) throw new Error(`Snapshot ${script}: unexpected answer ${JSON.stringify(answer).slice(0, 500)}`);
    return parsed.output;
  } finally {
    if (inputPath) await client.unlink(inputPath).catch(() => undefined);
  }
}
