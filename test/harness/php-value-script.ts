import type { PHP } from '@php-wasm/universal';
import { expect } from 'vitest';

/**
 * Runs a PHP function on one column value in bare PHP and reads back exactly what it returned:
 * strings travel base64 both ways, so every byte is compared. The script (`/sync/run.php`) reads
 * `$value` and the rest of the input (`$in`) with VALUE_SCRIPT_INPUT, sets `$out`, and ends with
 * VALUE_SCRIPT_OUTPUT, which also says whether the result unserializes (with `$in['allowed']`
 * classes) and what it holds.
 */

export const VALUE_SCRIPT_INPUT = `$in = json_decode(file_get_contents('/sync/in.json'), true);
$value = is_array($in['value']) ? base64_decode($in['value']['b64']) : $in['value'];`;

export const VALUE_SCRIPT_OUTPUT = `function normalize($value) {
	if (is_object($value)) {
		$value = array('__object' => true) + (array) $value;
	}
	return is_array($value) ? array_map('normalize', $value) : $value;
}
$result = array('type' => gettype($out));
if (is_string($out)) {
	$result['b64'] = base64_encode($out);
	$data = @unserialize($out, array('allowed_classes' => $in['allowed'] ?? false));
	$result['unserializes'] = false !== $data || 'b:0;' === $out;
	$result['data'] = normalize($data);
} else {
	$result['value'] = $out;
}
echo json_encode($result, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);`;

export interface ScriptValue {
  readonly type: string;
  /** A string result as UTF-8 text, and as its bytes. */
  readonly text: string;
  readonly raw: Buffer;
  readonly unserializes: boolean;
  readonly data: unknown;
  /** A result that is not a string. */
  readonly value: unknown;
  /** What the script answered instead of a result (it caught an exception). */
  readonly error?: string;
}

export type ScriptInput = string | Uint8Array | number | boolean | null;

/** Runs `/sync/run.php` on `value`, with `rest` beside it in the input. */
export async function runValueScript(php: PHP, value: ScriptInput, rest: Record<string, unknown>): Promise<ScriptValue> {
  const encoded = typeof value === 'string' || value instanceof Uint8Array ? { b64: Buffer.from(value).toString('base64') } : value;
  php.writeFile('/sync/in.json', JSON.stringify({ ...rest, value: encoded }));
  const response = await php.run({ scriptPath: '/sync/run.php' });
  expect(response.errors).toBe('');
  expect(response.exitCode).toBe(0);
  const result = JSON.parse(response.text) as Omit<ScriptValue, 'text' | 'raw'> & { b64?: string };
  const raw = Buffer.from(result.b64 ?? '', 'base64');
  return { ...result, raw, text: raw.toString('utf8') };
}
