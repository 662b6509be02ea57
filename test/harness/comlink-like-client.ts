import type { MessageListener } from '@php-wasm/universal';
import type { SiteClient } from '../../src/platform/site-client';
import type { NodePlaygroundEndpoint } from './node-endpoint';

/**
 * Exposes an endpoint the way the page's Comlink client does: every method returns a promise and
 * properties (`documentRoot`, `absoluteUrl`) are promises too, so code written against `SiteClient`
 * cannot come to rely on synchronous answers it would not get in the browser. Behaviour is the
 * endpoint's own; nothing here short-circuits it.
 */
export function createComlinkLikeClient(endpoint: NodePlaygroundEndpoint): SiteClient {
  return {
    run: (request) => endpoint.run(request),
    request: (request) => endpoint.request(request),
    writeFile: async (path, data) => endpoint.writeFile(path, data),
    readFileAsBuffer: async (path) => endpoint.readFileAsBuffer(path),
    readFileAsText: async (path) => endpoint.readFileAsText(path),
    mkdir: async (path) => endpoint.mkdir(path),
    unlink: async (path) => endpoint.unlink(path),
    mv: (fromPath, toPath) => endpoint.mv(fromPath, toPath),
    rmdir: (path, options) => endpoint.rmdir(path, options),
    listFiles: async (path, options) =>
      endpoint.listFiles(path, options && { prependPath: options.prependPath ?? false }),
    isDir: async (path) => endpoint.isDir(path),
    fileExists: async (path) => endpoint.fileExists(path),
    journalFSEvents: (root, callback) => endpoint.journalFSEvents(root, callback),
    replayFSJournal: (events) => endpoint.replayFSJournal(events),
    onMessage: async (listener) => endpoint.onMessage(toMessageListener(listener)),
    get documentRoot() {
      return Promise.resolve(endpoint.documentRoot);
    },
    get absoluteUrl() {
      return Promise.resolve(endpoint.absoluteUrl);
    },
  };
}

/** Comlink carries a listener's return value back to PHP; only strings and bytes mean a reply. */
function toMessageListener(listener: (data: string) => unknown): MessageListener {
  return async (data) => {
    const reply: unknown = await listener(data);
    return typeof reply === 'string' || reply instanceof Uint8Array ? reply : undefined;
  };
}
