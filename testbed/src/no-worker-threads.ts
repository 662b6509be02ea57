/**
 * Browser stand-in for Node's `worker_threads`, which @php-wasm/universal imports only on a
 * Node-only code path (synchronous message ports). Aliased in vite.config.ts.
 */
export function receiveMessageOnPort(): never {
  throw new Error('worker_threads is not available in the browser.');
}
