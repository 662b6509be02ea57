import { expect } from 'vitest';
import { shardIds } from '../src/engine/pair-sites';
import { SyncPeer } from '../src/engine/sync-peer';
import type { JournalEntry } from '../src/journal/entry';
import type { SiteClient } from '../src/platform/site-client';
import { ENGINE_TABLE_PREFIX } from '../src/sync/local-only';
import { LOCAL_ONLY_RULES, bootNodeSite, compareSiteStates, dumpSiteState, formatDifferences, type NodeSite } from '../test/harness';
import { TestLink, type Side } from '../test/harness/test-link';

/**
 * Two real WordPress sites paired as the extension pairs them (ID shards, then a SyncPeer on
 * each), over the tests' JSON link, with every message timed: when it was sent, its size, and
 * how long the receiving peer took with it (parse, apply, ack).
 */

export const WP = 'nightly';
export const DRIVER = 'ast';

export interface Message {
  from: Side;
  kind: string;
  /** The JSON that crossed the link. */
  json: string;
  /** `performance.now()` when the peer handed it to the link. */
  sentAt: number;
  /** How long the receiving peer's `receive()` took with it (parse, apply, ack), once delivered. */
  receiveMs?: number;
  /** `performance.now()` when the receiving peer was done with it. */
  receivedAt?: number;
}

export interface BenchPair {
  a: NodeSite;
  b: NodeSite;
  peerA: SyncPeer;
  peerB: SyncPeer;
  link: TestLink;
  messages: Message[];
  journal: JournalEntry[];
  /** shardIds plus both SyncPeer.start, on two freshly booted sites. */
  pairing: { shardMs: number; startAMs: number; startBMs: number };
  stop(): Promise<void>;
}

export function siteUrl(name: string): string {
  return `https://playground.wordpress.net/scope:bench-${name}/`;
}

export function bootSite(name: string): Promise<NodeSite> {
  return bootNodeSite({ wp: WP, driver: DRIVER, siteUrl: siteUrl(name) });
}

export async function startPair(name: string, options: { fileSettleMs?: number } = {}): Promise<BenchPair> {
  const a = await bootSite(`${name}-a`);
  const b = await bootSite(`${name}-b`);
  const link = new TestLink();
  const messages: Message[] = [];
  const journal: JournalEntry[] = [];
  const peers: { a?: SyncPeer; b?: SyncPeer } = {};

  // No faults on the link: each side receives the other's messages in the order they were sent.
  const delivered = { a: 0, b: 0 };
  const endpoint = (side: Side) => {
    const send = link.attach(side, async (envelope) => {
      const message = messages.filter((m) => m.from !== side)[delivered[side]++]!;
      const started = performance.now();
      await peers[side]!.receive(envelope);
      message.receivedAt = performance.now();
      message.receiveMs = message.receivedAt - started;
    });
    return (envelope: { kind: string }) => {
      const sentAt = performance.now();
      send(envelope);
      messages.push({ from: side, kind: envelope.kind, json: link.log.at(-1)!.json, sentAt });
    };
  };
  const start = (side: Side, client: SiteClient) =>
    SyncPeer.start({
      client,
      pairId: `pair-${name}`,
      peerId: `peer-${side}`,
      remotePeerId: side === 'a' ? 'peer-b' : 'peer-a',
      send: endpoint(side),
      onJournal: (entries) => journal.push(...entries),
      fileSettleMs: options.fileSettleMs ?? 10,
    });

  let started = performance.now();
  await shardIds({ client: a.client, peerId: 'peer-a' }, { client: b.client, peerId: 'peer-b' });
  const shardMs = performance.now() - started;
  started = performance.now();
  peers.a = await start('a', a.client);
  const startAMs = performance.now() - started;
  started = performance.now();
  peers.b = await start('b', b.client);
  const startBMs = performance.now() - started;

  return {
    a,
    b,
    peerA: peers.a,
    peerB: peers.b,
    link,
    messages,
    journal,
    pairing: { shardMs, startAMs, startBMs },
    async stop() {
      await peers.a?.stop();
      await peers.b?.stop();
      await a.dispose();
      await b.dispose();
    },
  };
}

/** Flushes both peers and delivers until nothing moves any more (as the integration tests do). */
export async function syncUntilQuiet({ peerA, peerB, link }: BenchPair): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const before = link.log.length;
    await peerA.flush();
    await peerB.flush();
    await link.settle();
    if (link.log.length === before) return;
  }
  throw new Error('the peers kept sending after 10 rounds');
}

/** The benchmark measured real replication: both sites hold the same rows and files, nothing failed. */
export async function expectReplicated({ a, b, journal, peerA, peerB }: BenchPair): Promise<void> {
  const failures = journal.filter((entry) => entry.status === 'failed' || entry.status === 'rejected');
  expect(failures).toEqual([]);
  expect(peerA.pendingCount + peerB.pendingCount).toBe(0);
  const differences = compareSiteStates(await dumpSiteState(a), await dumpSiteState(b), {
    aUrl: a.siteUrl,
    bUrl: b.siteUrl,
    ignore: [
      ...LOCAL_ONLY_RULES,
      { kind: 'table', table: new RegExp(`^${ENGINE_TABLE_PREFIX}`), why: "the engine's own bookkeeping, per site" },
    ],
  });
  expect(formatDifferences(differences)).toBe(formatDifferences([]));
}

/** Runs PHP with WordPress loaded; fails on any PHP error output. */
export async function wpRun(client: SiteClient, code: string): Promise<string> {
  const response = await client.run({ code: `<?php require '/wordpress/wp-load.php';\n${code}` });
  expect(response.errors).toBe('');
  return response.text;
}

/** Delta envelopes one side sent, from `since` (an index into `messages`). */
export function deltasFrom(messages: readonly Message[], from: Side, since = 0): Message[] {
  return messages.slice(since).filter((m) => m.from === from && m.kind === 'delta');
}
