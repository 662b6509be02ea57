import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lostWithRuntime } from '../../src/db';
import { runEngineTask } from '../../src/db/engine-task';
import { ENGINE_DIR, ENGINE_TASK_PATH } from '../../src/db/php-sources';
import { PhpScriptError } from '../../src/platform/php-answer';
import { runPhpScript } from '../../src/platform/php-script';
import { bootNodeSite, type NodeSite } from '../harness';

/**
 * Every script the extension runs answers through src/php/answer.php and is read by one runner:
 * on real PHP, its result arrives whatever else printed, and every way it can go wrong is one
 * error that names the script and says what happened.
 */

let site: NodeSite;

beforeAll(async () => {
  site = await bootNodeSite({ wp: 'nightly', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:php-script/' });
});

afterAll(async () => {
  await site?.[Symbol.asyncDispose]();
});

const Greeting = v.object({ greeting: v.string() });

async function failureOf(run: Promise<unknown>): Promise<PhpScriptError> {
  const error = await run.then(
    () => new Error('resolved'),
    (reason: unknown) => reason,
  );
  if (error instanceof PhpScriptError) return error;
  throw error;
}

describe('a PHP script run through the runner', () => {
  it('answers its result, with what printed before it held and what printed after it swallowed', async () => {
    const result = await runPhpScript(
      site.client,
      {
        what: 'greeting',
        code: `<?php echo "printed first"; trigger_error('a notice'); register_shutdown_function(function () { echo "printed at shutdown"; });
pgsync_answer( array( 'greeting' => 'hello ' . getenv( 'NAME' ) ) );
echo "printed after";`,
        env: { NAME: 'you' },
      },
      Greeting,
    );
    expect(result).toEqual({ greeting: 'hello you' });
  });

  it('throws the error the script answered, with its code and what it printed', async () => {
    const error = await failureOf(
      runPhpScript(site.client, { what: 'refusing script', code: `<?php echo "some notice"; pgsync_answer_error( new RuntimeException( 'not today' ), 'not-today' );` }, Greeting),
    );
    expect(error).toMatchObject({ failure: 'refused', code: 'not-today', what: 'refusing script' });
    expect(error.message).toBe('Playground Sync refusing script failed: RuntimeException: not today (PHP printed: some notice)');
  });

  it('names the script and the PHP fatal error when the script dies', async () => {
    const error = await failureOf(runPhpScript(site.client, { what: 'broken script', code: '<?php pgsync_no_such_function();' }, Greeting));
    expect(['run-failed', 'no-answer']).toContain(error.failure);
    expect(error.message).toMatch(/^Playground Sync broken script failed: .*Call to undefined function pgsync_no_such_function/s);
  });

  it('says so when a script prints a malformed answer, or a result the caller does not expect', async () => {
    const malformed = await failureOf(runPhpScript(site.client, { what: 'garbled script', code: `<?php echo "\\n@@PGSYNC_RESULT@@{\\"ok\\":tru";` }, Greeting));
    expect(malformed.failure).toBe('bad-answer');
    expect(malformed.message).toMatch(/^Playground Sync garbled script failed: its answer is not JSON .*\{"ok":tru$/);
    const unexpected = await failureOf(runPhpScript(site.client, { what: 'odd script', code: `<?php pgsync_answer( array( 'greeting' => 42 ) );` }, Greeting));
    expect(unexpected.failure).toBe('bad-answer');
    expect(unexpected.message).toMatch(/^Playground Sync odd script failed: Rejected result: greeting: .*\{"greeting":42\}$/);
  });

  it('answers an error for a result PHP cannot encode, instead of dying', async () => {
    const error = await failureOf(runPhpScript(site.client, { what: 'infinite script', code: `<?php pgsync_answer( array( 'greeting' => INF ) );` }, Greeting));
    expect(error.failure).toBe('refused');
    expect(error.message).toMatch(/^Playground Sync infinite script failed: The answer could not be encoded as JSON: /);
  });
});

describe('an engine task through the runner', () => {
  it('names the task and the fatal error when the engine’s PHP dies, and tells a lost engine apart', async () => {
    await site.client.mkdir(ENGINE_DIR);
    await site.client.writeFile(ENGINE_TASK_PATH, '<?php pgsync_engine_no_such_function();');
    try {
      const error = await failureOf(runEngineTask(site.client, 'pull', {}, v.unknown()));
      expect(error.message).toMatch(/^Playground Sync pull failed: .*Call to undefined function pgsync_engine_no_such_function/s);
      expect(lostWithRuntime(error)).toBe(false);
      await site.client.unlink(ENGINE_TASK_PATH);
      const lost = await failureOf(runEngineTask(site.client, 'pull', {}, v.unknown()));
      expect(lost.message).toMatch(/^Playground Sync pull failed: Playground Sync’s PHP is not on this site/);
      expect(lostWithRuntime(lost)).toBe(true);
    } finally {
      await site.client.rmdir(ENGINE_DIR, { recursive: true }).catch(() => undefined);
    }
  });
});
