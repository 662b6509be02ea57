/** Bytes ⇄ base64 in every context (browser, service worker, Node), for JSON-only transports. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two base64 digits for every 12-bit value: a blob chunk is encoded a few times faster than through `btoa`. */
let pairs: string[] | null = null;

type NativeBase64 = { toBase64?: () => string };
/** Node's Buffer (the tests, the benches): native both ways where `toBase64`/`fromBase64` are missing. */
type NodeBuffer = { from(bytes: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64'): string }; from(text: string, encoding: 'base64'): Uint8Array };
const nodeBuffer = (globalThis as unknown as { Buffer?: NodeBuffer }).Buffer;
/** `Uint8Array.fromBase64` where the runtime has it (recent Chrome): no string of one char per byte. */
const nativeFromBase64 = (Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array }).fromBase64;

export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as Uint8Array & NativeBase64).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  if (nodeBuffer) return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  pairs ??= Array.from({ length: 4096 }, (_, value) => ALPHABET[value >> 6]! + ALPHABET[value & 63]!);
  const parts: string[] = [];
  let part = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const value = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    part += pairs[value >> 12]! + pairs[value & 4095]!;
    if (part.length >= 8192) {
      parts.push(part);
      part = '';
    }
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const value = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    part += ALPHABET[value >> 18]! + ALPHABET[(value >> 12) & 63]! + (rest === 2 ? ALPHABET[(value >> 6) & 63]! : '=') + '=';
  }
  parts.push(part);
  return parts.join('');
}

export function base64ToBytes(text: string): Uint8Array {
  if (typeof nativeFromBase64 === 'function') return nativeFromBase64.call(Uint8Array, text);
  if (nodeBuffer) {
    // Buffer skips what is not base64; atob and fromBase64 throw.
    if (!/^[A-Za-z0-9+/=\s]*$/.test(text)) throw new SyntaxError('The string to be decoded is not correctly encoded.');
    const decoded = nodeBuffer.from(text, 'base64');
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
