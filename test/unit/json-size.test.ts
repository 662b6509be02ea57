import { describe, expect, it } from 'vitest';
import { jsonByteLength, jsonStringBytes, utf8Bytes } from '../../src/sync/json-size';

const exact = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/** A small deterministic generator, so a failure names the value it failed on. */
function randomValue(seed: number): unknown {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff), state / 0x7fffffff);
  const pieces = ['a', 'é', '"', '\\', '\n', '\u0001', '😀', '\u2028', '/', '<', ' ', 'Z9+'];
  const text = () => Array.from({ length: Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
  const make = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 3 ? 5 : 8));
    if (kind === 0) return text();
    if (kind === 1) return Math.floor(next() * 1e6) - 5e5;
    if (kind === 2) return next() * 1e-3;
    if (kind === 3) return next() < 0.5;
    if (kind === 4) return null;
    if (kind === 5) return Array.from({ length: Math.floor(next() * 5) }, () => (next() < 0.1 ? undefined : make(depth + 1)));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [text(), next() < 0.1 ? undefined : make(depth + 1)]));
  };
  return make(0);
}

describe('jsonByteLength', () => {
  it('is the UTF-8 length of JSON.stringify for 2,000 generated values', () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const value = randomValue(seed);
      expect([seed, jsonByteLength(value)]).toEqual([seed, exact(value)]);
    }
  });

  it('numbers as JSON writes them (exponents, non-finite as null, minus zero)', () => {
    for (const value of [1e21, 1.5e-7, -0, Number.NaN, Infinity, -Infinity, 2 ** 53]) expect(jsonByteLength([value])).toBe(exact([value]));
  });

  it('what JSON leaves out or writes as null: undefined members, functions, symbols in arrays', () => {
    const value = { a: undefined, b: () => 1, c: [undefined, () => 1, Symbol('x')], d: 1 };
    expect(jsonByteLength(value)).toBe(exact(value));
  });

  it('values that are not plain data are measured by JSON.stringify (Date, toJSON, deep nesting)', () => {
    const date = { when: new Date(0) };
    expect(jsonByteLength(date)).toBe(exact(date));
    const custom = { toJSON: () => 'short' };
    expect(jsonByteLength(custom)).toBe(exact(custom));
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(jsonByteLength(deep)).toBe(exact(deep));
  });

  it('throws where JSON.stringify throws (a cycle, a bigint)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonByteLength(cyclic)).toThrow();
    expect(() => jsonByteLength({ n: 1n })).toThrow();
  });

  it('stops counting past the limit, answering more than it', () => {
    const value = { list: Array.from({ length: 10_000 }, (_, index) => ({ index, text: 'x'.repeat(100) })) };
    const counted = jsonByteLength(value, 1_000);
    expect(counted).toBeGreaterThan(1_000);
    expect(counted).toBeLessThan(exact(value) / 100);
    expect(jsonByteLength(value, exact(value))).toBe(exact(value));
  });
});

describe('string measures', () => {
  it('jsonStringBytes counts escapes and UTF-8 inside the quotes', () => {
    for (const text of ['', 'plain', 'a"b', 'a\\b', '\n\t', '\u0000', 'é', '😀', '\u2028', 'x'.repeat(1000)]) {
      expect(jsonStringBytes(text)).toBe(exact(text) - 2);
    }
  });

  it('utf8Bytes is the encoded length', () => {
    for (const text of ['', 'ascii only', 'é', '😀 and more', '\u007f\u0080']) expect(utf8Bytes(text)).toBe(new TextEncoder().encode(text).length);
  });
});
