import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ANSWER_MARKER, PhpScriptError, readAnswer } from '../../src/platform/php-answer';

const Counted = v.object({ count: v.number() });
const response = (text: string, exitCode = 0, errors = '') => ({ text, errors, exitCode });
const answered = (envelope: unknown, before = '') => response(`${before}${ANSWER_MARKER}${JSON.stringify(envelope)}\n`);

function failure(run: () => unknown): PhpScriptError {
  try {
    run();
  } catch (error) {
    if (error instanceof PhpScriptError) return error;
    throw error;
  }
  throw new Error('no PhpScriptError thrown');
}

describe('reading the answer of a PHP script', () => {
  it('returns the result checked by the schema, whatever printed before the answer', () => {
    expect(readAnswer('pull', answered({ ok: true, result: { count: 3, extra: 'x' }, notices: '' }, 'Notice: x'), Counted)).toEqual({ count: 3 });
  });

  it('takes the last answer: one printed earlier (a plugin forging it) is not the script’s', () => {
    const forged = `${ANSWER_MARKER}${JSON.stringify({ ok: true, result: { count: 99 }, notices: '' })}`;
    expect(readAnswer('pull', answered({ ok: true, result: { count: 1 }, notices: forged }, forged), Counted)).toEqual({ count: 1 });
  });

  it('throws the script’s error with its code and what it printed', () => {
    const error = failure(() =>
      readAnswer('ID shard install', answered({ ok: false, error: { message: 'Already sharded', code: 'other-plan' }, notices: 'Warning: y\n' }), Counted),
    );
    expect(error).toMatchObject({ what: 'ID shard install', failure: 'refused', code: 'other-plan' });
    expect(error.message).toBe('Playground Sync ID shard install failed: Already sharded (PHP printed: Warning: y)');
  });

  it('gives no code when the script gave none', () => {
    const error = failure(() => readAnswer('pull', answered({ ok: false, error: { message: 'RuntimeException: no' }, notices: '' }), Counted));
    expect(error.code).toBeUndefined();
    expect(error.message).toBe('Playground Sync pull failed: RuntimeException: no');
  });

  it('says PHP gave no answer, with its exit code, output and errors', () => {
    const error = failure(() => readAnswer('copy facts', response('before', 255, 'PHP Fatal error: Uncaught Error: Call to undefined function x()'), Counted));
    expect(error.failure).toBe('no-answer');
    expect(error.message).toBe(
      'Playground Sync copy facts failed: no answer (PHP exit code 255); output: before; errors: PHP Fatal error: Uncaught Error: Call to undefined function x()',
    );
  });

  it('quotes only the start of a long output', () => {
    const error = failure(() => readAnswer('pull', response('x'.repeat(10_000), 255), Counted));
    expect(error.message.length).toBeLessThan(700);
    expect(error.message).toContain('(10000 characters)');
  });

  it('rejects an answer that is not JSON', () => {
    const error = failure(() => readAnswer('pull', response(`${ANSWER_MARKER}{"ok":true,"res`), Counted));
    expect(error.failure).toBe('bad-answer');
    expect(error.message).toMatch(/^Playground Sync pull failed: its answer is not JSON \(.+\): \{"ok":true,"res$/);
  });

  it('rejects JSON that is not the envelope', () => {
    for (const envelope of [{ notices: '', result: { count: 1 } }, { ok: true, result: { count: 1 } }, { ok: false, error: 'text', notices: '' }, [1]]) {
      const error = failure(() => readAnswer('pull', answered(envelope), Counted));
      expect(error.failure).toBe('bad-answer');
      expect(error.message).toMatch(/^Playground Sync pull failed: Rejected answer: /);
    }
  });

  it('rejects a result its schema does not accept, saying where', () => {
    const error = failure(() => readAnswer('file manifest', answered({ ok: true, result: { count: 'three' }, notices: '' }), Counted));
    expect(error.failure).toBe('bad-answer');
    expect(error.message).toMatch(/^Playground Sync file manifest failed: Rejected result: count: .+: \{"count":"three"\}$/);
  });
});
