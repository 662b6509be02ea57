/**
 * Isolated-world content script of a Playground tab: opens the private channel to the MAIN-world
 * bridge, describes the page's site through it and reports to the background. It holds no state
 * beyond the current attachment; the background owns the registry.
 */
import { BRIDGE_HANDSHAKE, type BridgeToContent } from '../src/protocol/bridge';
import { connectRelay } from '../src/bridge/relayed-client';
import { describeSite } from '../src/site/describe-site';
import { BackgroundLink } from './background-link';

function openBridgeChannel(): MessagePort {
  const channel = new MessageChannel();
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  window.postMessage({ type: BRIDGE_HANDSHAKE, nonce }, window.location.origin, [channel.port2]);
  return channel.port1;
}

const background = new BackgroundLink();
let attachment = 0;

async function onClientAttached(message: Extract<BridgeToContent, { type: 'client' }>): Promise<void> {
  const mine = ++attachment;
  relay.abandonAll('The Playground page replaced its client');
  const site = await describeSite(relay, {
    source: message.source,
    storage: message.storage,
    name: message.name,
  });
  if (mine === attachment) background.send({ type: 'tab/site', site });
}

const relay = connectRelay(
  openBridgeChannel(),
  (message) => {
    if (message.type === 'waiting') return background.send({ type: 'tab/waiting', reason: message.reason });
    void onClientAttached(message).catch((error: unknown) =>
      background.send({ type: 'tab/error', error: error instanceof Error ? error.message : String(error) }),
    );
  },
  (error) => background.send({ type: 'tab/error', error }),
);
