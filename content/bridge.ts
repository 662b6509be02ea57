/**
 * MAIN-world bridge: the only code of ours that touches the page's Playground client.
 *
 * It takes the private port the isolated content script offers (the first handshake only, taken
 * before any page script can see it), then relays allow-listed client calls over that port and
 * reports when the page's client appears or changes.
 */
import { BRIDGE_HANDSHAKE, BridgeHandshakeSchema, type BridgeToContent } from '../src/protocol/bridge';
import { parseMessage } from '../src/protocol/validate';
import { serveClient } from '../src/bridge/serve-client';
import { watchPageClient } from './page-client';

function takeHandshakePort(onPort: (port: MessagePort) => void): void {
  const listener = (event: MessageEvent) => {
    if (event.source !== window || (event.data as { type?: unknown } | null)?.type !== BRIDGE_HANDSHAKE) return;
    event.stopImmediatePropagation();
    const port = event.ports[0];
    if (!parseMessage(BridgeHandshakeSchema, event.data, 'handshake').ok || event.ports.length !== 1 || !port) return;
    window.removeEventListener('message', listener, true);
    onPort(port);
  };
  window.addEventListener('message', listener, true);
}

/** Once the channel is taken, any further handshake is a page script trying to get in: report it. */
function reportLaterHandshakes(post: (message: BridgeToContent) => void): void {
  window.addEventListener(
    'message',
    (event) => {
      if (event.source !== window || (event.data as { type?: unknown } | null)?.type !== BRIDGE_HANDSHAKE) return;
      event.stopImmediatePropagation();
      for (const port of event.ports) port.close();
      post({ type: 'forged', what: 'A page script tried to open a second channel to the Playground Sync bridge' });
    },
    true,
  );
}

takeHandshakePort((port) => {
  const post = (message: BridgeToContent) => port.postMessage(message);
  reportLaterHandshakes(post);
  const server = serveClient(port);
  watchPageClient(
    window,
    (attached) => {
      const generation = server.setClient(attached.client);
      post({ type: 'client', generation, source: attached.source, storage: attached.storage, name: attached.name });
    },
    (reason) => post({ type: 'waiting', reason }),
  );
});
