import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../src/platform/base64';

describe('base64', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 100, 8191, 147_456, 147_457])('matches the standard encoding for %i random bytes, both ways', (length) => {
    const bytes = new Uint8Array(length).map(() => Math.floor(Math.random() * 256));
    const text = bytesToBase64(bytes);
    expect(text).toBe(Buffer.from(bytes).toString('base64'));
    expect(base64ToBytes(text)).toEqual(bytes);
  });
});
