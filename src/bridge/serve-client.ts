import { ContentToBridgeSchema, type BridgeToContent, type ContentToBridge, type RelayedMethod } from '../protocol/bridge';
import { parseMessage } from '../protocol/validate';
import type { SiteClient } from '../platform/site-client';
import { toPhpResultData } from './php-result';

export interface BridgeEndpoint {
  postMessage(message: BridgeToContent): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/**
 * The MAIN-world half of the bridge: answers the content script's calls with the page's current
 * client. Only allow-listed, plain-data members are reachable; anything else is refused.
 */
export function serveClient(port: BridgeEndpoint, currentClient: () => SiteClient | undefined): void {
  port.onmessage = (event) => {
    const parsed = parseMessage(ContentToBridgeSchema, event.data, 'bridge request');
    if (!parsed.ok) {
      const id = (event.data as { id?: unknown } | null)?.id;
      if (typeof id === 'number') port.postMessage({ type: 'result', id, ok: false, error: parsed.error });
      return;
    }
    void answer(parsed.value, currentClient()).then(
      (value) => port.postMessage({ type: 'result', id: parsed.value.id, ok: true, value }),
      (error: unknown) =>
        port.postMessage({ type: 'result', id: parsed.value.id, ok: false, error: describeError(error) }),
    );
  };
}

async function answer(request: ContentToBridge, client: SiteClient | undefined): Promise<unknown> {
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
