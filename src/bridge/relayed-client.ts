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
import type { FilesystemOperation, SiteClient } from '../platform/site-client';

type StreamEvent = Extract<BridgeToContent, { type: 'message' | 'fs-event' }>;
import { parseMessage } from '../protocol/validate';
import { fromPhpResultData } from './php-result';

export interface ContentEndpoint {
  postMessage(message: ContentToBridge): void;
}

/**
 * The isolated-world half of the bridge: a `SiteClient` whose every member is a request to the
 * MAIN-world bridge. Feed it the bridge's `result` messages through `settle`.
 */
export class RelayedClient implements SiteClient {
  private nextId = 0;
  /** The page's client this relay speaks to (see `useClient`). */
  private client = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly streams = new Map<number, (event: StreamEvent) => void>();

  constructor(private readonly port: ContentEndpoint) {}

  settle(message: Extract<BridgeToContent, { type: 'result' }>): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error ?? 'The bridge call failed'));
  }

  /** Hands a stream event to its subscriber; events of ended subscriptions are dropped. */
  deliver(event: StreamEvent): void {
    this.streams.get(event.subscription)?.(event);
  }

  /** Calls go to the page's client number `generation` from now on (the bridge refuses them once the page replaced it). */
  useClient(generation: number): void {
    this.client = generation;
  }

  /** Fails every call in flight, e.g. when the page dropped its client. */
  abandonAll(reason: string): void {
    for (const waiter of this.pending.values()) waiter.reject(new Error(reason));
    this.pending.clear();
  }

  private send(message: ContentToBridgeRequest, id = this.nextId++): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ ...message, id } as ContentToBridge);
    });
  }

  /** Shows `path` (a page of the site) in the tab's Playground frame. Not a `SiteClient` member: only a tab has a page to show. */
  async goTo(path: string): Promise<void> {
    await this.call('goTo', path);
  }

  private call(method: RelayedMethod, ...args: unknown[]): Promise<unknown> {
    return this.send({ type: 'call', client: this.client, method, args });
  }

  private get(property: RelayedProperty): Promise<string> {
    return this.send({ type: 'get', client: this.client, property }).then(String);
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
  /**
   * Receives the site's Playground Sync messages (`pg-sync/…` types only). What the listener
   * returns (a string, or a promise of one) is what PHP's `post_message_to_js()` returns.
   */
  onMessage(listener: (data: string) => unknown) {
    return this.subscribe({ stream: 'messages' }, (event) => {
      if (event.type !== 'message') return;
      const { replyId } = event;
      void Promise.resolve()
        .then(() => listener(event.data))
        .catch(() => undefined)
        .then((answer) => {
          const data = typeof answer === 'string' && answer.length <= 1000 ? answer : undefined;
          this.port.postMessage({ type: 'reply', id: this.nextId++, replyTo: replyId, ...(data === undefined ? {} : { data }) });
        });
    }).then((stop) => async () => void (await stop()));
  }

  journalFSEvents(root: string, callback: (operation: FilesystemOperation) => void) {
    return this.subscribe({ stream: 'fs-journal', root }, (event) => {
      if (event.type === 'fs-event') callback(event.operation);
    });
  }

  private async subscribe(
    stream: { stream: 'messages' } | { stream: 'fs-journal'; root: string },
    onEvent: (event: StreamEvent) => void,
  ): Promise<() => Promise<void>> {
    const id = this.nextId++;
    this.streams.set(id, onEvent);
    try {
      await this.send({ type: 'subscribe', ...stream }, id);
    } catch (error) {
      this.streams.delete(id);
      throw error;
    }
    return async () => {
      this.streams.delete(id);
      await this.send({ type: 'unsubscribe', subscription: id });
    };
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
  onEvent: (message: Extract<BridgeToContent, { type: 'client' | 'waiting' | 'forged' }>) => void,
  onInvalid: (error: string) => void,
): RelayedClient {
  const relay = new RelayedClient(port);
  port.onmessage = (event) => {
    const parsed = parseMessage(BridgeToContentSchema, event.data, 'bridge message');
    if (!parsed.ok) onInvalid(parsed.error);
    else if (parsed.value.type === 'result') relay.settle(parsed.value);
    else if (parsed.value.type === 'message' || parsed.value.type === 'fs-event') relay.deliver(parsed.value);
    else onEvent(parsed.value);
  };
  return relay;
}
