import type { SiteClient } from '../../src/platform/site-client';

/**
 * A client that dies with its page: once `close()` is called, every method and property rejects
 * with `reason`, as calls on a closed tab's Comlink proxy never reach a worker again. Calls made
 * before that go on as they were; `close()` resolves once they all ended.
 */
export function closableClient(client: SiteClient, reason: string): { client: SiteClient; close: () => Promise<void> } {
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const gone = () => Promise.reject(new Error(reason));
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (closed) return gone();
      const pending = call(...args);
      const settled: Promise<unknown> = pending.then(
        () => inFlight.delete(settled),
        () => inFlight.delete(settled),
      );
      inFlight.add(settled);
      return pending;
    };
  const guarded: SiteClient = {
    run: guard((request) => client.run(request)),
    request: guard((request) => client.request(request)),
    writeFile: guard((path, data) => client.writeFile(path, data)),
    readFileAsBuffer: guard((path) => client.readFileAsBuffer(path)),
    readFileAsText: guard((path) => client.readFileAsText(path)),
    mkdir: guard((path) => client.mkdir(path)),
    unlink: guard((path) => client.unlink(path)),
    mv: guard((fromPath, toPath) => client.mv(fromPath, toPath)),
    rmdir: guard((path, options) => client.rmdir(path, options)),
    listFiles: guard((path, options) => client.listFiles(path, options)),
    isDir: guard((path) => client.isDir(path)),
    fileExists: guard((path) => client.fileExists(path)),
    journalFSEvents: guard((root, callback) => client.journalFSEvents(root, callback)),
    replayFSJournal: guard((events) => client.replayFSJournal(events)),
    onMessage: guard((listener) => client.onMessage(listener)),
    get documentRoot() {
      return closed ? gone() : client.documentRoot;
    },
    get absoluteUrl() {
      return closed ? gone() : client.absoluteUrl;
    },
  };
  return {
    client: guarded,
    close: async () => {
      closed = true;
      await Promise.all(inFlight);
    },
  };
}
