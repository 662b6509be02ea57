import { expect } from 'vitest';
import { shardIds } from '../../src/engine/pair-sites';
import { SyncPeer, type SyncPeerOptions } from '../../src/engine/sync-peer';
import { BroadcastLane } from '../../src/sync/broadcast-lane';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { appendEntries } from '../../src/journal/journal';
import {
  bootNodeSite,
  compareSiteStates,
  dumpSiteState,
  formatDifferences,
  type BootNodeSiteOptions,
  type NodeSite,
  type SiteState,
} from '../harness';
import { TestLink, type LinkFaults, type Side } from '../harness/test-link';
import { measureSiteMessages, type SiteMessageLog } from '../site-messages';
import { CONVERGENCE_RULES } from './db-support';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';

/**
 * Shared by the engine-*.test.ts files: two real WordPress sites, each with a SyncPeer, joined
 * by a JSON TestLink; helpers to run PHP in them, sync until nothing moves, and judge
 * convergence on table contents and file trees.
 */

import type { Combination } from '../harness';
export { ALL_COMBINATIONS, type Combination } from '../harness';

export interface EnginePair {
  readonly a: NodeSite;
  readonly b: NodeSite;
  /** The peer of each side's current page (a new one after `reloadSide`). */
  peerA: SyncPeer;
  peerB: SyncPeer;
  readonly link: TestLink;
  /** Every journal line of both peers, in order; a line sent again under its id (a recurring failure's count) replaces it. */
  readonly journal: JournalEntry[];
  /** What each side reported as keeping it from syncing (`SyncPeer`'s `onProblem`), latest last. */
  readonly problems: { readonly a: (string | null)[]; readonly b: (string | null)[] };
  /** Every call each side's peer made to its site, measured as a page-bridge message (`stopPair` checks them). */
  readonly siteMessages: { readonly a: SiteMessageLog; readonly b: SiteMessageLog };
  /** With `lanes`: every message that arrived on a side's lane, as it came (read and let go of it at will). */
  readonly laneLog: { readonly to: Side; readonly message: unknown }[];
}

export interface StartPairOptions {
  readonly faults?: LinkFaults;
  readonly seed?: number;
  /** Quiet time before file-only changes go out on their own (default 10 ms). */
  readonly fileSettleMs?: number;
  /** How both sites run PHP (instances, who relays messages): see `bootNodeSite`. */
  readonly sites?: Pick<BootNodeSiteOptions, 'phpInstances' | 'servePrimaryFirst' | 'messagesFrom' | 'maxRequests'>;
  /** How each site's PHP runtime rotates (default: not within a test). */
  readonly rotation?: { readonly a?: SiteRotation; readonly b?: SiteRotation };
  /** Each peer gets a lane to the other as in the extension (BroadcastLane, a real BroadcastChannel): big files' bytes skip the link. */
  readonly lanes?: boolean;
}

export type SiteRotation = Pick<BootNodeSiteOptions, 'maxRequests' | 'rotation'>;

export async function startPair(combination: Combination, name: string, options: StartPairOptions = {}): Promise<EnginePair> {
  const { driver, wp } = combination;
  const url = (side: string) => `https://playground.wordpress.net/scope:${name}-${driver}-${wp.replace('.', '')}-${side}/`;
  const a = await bootNodeSite({ ...options.sites, driver, wp, siteUrl: url('a'), ...options.rotation?.a });
  const b = await bootNodeSite({ ...options.sites, driver, wp, siteUrl: url('b'), ...options.rotation?.b });
  await shardIds({ client: a.client, peerId: 'peer-a' }, { client: b.client, peerId: 'peer-b' });
  const link = new TestLink(options.faults, options.seed);
  const journal: JournalEntry[] = [];
  const problems = { a: [] as (string | null)[], b: [] as (string | null)[] };
  const peers: Partial<Record<Side, SyncPeer>> = {};
  const siteMessages = { a: measureSiteMessages(a.client).log, b: measureSiteMessages(b.client).log };
  const laneLog: EnginePair['laneLog'] = [];
  const startPeer: PeerStarter = async (side, extra = {}) => {
    const page = new PeerPage();
    const other: Side = side === 'a' ? 'b' : 'a';
    const send = link.attach(side, (message) => peers[side]!.receive(message));
    const lane = options.lanes
      ? BroadcastLane.open((message) => {
          laneLog.push({ to: side, message });
          void starting.then((peer) => peer.receiveLane(message));
        })
      : undefined;
    if (lane) page.onClose(() => lane.close());
    const starting = SyncPeer.start({
      ...extra,
      lane,
      client: measureSiteMessages((side === 'a' ? a : b).client, siteMessages[side]).client,
      pairId: 'pair-1',
      peerId: `peer-${side}`,
      remotePeerId: `peer-${other}`,
      fileSettleMs: options.fileSettleMs ?? 10,
      send: page.gate(send),
      onJournal: page.gate((entries: JournalEntry[]) => journal.splice(0, journal.length, ...appendEntries(journal, entries, { entries: Infinity, bytes: Infinity }))),
      onJournalStatus: page.gate((ids: string[], status: JournalEntry['status']) => {
        for (const entry of journal) if (ids.includes(entry.id)) entry.status = status;
      }),
      onProblem: page.gate((problem: string | null) => problems[side].push(problem)),
    });
    const peer = await starting;
    peers[side] = peer;
    pageOfPeer.set(peer, page);
    return peer;
  };
  const peerA = await startPeer('a');
  const peerB = await startPeer('b');
  const pair: EnginePair = { a, b, peerA, peerB, link, journal, problems, siteMessages, laneLog };
  peerStarters.set(pair, startPeer);
  return pair;
}

/** What `reloadSide` may ask of the resumed peer besides resuming. */
export type ResumeOptions = Pick<SyncPeerOptions, 'paused'>;

type PeerStarter = (side: Side, extra?: ResumeOptions & { resume?: true }) => Promise<SyncPeer>;
const peerStarters = new WeakMap<EnginePair, PeerStarter>();
const pageOfPeer = new WeakMap<SyncPeer, PeerPage>();

/**
 * The page a peer runs in: while it is open the peer's envelopes, journal lines and problems go
 * out; once it closed (a reload) nothing of it reaches anyone, whatever it still runs.
 */
class PeerPage {
  private open = true;
  private readonly closing: (() => void)[] = [];
  close(): void {
    this.open = false;
    for (const work of this.closing.splice(0)) work();
  }
  onClose(work: () => void): void {
    this.closing.push(work);
  }
  gate<A extends unknown[]>(callback: (...args: A) => unknown): (...args: A) => void {
    return (...args) => {
      if (this.open) callback(...args);
    };
  }
}

/**
 * Reloads `side`'s saved site abruptly, as a tab reload does: its peer is not stopped first and
 * sends nothing more, what is in flight to or from it is lost, the site keeps only `/wordpress`
 * (see `NodeSite.reload`). Then a new peer starts there with `resume` (same pair and peer ids)
 * and takes the old one's place on the link and in the pair. Answers the envelopes lost.
 */
export async function reloadSide(pair: EnginePair, side: Side, options: ResumeOptions = {}): Promise<number> {
  const startPeer = peerStarters.get(pair);
  if (!startPeer) throw new Error('reloadSide needs a pair made by startPair');
  const oldPeer = side === 'a' ? pair.peerA : pair.peerB;
  pageOfPeer.get(oldPeer)?.close();
  const lost = pair.link.discard(side);
  await (side === 'a' ? pair.a : pair.b).reload();
  // Its timers die with the page; everything it still tries fails on the closed client and is heard by no one.
  void oldPeer.stop().catch(() => undefined);
  const peer = await startPeer(side, { ...options, resume: true });
  if (side === 'a') pair.peerA = peer;
  else pair.peerB = peer;
  return lost;
}

/** Calls either peer made to its site that would be messages over 256 KiB on the page bridge (none may be). */
export function oversizedSiteMessages(pair: EnginePair): string[] {
  return [...pair.siteMessages.a.over(MAX_WIRE_MESSAGE_BYTES).map((what) => `a ${what}`), ...pair.siteMessages.b.over(MAX_WIRE_MESSAGE_BYTES).map((what) => `b ${what}`)];
}

export async function stopPair(pair: EnginePair | undefined): Promise<void> {
  await pair?.peerA.stop();
  await pair?.peerB.stop();
  if (pair) for (const peer of [pair.peerA, pair.peerB]) pageOfPeer.get(peer)?.close();
  await pair?.a.dispose();
  await pair?.b.dispose();
  // Every engine test checks the bound, whatever it is about.
  if (pair) expect(oversizedSiteMessages(pair), 'calls to a site over 256 KiB').toEqual([]);
}

/** Flushes both peers and delivers until nothing moves any more. */
export async function syncUntilQuiet({ peerA, peerB, link }: Pick<EnginePair, 'peerA' | 'peerB' | 'link'>): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const before = link.log.length;
    await peerA.flush();
    await peerB.flush();
    await link.settle();
    if (link.log.length === before) return;
  }
  throw new Error(`the peers kept sending after 10 rounds; the last messages:\n${describeMessages(link.log.slice(-6))}`);
}

/** One line per message: sender, kind, seq, and what a delta touches. */
function describeMessages(log: readonly { from: string; json: string }[]): string {
  return log
    .map(({ from, json }) => {
      const message = JSON.parse(json) as {
        kind: string;
        seq: number;
        payload?: { files: { op: string; path: string }[]; db: { rows: { table: string; key: unknown }[]; ddl: unknown[] } | null };
      };
      const files = message.payload?.files.map((change) => `${change.op} ${change.path}`) ?? [];
      const rows = message.payload?.db?.rows.map((row) => `${row.table} ${JSON.stringify(row.key)}`) ?? [];
      return `${from} ${message.kind} #${message.seq} ${[...files, ...rows].join(', ').slice(0, 400)}`;
    })
    .join('\n');
}

export async function siteDifferences(a: NodeSite, b: NodeSite): Promise<string> {
  return differencesBetween(await dumpSiteState(a), await dumpSiteState(b), a.siteUrl, b.siteUrl);
}

export function differencesBetween(a: SiteState, b: SiteState, aUrl: string, bUrl: string, ignore = CONVERGENCE_RULES): string {
  return formatDifferences(compareSiteStates(a, b, { aUrl, bUrl, ignore }));
}

/** Both sites hold the same rows in every table and the same files, local-only data aside. */
export async function expectConverged({ a, b }: Pick<EnginePair, 'a' | 'b'>): Promise<void> {
  expect(await siteDifferences(a, b)).toBe(formatDifferences([]));
}

/** Runs `action` and expects `site`'s tables and files not to move at all (no ignore rules). */
export async function expectUnchanged(site: NodeSite, action: () => Promise<void>): Promise<void> {
  const before = await dumpSiteState(site);
  await action();
  const after = await dumpSiteState(site);
  expect(differencesBetween(before, after, site.siteUrl, site.siteUrl, [])).toBe(formatDifferences([]));
}

const RESULT_MARKER = '\n@@ENGINE_TEST_RESULT@@';

/**
 * Runs PHP inside a fully loaded WordPress, as a request would (plugins, hooks, the engine's
 * drain at the end). `body` may set `$result`; it comes back decoded. Any PHP error fails.
 */
export async function inWordPress<T = unknown>(site: NodeSite, body: string): Promise<T> {
  const code = `<?php
require '/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
$result = null;
${body}
echo ${JSON.stringify(RESULT_MARKER)}, json_encode($result);
`;
  const response = await site.client.run({ code });
  const at = response.text.lastIndexOf(RESULT_MARKER);
  if (at < 0 || /fatal|warning/i.test(response.errors)) {
    throw new Error(`PHP failed (exit ${response.exitCode}):\n${response.text}\n${response.errors}`);
  }
  return JSON.parse(response.text.slice(at + RESULT_MARKER.length)) as T;
}

/** PHP that sets `$pdo` to the site's raw SQLite connection (AST driver or legacy translator). */
export const RAW_PDO_PHP = `global $wpdb;
$pdo = method_exists($wpdb, 'get_driver') ? $wpdb->get_driver()->get_sqlite_pdo() : $wpdb->dbh->get_pdo();`;

/** Journal lines added since `mark` (a previous `journal.length`). */
export function journalSince(pair: EnginePair, mark: number): JournalEntry[] {
  return pair.journal.slice(mark);
}

export function failuresIn(entries: readonly JournalEntry[]): JournalEntry[] {
  return entries.filter((entry) => entry.status === 'failed' || entry.status === 'rejected');
}
