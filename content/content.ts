/**
 * Isolated-world content script of a Playground tab: opens the private channel to the MAIN-world
 * bridge, describes the page's site to the background, and runs this tab's end of a pairing when
 * the background says so. The background owns the registry and the pairings.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { BRIDGE_HANDSHAKE, type BridgeToContent } from '../src/protocol/bridge';
import { BackgroundToTabSchema, type BackgroundToTab, type TabReply } from '../src/protocol/runtime';
import { parseMessage } from '../src/protocol/validate';
import { connectRelay } from '../src/bridge/relayed-client';
import { describeSite } from '../src/site/describe-site';
import { readContentSummary } from '../src/site/content-summary';
import type { SiteInfo } from '../src/protocol/site';
import { BackgroundLink } from './background-link';
import { PeerHost } from './peer-host';
import { rejectedInput } from './journal-lines';

function openBridgeChannel(): MessagePort {
  const channel = new MessageChannel();
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  window.postMessage({ type: BRIDGE_HANDSHAKE, nonce }, window.location.origin, [channel.port2]);
  return channel.port1;
}

/** This page document: a reload is a new document with a new id (the background tells the two apart by it). */
const documentId = crypto.randomUUID();
let site: SiteInfo | undefined;
/** The bridge's number of the page client `site` was read from (a new one in this document: a site switch). */
let client = 0;
let attachment = 0;

const background = new BackgroundLink(
  () => {
    reportSite();
    host.resendPending();
  },
  // Posted down the port, nothing waits for an answer: what goes wrong is journaled by the peer.
  (message) => void receiveFromBackground(message).catch(() => undefined),
);
const host = new PeerHost((message) => background.send(message));

function reportSite(): void {
  if (site) background.send({ type: 'tab/site', site, document: { id: documentId, client }, peer: host.current });
}

function journalRejected(target: string, summary: string): void {
  background.send({ type: 'tab/journal', entries: [rejectedInput(site?.siteUrl ?? window.location.origin, target, summary)] });
}

async function onClientAttached(message: Extract<BridgeToContent, { type: 'client' }>): Promise<void> {
  const mine = ++attachment;
  // A new client is a new (or rebooted) site: what ran on the old one starts over, as the background decides.
  // Stopping comes first, so the calls abandoned next end the old peer's work quietly.
  const stopped = host.stop();
  relay.abandonAll('The Playground page replaced its client');
  relay.useClient(message.generation);
  await stopped;
  const described = await describeSite(relay, { source: message.source, storage: message.storage, name: message.name });
  if (mine !== attachment) return;
  site = described;
  client = message.generation;
  reportSite();
}

const relay = connectRelay(
  openBridgeChannel(),
  (message) => {
    if (message.type === 'waiting') return background.send({ type: 'tab/waiting', reason: message.reason });
    if (message.type === 'forged') return journalRejected('page script', message.what);
    void onClientAttached(message).catch((error: unknown) =>
      background.send({ type: 'tab/error', error: error instanceof Error ? error.message : String(error) }),
    );
  },
  (error) => journalRejected('bridge channel', error),
);

// A page restored from the back/forward cache lost its port meanwhile: the background learns it is back.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) reportSite();
});

async function handle(command: BackgroundToTab): Promise<TabReply> {
  if (!site) throw new Error('The Playground site in this tab is not ready yet');
  switch (command.type) {
    case 'bg/summary':
      return { ok: true, summary: await readContentSummary(relay) };
    case 'bg/peer-start':
      await host.start(relay, command);
      return { ok: true };
    case 'bg/peer-stop': {
      const line = await host.end(relay, command.pairId);
      if (line) background.send({ type: 'tab/journal', entries: [line] });
      return line?.status === 'failed' ? { ok: false, error: line.summary } : { ok: true };
    }
    case 'bg/envelope':
      await host.receive(command.pairId, command.envelope);
      return { ok: true };
    case 'bg/sync':
      host.setSync(command.pairId, command.on);
      return { ok: true };
    case 'bg/retry':
      await host.retry(command.pairId);
      return { ok: true };
    case 'bg/open-path':
      await relay.goTo(command.path);
      return { ok: true };
  }
}

function receiveFromBackground(message: unknown): Promise<TabReply> {
  const parsed = parseMessage(BackgroundToTabSchema, message, 'background message');
  if (!parsed.ok) {
    journalRejected('background message', parsed.error);
    return Promise.resolve<TabReply>({ ok: false, error: parsed.error });
  }
  return handle(parsed.value).catch((error: unknown): TabReply => ({ ok: false, error: error instanceof Error ? error.message : String(error) }));
}

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
  // Only our own background talks to this script (other extensions cannot reach it without
  // externally_connectable, and a page has no access to runtime messaging).
  if (sender.id !== browser.runtime.id || sender.tab) return undefined;
  return receiveFromBackground(message);
});
