// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import boundedRunPrologue from '../php/bounded-run.php?raw';
import type { PhpResult, SiteClient } from './site-client';

/**
 * Every message between the extension and a site stays under 256 KiB (the page bridge's
 * MessagePort, and the page's own channel to its PHP worker): a PHP run whose input or answer is
 * bigger goes in pieces of at most PIECE_BYTES, each a call of its own.
 *
 * - Input files are written in pieces; PHP joins them before the script starts.
 * - The script's output is held by a prologue put before its code (src/php/bounded-run.php); a
 *   long one is written in pieces and only a stub is answered, and the pieces are read back here.
 * The caller sees one ordinary `PhpResult`.
 */

/** Largest message between the extension and a site. */
export const SITE_MESSAGE_MAX_BYTES = 256 * 1024;
/** Bytes of one input or output piece (room is left for the call around it). */
export const PIECE_BYTES = 192 * 1024;
/** Where a long answer waits to be read (shared by every PHP instance of the site, outside /wordpress). */
export const SPOOL_ROOT = '/internal/shared/playground-sync-spool';

const SPOOLED_MARKER = '@@PGSYNC_SPOOLED@@';
const encoder = new TextEncoder();
const markerBytes = encoder.encode(SPOOLED_MARKER);
let runCounter = 0;

export type BoundedRunClient = Pick<SiteClient, 'run' | 'writeFile' | 'readFileAsBuffer' | 'unlink' | 'rmdir'>;

export interface BoundedRunRequest {
  /** PHP source starting with `<?php`. */
  readonly code: string;
  readonly env?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** Files the script reads, written (in pieces when long) before it runs; the caller removes them. */
  readonly inputs?: readonly { readonly path: string; readonly data: string | Uint8Array }[];
}

export class SiteMessageTooLargeError extends Error {
  constructor(what: string, bytes: number) {
    super(`${what} would be a ${bytes}-byte message to the site (at most ${SITE_MESSAGE_MAX_BYTES})`);
    this.name = 'SiteMessageTooLargeError';
  }
}

/** Runs `request.code` on the site with every call it takes under SITE_MESSAGE_MAX_BYTES. */
export async function runBounded(client: BoundedRunClient, request: BoundedRunRequest): Promise<PhpResult> {
  if (!request.code.startsWith('<?php')) throw new Error('A bounded run needs PHP code that starts with <?php');
  runCounter += 1;
  const spoolDir = `${SPOOL_ROOT}/${Date.now()}-${runCounter}-${Math.random().toString(36).slice(2, 10)}`;
  const pieced: { path: string; pieces: number }[] = [];
  for (const input of request.inputs ?? []) {
    const bytes = typeof input.data === 'string' ? encoder.encode(input.data) : input.data;
    if (bytes.byteLength <= PIECE_BYTES) {
      await client.writeFile(input.path, bytes);
      continue;
    }
    const pieces = Math.ceil(bytes.byteLength / PIECE_BYTES);
    for (let index = 0; index < pieces; index++) {
      await client.writeFile(`${input.path}.piece-${index}`, bytes.subarray(index * PIECE_BYTES, (index + 1) * PIECE_BYTES));
    }
    pieced.push({ path: input.path, pieces });
  }
  const env = {
    ...request.env,
    PGSYNC_SPOOL_DIR: spoolDir,
    PGSYNC_SPOOL_PIECE: String(PIECE_BYTES),
    ...(pieced.length > 0 ? { PGSYNC_SPOOL_INPUTS: JSON.stringify(pieced) } : {}),
  };
  const code = boundedRunPrologue + request.code;
  const requestBytes = code.length + JSON.stringify(env).length + (typeof request.body === 'string' ? request.body.length : (request.body?.byteLength ?? 0));
  if (requestBytes > SITE_MESSAGE_MAX_BYTES) throw new SiteMessageTooLargeError('A PHP run request', requestBytes);
  let response: PhpResult;
  try {
    response = await client.run({ code, env, ...(request.body === undefined ? {} : { body: request.body }) });
  } catch (error) {
    // A run that failed before the prologue joined its inputs leaves their pieces behind.
    for (const { path, pieces } of pieced) {
      for (let index = 0; index < pieces; index++) await client.unlink(`${path}.piece-${index}`).catch(() => undefined);
    }
    throw error;
  }
  return startsWith(response.bytes, markerBytes) ? await readSpooled(client, response, spoolDir) : response;
}

async function readSpooled(client: BoundedRunClient, response: PhpResult, spoolDir: string): Promise<PhpResult> {
  try {
    const lineEnd = response.bytes.indexOf(0x0a);
    const stub = JSON.parse(new TextDecoder().decode(response.bytes.subarray(markerBytes.length, lineEnd))) as { pieces: number; bytes: number };
    // Whatever printed after the output was ended (late shutdown functions) follows the stub.
    const after = response.bytes.subarray(lineEnd + 1);
    const bytes = new Uint8Array(stub.bytes + after.byteLength);
    let at = 0;
    for (let index = 0; index < stub.pieces; index++) {
      const piece = await client.readFileAsBuffer(`${spoolDir}/${index}`);
      if (at + piece.byteLength > stub.bytes) throw new Error(`piece ${index} runs past the ${stub.bytes} bytes announced`);
      bytes.set(piece, at);
      at += piece.byteLength;
    }
    if (at !== stub.bytes) throw new Error(`${at} of the ${stub.bytes} bytes announced`);
    bytes.set(after, at);
    return resultWithBytes(response, bytes);
  } catch (error) {
    throw new Error(`Could not read a long PHP answer back from ${spoolDir}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.rmdir(spoolDir, { recursive: true }).catch(() => undefined);
  }
}

function resultWithBytes(response: PhpResult, bytes: Uint8Array): PhpResult {
  return {
    bytes,
    errors: response.errors,
    exitCode: response.exitCode,
    httpStatusCode: response.httpStatusCode,
    headers: response.headers,
    get text() {
      return new TextDecoder().decode(bytes);
    },
  };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.byteLength < prefix.byteLength) return false;
  for (let index = 0; index < prefix.byteLength; index++) if (bytes[index] !== prefix[index]) return false;
  return true;
}
