/**
 * The UTF-8 bytes of `JSON.stringify(value)`, counted without building that text (a blob chunk's
 * envelope would be copied whole just to be measured). Counting stops once past `limit`: the
 * answer is then some number over it. Values JSON does not have (a cycle, a Date, a Map) are
 * measured by `JSON.stringify` itself, which throws where it cannot.
 */
export function jsonByteLength(value: unknown, limit = Infinity): number {
  const counter = { bytes: 0, limit };
  return measure(value, counter, 0) ? counter.bytes : exactJsonBytes(value);
}

/** Nesting past this is measured by `JSON.stringify` (no recursion that deep here). */
const MAX_WALKED_DEPTH = 64;
/** Characters that stand for themselves in a JSON string, one byte each. */
const NEEDS_ESCAPE_OR_MULTIBYTE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const encoder = new TextEncoder();

function exactJsonBytes(value: unknown): number {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? 0 : encoder.encode(text).length;
}

// eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: any non-ASCII character
const NOT_ASCII = /[^\x00-\x7f]/;

/** Bytes of `text` as UTF-8 (ASCII text, the common case, is not encoded to be counted). */
export function utf8Bytes(text: string): number {
  return NOT_ASCII.test(text) ? encoder.encode(text).length : text.length;
}

/** Bytes `text` takes inside a JSON string literal, as UTF-8 (escapes included, quotes not). */
export function jsonStringBytes(text: string): number {
  return NEEDS_ESCAPE_OR_MULTIBYTE.test(text) ? encoder.encode(JSON.stringify(text)).length - 2 : text.length;
}

/** Adds `value`'s bytes to `counter`; false when it is not plain JSON data (then measured exactly by the caller). */
function measure(value: unknown, counter: { bytes: number; limit: number }, depth: number): boolean {
  if (counter.bytes > counter.limit) return true;
  switch (typeof value) {
    case 'string':
      counter.bytes += jsonStringBytes(value) + 2;
      return true;
    case 'number':
    case 'boolean':
      counter.bytes += JSON.stringify(value).length;
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    counter.bytes += 4;
    return true;
  }
  if (depth >= MAX_WALKED_DEPTH) return false;
  if (Array.isArray(value)) {
    counter.bytes += 2 + Math.max(0, value.length - 1);
    for (const item of value) {
      // JSON writes `null` for what it cannot put in an array.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') counter.bytes += 4;
      else if (!measure(item, counter, depth + 1)) return false;
      if (counter.bytes > counter.limit) return true;
    }
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if ((prototype !== Object.prototype && prototype !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  let members = 0;
  counter.bytes += 2;
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    counter.bytes += (members++ > 0 ? 1 : 0) + jsonStringBytes(key) + 3;
    if (!measure(item, counter, depth + 1)) return false;
    if (counter.bytes > counter.limit) return true;
  }
  return true;
}
