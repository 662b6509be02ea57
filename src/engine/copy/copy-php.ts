// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import type * as v from 'valibot';
import copyFactsSource from '../../php/copy-facts.php?raw';
import copyPackSource from '../../php/copy-pack.php?raw';
import copyPrepareSource from '../../php/copy-prepare.php?raw';
import copyUpgradeSource from '../../php/copy-upgrade.php?raw';
import { ENGINE_DIR } from '../../db/php-sources';
import type { BoundedRunClient } from '../../platform/bounded-run';
import { runPhpScript } from '../../platform/php-script';
import type { SiteClient } from '../../platform/site-client';

const SCRIPTS = {
  facts: copyFactsSource,
  pack: copyPackSource,
  prepare: copyPrepareSource,
  upgrade: copyUpgradeSource,
} as const;

export type CopyScript = keyof typeof SCRIPTS;

/** Scratch files of a copy in progress (MEMFS outside /wordpress: no FS journal sees them). */
export const COPY_WORK_DIR = `${ENGINE_DIR}/copy`;

let scratchCounter = 0;

/** A fresh path in the work directory (created on demand). */
export async function scratchPath(client: Pick<SiteClient, 'isDir' | 'mkdir'>, name: string): Promise<string> {
  if (!(await client.isDir(COPY_WORK_DIR))) await client.mkdir(COPY_WORK_DIR);
  scratchCounter += 1;
  return `${COPY_WORK_DIR}/${Date.now()}-${scratchCounter}-${name}`;
}

/**
 * Runs one src/php/copy-*.php script through `client.run()`; input goes into a JSON file,
 * never into PHP source. Resolves with the result checked by `schema`; throws `PhpScriptError`.
 */
export async function runCopyScript<TSchema extends v.GenericSchema>(
  client: BoundedRunClient & Pick<SiteClient, 'isDir' | 'mkdir'>,
  script: CopyScript,
  schema: TSchema,
  options: { input?: unknown; env?: Record<string, string> } = {},
): Promise<v.InferOutput<TSchema>> {
  const inputPath = options.input === undefined ? null : await scratchPath(client, `${script}-input.json`);
  try {
    return await runPhpScript(
      client,
      {
        what: `copy ${script}`,
        code: SCRIPTS[script],
        env: { ...options.env, ...(inputPath ? { PGSYNC_COPY_INPUT: inputPath } : {}) },
        inputs: inputPath ? [{ path: inputPath, data: JSON.stringify(options.input) }] : [],
      },
      schema,
    );
  } finally {
    if (inputPath) await client.unlink(inputPath).catch(() => undefined);
  }
}
