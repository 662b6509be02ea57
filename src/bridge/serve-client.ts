import {
  ContentToBridgeSchema,
  SYNC_MESSAGE_TYPE_PREFIX,
  type BridgeToContent,
  type ContentToBridge,
  type RelayedMethod,
} from '../protocol/bridge';
import { parseMessage } from '../protocol/validate';
import type { FilesystemOperation, SiteClient } from '../platform/site-client';
import { toPhpResultData } from './php-result';

export interface BridgeEndpoint {
  postMessage(message: BridgeToContent): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

type Subscription = Extract<ContentToBridge, { type: 'subscribe' }>;

export interface ServeOptions {
  /** How long PHP waits in `post_message_to_js()` for the content script's answer. */
  replyTimeoutMs?: number;
}

/** A site that posts a message waits this long at most for the content script (which may be gone). */
const REPLY_TIMEOUT_MS = 10_000;

/** Site messages waiting for the content script's answer: PHP is blocked until each settles. */
class ReplyWaiters {
  private nextId = 0;
  private readonly waiting = new Map<number, (data: string | undefined) => void>();

  constructor(private readonly timeoutMs: number) {}

  wait(): { replyId: number; answer: Promise<string | undefined> } {
    const replyId = this.nextId++;
    const answer = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => this.settle(replyId, undefined), this.timeoutMs);
      this.waiting.set(replyId, (data) => (clearTimeout(timer), resolve(data)));
    });
    return { replyId, answer };
  }

  settle(replyId: number, data: string | undefined): void {
    const resolve = this.waiting.get(replyId);
    this.waiting.delete(replyId);
    resolve?.(data);
  }
}

export interface BridgeServer {
  /**
   * The page swapped its client (boot, site switch, reboot): streams are bound to the new one,
   * calls meant for an earlier one are refused. Returns the new client's number.
   */
  setClient(client: SiteClient | undefined): number;
}

/**
 * The MAIN-world half of the bridge: answers the content script's calls with the page's current
 * client, and keeps its stream subscriptions bound to whichever client is current. Only
 * allow-listed, plain-data members are reachable; anything else is refused with the reason.
 */
export function serveClient(port: BridgeEndpoint, initialClient?: SiteClient, options: ServeOptions = {}): BridgeServer {
  let client = initialClient;
  let generation = initialClient ? 1 : 0;
  const subscriptions = new Map<number, Subscription>();
  const unbinds = new Map<number, Promise<() => unknown>>();
  const replies = new ReplyWaiters(options.replyTimeoutMs ?? REPLY_TIMEOUT_MS);

  const bind = (subscription: Subscription) => {
    if (!client) return;
    unbinds.set(subscription.id, bindStream(client, subscription, (message) => port.postMessage(message), replies));
  };
  const unbind = (id: number) => {
    const pending = unbinds.get(id);
    unbinds.delete(id);
    // The old client may be gone with its worker: unbinding it is best effort.
    void pending?.then((stop) => stop()).catch(() => undefined);
  };

  port.onmessage = (event) => {
    const parsed = parseMessage(ContentToBridgeSchema, event.data, 'bridge request');
    if (!parsed.ok) {
      const id = (event.data as { id?: unknown } | null)?.id;
      if (typeof id === 'number') port.postMessage({ type: 'result', id, ok: false, error: parsed.error });
      return;
    }
    const request = parsed.value;
    if (request.type === 'reply') return replies.settle(request.replyTo, request.data);
    const reply = (work: () => Promise<unknown>) =>
      work().then(
        (value) => port.postMessage({ type: 'result', id: request.id, ok: true, value }),
        (error: unknown) => port.postMessage({ type: 'result', id: request.id, ok: false, error: describeError(error) }),
      );
    if (request.type === 'subscribe') {
      subscriptions.set(request.id, request);
      bind(request);
      return void reply(async () => (await unbinds.get(request.id), undefined));
    }
    if (request.type === 'unsubscribe') {
      subscriptions.delete(request.subscription);
      unbind(request.subscription);
      return void reply(async () => undefined);
    }
    // A call made for the client the page had before must never reach the site it runs now.
    if (client && request.client !== generation) {
      return void reply(() => Promise.reject(new Error(`The Playground page replaced its client (call for client ${request.client}, the page runs client ${generation})`)));
    }
    void reply(() => answer(request, client));
  };

  return {
    setClient(next) {
      for (const id of subscriptions.keys()) unbind(id);
      client = next;
      generation += 1;
      for (const subscription of subscriptions.values()) bind(subscription);
      return generation;
    },
  };
}

function bindStream(
  client: SiteClient,
  subscription: Subscription,
  post: (message: BridgeToContent) => void,
  replies: ReplyWaiters,
): Promise<() => unknown> {
  if (subscription.stream === 'fs-journal') {
    return client.journalFSEvents(subscription.root, (operation) =>
      post({ type: 'fs-event', subscription: subscription.id, operation: plainOperation(operation) }),
    );
  }
  return client.onMessage((data) => {
    // Other messages: returning nothing leaves them to Playground's own listeners at once.
    if (typeof data !== 'string' || !isSyncMessage(data)) return undefined;
    const { replyId, answer } = replies.wait();
    post({ type: 'message', subscription: subscription.id, replyId, data });
    // An empty answer is no answer: PHP gets `''`, and Playground's listeners are not skipped for nothing.
    return answer.then((reply) => reply || undefined);
  });
}

/** Only the documented fields: the journal's objects may carry others (e.g. an empty `data`). */
function plainOperation(operation: FilesystemOperation): Extract<BridgeToContent, { type: 'fs-event' }>['operation'] {
  const { path, nodeType } = operation;
  switch (operation.operation) {
    case 'RENAME':
      return { operation: 'RENAME', path, toPath: operation.toPath, nodeType };
    case 'WRITE':
      return { operation: 'WRITE', path, nodeType: 'file' };
    default:
      return { operation: operation.operation, path, nodeType };
  }
}

function isSyncMessage(data: string): boolean {
  // A cheap look before parsing; PHP's json_encode writes the prefix's slash as `\/`.
  if (!data.includes(SYNC_MESSAGE_TYPE_PREFIX.slice(0, -1))) return false;
  try {
    const type = (JSON.parse(data) as { type?: unknown } | null)?.type;
    return typeof type === 'string' && type.startsWith(SYNC_MESSAGE_TYPE_PREFIX);
  } catch {
    return false;
  }
}

async function answer(request: Extract<ContentToBridge, { type: 'call' | 'get' }>, client: SiteClient | undefined) {
  if (!client) throw new Error('The Playground page has no client yet');
  if (request.type === 'get') return await client[request.property];
  // A plain method call: `fn.apply(client, …)` on a Comlink proxy becomes a remote `apply` call
  // that tries to clone the proxy itself.
  const methods = client as unknown as Record<RelayedMethod, (...args: unknown[]) => Promise<unknown>>;
  const value = await methods[request.method](...request.args);
  return request.method === 'run' || request.method === 'request'
    ? toPhpResultData(value as Parameters<typeof toPhpResultData>[0])
    : value;
}

export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 4000);
}
