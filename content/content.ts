/**
 * Isolated-world content script of a Playground tab: opens the private channel to the MAIN-world
 * bridge, describes the page's site to the background, and runs this tab's end of a pairing when
 * the background says so. The background owns the registry and the pairings.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { BRIDGE_HANDSHAKE, type BridgeToContent } from '../src/protocol/bridge';
import { connectRelay } from '../src/bridge/relayed-client';
import { describeSite } from '../src/site/describe-site';
import type { SiteInfo } from '../src/protocol/site';
import { MemberHost } from '../src/pairing/member-host';
import { answerBackground, type MemberPage } from '../src/pairing/member-commands';
import { BroadcastLane } from '../src/sync/broadcast-lane';
import { BackgroundLink } from './background-link';
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
  (message) => void answerBackground(page, message).catch(() => undefined),
);

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

const host = new MemberHost({
  client: relay,
  report: (message) => background.send(message),
  repeat: (ms, work) => {
    const timer = setInterval(work, ms);
    return () => clearInterval(timer);
  },
  openLane: (receive) => BroadcastLane.open(receive),
});

const page: MemberPage = {
  host,
  client: relay,
  ready: () => site !== undefined,
  goTo: (path) => relay.goTo(path),
  report: (message) => background.send(message),
  onRejected: (summary) => journalRejected('background message', summary),
};

// Closing (or leaving) the page while one of its changes has not reached every member would lose
// it with the page: the browser asks first ("Leave site? Changes you made may not be saved.").
window.addEventListener('beforeunload', (event) => {
  if (host.hasUnsyncedChanges) event.preventDefault();
});

// A page restored from the back/forward cache lost its port meanwhile: the background learns it is back.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) reportSite();
});

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
  // Only our own background talks to this script (other extensions cannot reach it without
  // externally_connectable, and a page has no access to runtime messaging).
  if (sender.id !== browser.runtime.id || sender.tab) return undefined;
  return answerBackground(page, message);
});
