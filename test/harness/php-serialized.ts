/**
 * Rewrites the strings inside a PHP-serialized value and recomputes their byte lengths, without
 * unserializing (no classes needed, nothing executed, objects and references kept as written).
 *
 * Grammar handled (what PHP's `serialize()` writes): `N;` `b:0;` `i:-1;` `d:0.5;` `s:3:"abc";`
 * `a:1:{…}` `O:8:"stdClass":1:{…}` `E:9:"Enum:Case";` `r:1;` `R:1;`. Custom-serialized objects
 * (`C:…:{raw}`) keep their raw payload unchanged. Lengths are UTF-8 byte counts, as in PHP.
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

const QUOTE = 0x22;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const OPEN = 0x7b;
const CLOSE = 0x7d;

class NotSerialized extends Error {}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  peek(): number {
    const byte = this.bytes[this.pos];
    if (byte === undefined) throw new NotSerialized('unexpected end');
    return byte;
  }

  expect(byte: number): void {
    if (this.peek() !== byte) throw new NotSerialized(`expected ${String.fromCharCode(byte)} at ${this.pos}`);
    this.pos += 1;
  }

  /** Bytes up to (not including) `stop`, which is consumed. */
  until(stop: number): Uint8Array {
    const end = this.bytes.indexOf(stop, this.pos);
    if (end < 0) throw new NotSerialized(`missing ${String.fromCharCode(stop)}`);
    const slice = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return slice;
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.bytes.length) throw new NotSerialized('length runs past the end');
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  count(stop: number): number {
    const text = ascii(this.until(stop));
    if (!/^\d+$/.test(text)) throw new NotSerialized(`bad count ${text}`);
    return Number(text);
  }

  /** `"<length bytes>"` after a `<length>:` prefix. */
  quoted(): Uint8Array {
    const length = this.count(COLON);
    this.expect(QUOTE);
    const payload = this.take(length);
    this.expect(QUOTE);
    return payload;
  }
}

function ascii(bytes: Uint8Array): string {
  // Counts and scalars are short; anything longer is not a serialized token.
  if (bytes.length > 400) throw new NotSerialized('token too long');
  return String.fromCharCode(...bytes);
}

function decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new NotSerialized('string payload is not UTF-8');
  }
}

function serializedString(text: string): string {
  return `s:${encoder.encode(text).length}:"${text}";`;
}

function readValue(reader: Reader, transform: (text: string) => string): string {
  const type = String.fromCharCode(reader.peek());
  reader.pos += 1;
  if (type === 'N') {
    reader.expect(SEMICOLON);
    return 'N;';
  }
  reader.expect(COLON);
  switch (type) {
    case 'b':
    case 'i':
    case 'd':
    case 'r':
    case 'R': {
      const scalar = ascii(reader.until(SEMICOLON));
      const valid =
        type === 'b'
          ? /^[01]$/.test(scalar)
          : type === 'd'
            ? /^(-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?INF|NAN)$/.test(scalar)
            : /^-?\d+$/.test(scalar);
      if (!valid) throw new NotSerialized(`bad ${type} value`);
      return `${type}:${scalar};`;
    }
    case 's': {
      const text = transform(decode(reader.quoted()));
      reader.expect(SEMICOLON);
      return serializedString(text);
    }
    case 'E': {
      const name = decode(reader.quoted());
      reader.expect(SEMICOLON);
      return `E:${encoder.encode(name).length}:"${name}";`;
    }
    case 'a': {
      const entries = reader.count(COLON);
      return `a:${entries}:${readEntries(reader, entries, transform)}`;
    }
    case 'O': {
      const className = decode(reader.quoted());
      reader.expect(COLON);
      const entries = reader.count(COLON);
      return `O:${encoder.encode(className).length}:"${className}":${entries}:${readEntries(reader, entries, transform)}`;
    }
    case 'C': {
      const className = decode(reader.quoted());
      reader.expect(COLON);
      const length = reader.count(COLON);
      reader.expect(OPEN);
      const raw = decode(reader.take(length));
      reader.expect(CLOSE);
      return `C:${encoder.encode(className).length}:"${className}":${length}:{${raw}}`;
    }
    default:
      throw new NotSerialized(`unknown type ${type}`);
  }
}

function readEntries(reader: Reader, entries: number, transform: (text: string) => string): string {
  reader.expect(OPEN);
  let out = '{';
  for (let index = 0; index < entries * 2; index += 1) out += readValue(reader, transform);
  reader.expect(CLOSE);
  return `${out}}`;
}

/**
 * Applies `transform` to every string (keys included) inside `text` if `text` is exactly one
 * PHP-serialized value, and returns the re-serialized text with correct lengths. Returns `null`
 * when `text` is not a complete serialized value (then treat it as plain text).
 */
export function mapSerializedStrings(text: string, transform: (inner: string) => string): string | null {
  if (!/^(?:[Nbidrsa]|O|E|C|R)[:;]/.test(text)) return null;
  const reader = new Reader(encoder.encode(text));
  try {
    const out = readValue(reader, transform);
    return reader.pos === reader.bytes.length ? out : null;
  } catch (error) {
    if (error instanceof NotSerialized) return null;
    throw error;
  }
}

/** A value PHP's `serialize()` writes in the shapes tests need (no objects). */
export type PhpValue = string | number | null | boolean | readonly PhpValue[] | { readonly [key: string]: PhpValue };

/** PHP `serialize()` of `value`: string lengths in UTF-8 bytes, integers as `i:`, other numbers as `d:`. */
export function serializePhp(value: PhpValue): string {
  if (value === null) return 'N;';
  if (typeof value === 'boolean') return `b:${value ? 1 : 0};`;
  if (typeof value === 'number') return Number.isInteger(value) ? `i:${value};` : `d:${value};`;
  if (typeof value === 'string') return `s:${encoder.encode(value).length}:"${value}";`;
  const entries: [PhpValue, PhpValue][] = Array.isArray(value)
    ? value.map((item: PhpValue, index: number) => [index, item])
    : Object.entries(value);
  return `a:${entries.length}:{${entries.map(([key, item]) => serializePhp(key) + serializePhp(item)).join('')}}`;
}
