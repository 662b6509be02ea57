import type { SiteClient } from '../src/platform/site-client';

/** Every call between the engine and a site, with the size of what it carried each way. */
export interface SiteMessageLog {
  /** [what, bytes] of every request and answer, in order. */
  readonly messages: [string, number][];
  largest(): number;
  /** Messages over `limit` bytes, described. */
  over(limit: number): string[];
}

const textBytes = (text: string) => Buffer.byteLength(text, 'utf8');
const dataBytes = (data: string | Uint8Array | undefined) => (data === undefined ? 0 : typeof data === 'string' ? textBytes(data) : data.byteLength);

/**
 * `client` with every call's request and answer measured as the message it would be on the page
 * bridge (strings as UTF-8, bytes as they are, lists and options as JSON).
 */
export function measureSiteMessages(client: SiteClient, into?: SiteMessageLog): { client: SiteClient; log: SiteMessageLog } {
  const messages = (into?.messages ?? []) as [string, number][];
  const note = (what: string, bytes: number) => void messages.push([what, bytes]);
  const measured: SiteClient = {
    async run(request) {
      const { body, ...rest } = request as { body?: string | Uint8Array; env?: Record<string, string> };
      // A blob store run is named by its operation (`run request stage`).
      const operation = rest.env?.PGSYNC_BLOB_OP;
      note(operation ? `run request ${operation}` : 'run request', textBytes(JSON.stringify(rest)) + dataBytes(body));
      const response = await client.run(request);
      note('run answer', response.bytes.byteLength + textBytes(response.errors));
      return response;
    },
    async request(request) {
      const response = await client.request(request);
      note('request answer', response.bytes.byteLength);
      return response;
    },
    async writeFile(path, data) {
      note(`writeFile ${path}`, dataBytes(data));
      await client.writeFile(path, data);
    },
    async readFileAsBuffer(path) {
      const bytes = await client.readFileAsBuffer(path);
      note(`readFileAsBuffer ${path}`, bytes.byteLength);
      return bytes;
    },
    async readFileAsText(path) {
      const text = await client.readFileAsText(path);
      note(`readFileAsText ${path}`, textBytes(text));
      return text;
    },
    async listFiles(path, options) {
      const names = await client.listFiles(path, options);
      note(`listFiles ${path}`, textBytes(JSON.stringify(names)));
      return names;
    },
    mkdir: (path) => client.mkdir(path),
    unlink: (path) => client.unlink(path),
    mv: (from, to) => client.mv(from, to),
    rmdir: (path, options) => client.rmdir(path, options),
    isDir: (path) => client.isDir(path),
    fileExists: (path) => client.fileExists(path),
    journalFSEvents: (root, callback) => client.journalFSEvents(root, callback),
    replayFSJournal: (events) => client.replayFSJournal(events),
    onMessage: (listener) =>
      client.onMessage((data) => {
        note('site message', textBytes(data));
        return listener(data);
      }),
    get documentRoot() {
      return client.documentRoot;
    },
    get absoluteUrl() {
      return client.absoluteUrl;
    },
  };
  return {
    client: measured,
    log: into ?? {
      messages,
      largest: () => messages.reduce((most, [, bytes]) => Math.max(most, bytes), 0),
      over: (limit) => messages.filter(([, bytes]) => bytes > limit).map(([what, bytes]) => `${what}: ${bytes} bytes`),
    },
  };
}
