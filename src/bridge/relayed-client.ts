import * as v from 'valibot';
import {
  BridgeToContentSchema,
  BytesSchema,
  PhpResultDataSchema,
  type ContentToBridgeRequest,
  type BridgeToContent,
  type ContentToBridge,
  type RelayedMethod,
  type RelayedProperty,
} from '../protocol/bridge';
import type { SiteClient } from '../platform/site-client';
import { parseMessage } from '../protocol/validate';
import { fromPhpResultData } from './php-result';

export interface ContentEndpoint {
  postMessage(message: ContentToBridge): void;
}

/**
 * The isolated-world half of the bridge: a `SiteClient` whose every member is a request to the
 * MAIN-world bridge. Feed it the bridge's `result` messages through `settle`.
 */
export class RelayedClient implements Omit<SiteClient, 'journalFSEvents' | 'onMessage'> {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(private readonly port: ContentEndpoint) {}

  settle(message: Extract<BridgeToContent, { type: 'result' }>): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error ?? 'The bridge call failed'));
  }

  /** Fails every call in flight, e.g. when the page dropped its client. */
  abandonAll(reason: string): void {
    for (const waiter of this.pending.values()) waiter.reject(new Error(reason));
    this.pending.clear();
  }

  private send(message: ContentToBridgeRequest): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ ...message, id } as ContentToBridge);
    });
  }

  private call(method: RelayedMethod, ...args: unknown[]): Promise<unknown> {
    return this.send({ type: 'call', method, args });
  }

  private get(property: RelayedProperty): Promise<string> {
    return this.send({ type: 'get', property }).then(String);
  }

  private async php(method: 'run' | 'request', request: unknown) {
    return fromPhpResultData(v.parse(PhpResultDataSchema, await this.call(method, request)));
  }

  get documentRoot() {
    return this.get('documentRoot');
  }
  get absoluteUrl() {
    return this.get('absoluteUrl');
  }
  run(request: Parameters<SiteClient['run']>[0]) {
    return this.php('run', request);
  }
  request(request: Parameters<SiteClient['request']>[0]) {
    return this.php('request', request);
  }
  async writeFile(path: string, data: string | Uint8Array) {
    await this.call('writeFile', path, data);
  }
  async readFileAsBuffer(path: string) {
    return v.parse(BytesSchema, await this.call('readFileAsBuffer', path));
  }
  async readFileAsText(path: string) {
    return v.parse(v.string(), await this.call('readFileAsText', path));
  }
  async mkdir(path: string) {
    await this.call('mkdir', path);
  }
  async unlink(path: string) {
    await this.call('unlink', path);
  }
  async mv(fromPath: string, toPath: string) {
    await this.call('mv', fromPath, toPath);
  }
  async rmdir(path: string, options?: { recursive?: boolean }) {
    await this.call('rmdir', path, options);
  }
  async listFiles(path: string, options?: { prependPath?: boolean }) {
    return v.parse(v.array(v.string()), await this.call('listFiles', path, options));
  }
  async isDir(path: string) {
    return v.parse(v.boolean(), await this.call('isDir', path));
  }
  async fileExists(path: string) {
    return v.parse(v.boolean(), await this.call('fileExists', path));
  }
  async replayFSJournal(events: Parameters<SiteClient['replayFSJournal']>[0]) {
    await this.call('replayFSJournal', events);
  }
}

export interface RelayPort extends ContentEndpoint {
  onmessage: ((event: MessageEvent) => void) | null;
}

/**
 * Wires the content script's end of the private channel: bridge results settle the relayed
 * client's calls; every other valid message goes to `onEvent`, every invalid one to `onInvalid`.
 */
export function connectRelay(
  port: RelayPort,
  onEvent: (message: Exclude<BridgeToContent, { type: 'result' }>) => void,
  onInvalid: (error: string) => void,
): RelayedClient {
  const relay = new RelayedClient(port);
  port.onmessage = (event) => {
    const parsed = parseMessage(BridgeToContentSchema, event.data, 'bridge message');
    if (!parsed.ok) onInvalid(parsed.error);
    else if (parsed.value.type === 'result') relay.settle(parsed.value);
    else onEvent(parsed.value);
  };
  return relay;
}
