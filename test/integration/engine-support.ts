import { expect } from 'vitest';
import type { SyncPeer } from '../../src/engine/sync-peer';
import { BroadcastLane } from '../../src/sync/broadcast-lane';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import {
  bootNodeSite,
  compareSiteStates,
  dumpSiteState,
  formatDifferences,
  type BootNodeSiteOptions,
  type NodeSite,
  type SiteState,
} from '../harness';
import { InProcessExtension, type InProcessTab } from '../harness/in-process-extension';
import { TestLink, type LinkFaults, type Side } from '../harness/test-link';
import { measureSiteMessages, type SiteMessageLog } from '../site-messages';
import { CONVERGENCE_RULES } from './db-support';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import { findDatabasePath } from '../../src/files';

/**
 * Shared by the engine-*.test.ts files: two real WordPress sites, each in a tab of the extension
 * run in this process (`InProcessExtension`: the real pairing coordinator and member hosts),
 * paired as the popup pairs them, their envelopes crossing a JSON TestLink; helpers to run PHP in
 * them, sync until nothing moves, and judge convergence on table contents and file trees.
 */

import type { Combination } from '../harness';
export { ALL_COMBINATIONS, type Combination } from '../harness';

export interface EnginePair {
  readonly a: NodeSite;
  readonly b: NodeSite;
  /** The peer each side's current page runs (another one after `reloadSide`). */
  readonly peerA: SyncPeer;
  readonly peerB: SyncPeer;
  readonly link: TestLink;
  /** The extension both tabs run in, and their tabs. */
  readonly extension: InProcessExtension;
  readonly tabs: { readonly a: InProcessTab; readonly b: InProcessTab };
  readonly pairId: string;
  /** Every journal line (the background's and both peers'), in order; a line sent again under its id (a recurring failure's count) replaces it. */
  readonly journal: JournalEntry[];
  /** What each side reported as keeping it from syncing (`SyncPeer`'s `onProblem`), latest last. */
  readonly problems: { readonly a: (string | null)[]; readonly b: (string | null)[] };
  /** Every call each side's tab made to its site, measured as a page-bridge message (`stopPair` checks them). */
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
  /** The site kept when pairing: its full state is copied to the other (default `a`). */
  readonly keep?: Side;
  /**
   * Low IDs (docs/ids.md), on in every new pairing as in the product; `false` switches them off
   * once live, for tests that look rows up by the IDs they made or count the deltas sent.
   */
  readonly lowIds?: false;
}

export type SiteRotation = Pick<BootNodeSiteOptions, 'maxRequests' | 'rotation'>;

/**
 * Boots two fresh sites and pairs their tabs as the popup does (A kept unless `keep` says: its
 * full state is copied to B), then answers once the pairing is live. The link's log starts there: what it holds is
 * what crossed after the copy.
 */
export async function startPair(combination: Combination, name: string, options: StartPairOptions = {}): Promise<EnginePair> {
  const { driver, wp } = combination;
  const url = (side: string) => `https://playground.wordpress.net/scope:${name}-${driver}-${wp.replace('.', '')}-${side}/`;
  const a = await bootNodeSite({ ...options.sites, driver, wp, siteUrl: url('a'), ...options.rotation?.a });
  const b = await bootNodeSite({ ...options.sites, driver, wp, siteUrl: url('b'), ...options.rotation?.b });
  return joinSites({ a, b }, options);
}

/** Names of a pairing and its two peers. */
export interface PairIds {
  readonly pairId: string;
  readonly a: string;
  readonly b: string;
}

export interface JoinOptions extends StartPairOptions {
  /** Default `pair-1`, `peer-a`, `peer-b`. */
  readonly ids?: PairIds;
  /** Runs once both peers started, before the copy's first message crosses. */
  readonly beforeCopy?: (pair: EnginePair) => void;
}

/** Pairs the tabs of two booted sites through the in-process extension, over a TestLink (see `startPair`). */
export async function joinSites({ a, b }: { a: NodeSite; b: NodeSite }, options: JoinOptions = {}): Promise<EnginePair> {
  let ids = options.ids ?? { pairId: 'pair-1', a: 'peer-a', b: 'peer-b' };
  const link = new TestLink(options.faults, options.seed);
  const problems = { a: [] as (string | null)[], b: [] as (string | null)[] };
  const siteMessages = { a: measureSiteMessages(a.client).log, b: measureSiteMessages(b.client).log };
  const laneLog: EnginePair['laneLog'] = [];
  const sideOfTab = new Map<number, Side>();
  const sendFrom = new Map<Side, (envelope: unknown) => void>();
  const extension = new InProcessExtension({
    ids: { pairId: () => ids.pairId, peerId: (tabId) => ids[sideOfTab.get(tabId)!] },
    // What the background posts to a tab crosses the link from the other side.
    routeEnvelope: (toTabId, command) => {
      const to = sideOfTab.get(toTabId);
      if (!to) return false;
      sendFrom.get(to === 'a' ? 'b' : 'a')!(command.envelope);
      return true;
    },
  });
  const openTab = async (side: Side, site: NodeSite) => {
    const tab = await extension.openTab(site, {
      wrapClient: (client) => measureSiteMessages(client, siteMessages[side]).client,
      tuning: { fileSettleMs: options.fileSettleMs ?? 10 },
      ...(options.lanes
        ? {
            openLane: (receive: (message: unknown) => void) =>
              BroadcastLane.open((message) => {
                laneLog.push({ to: side, message });
                receive(message);
              }),
          }
        : {}),
    });
    sideOfTab.set(tab.tabId, side);
    tab.observe((message) => {
      if (message.type === 'tab/problem') problems[side].push(message.problem);
    });
    sendFrom.set(
      side,
      link.attach(side, async (envelope) => {
        const reply = await tab.answer({ type: 'bg/envelope', pairId: pairIdOf(envelope) ?? ids.pairId, envelope });
        if (!reply.ok) throw new Error(`Side ${side} could not take an envelope: ${reply.error}`);
        // What the envelope caused (acks, answers) is routed before the link goes on.
        await extension.idle();
      }),
    );
    return tab;
  };
  const tabs = { a: await openTab('a', a), b: await openTab('b', b) };
  const peerOf = (tab: InProcessTab) => {
    const peer = tab.host.runningPeer;
    if (!peer) throw new Error(`Tab ${tab.tabId} runs no peer`);
    return peer;
  };
  const pair: EnginePair = {
    a,
    b,
    get peerA() {
      return peerOf(tabs.a);
    },
    get peerB() {
      return peerOf(tabs.b);
    },
    link,
    extension,
    tabs,
    get pairId() {
      return ids.pairId;
    },
    journal: extension.background.journal.entries,
    problems,
    siteMessages,
    laneLog,
  };
  pairers.set(pair, async (next, beforeCopy) => {
    ids = next;
    const reply = await extension.pair([tabs.a.tabId, tabs.b.tabId], tabs[options.keep ?? 'a'].tabId);
    if (!reply.ok) throw new Error(`Pairing failed: ${reply.error}`);
    beforeCopy?.(pair);
    await untilLive(extension, link, ids.pairId);
    if (options.lowIds === false) {
      const off = await extension.coordinator.setLowIds(ids.pairId, false);
      if (!off.ok) throw new Error(`Low IDs could not be switched off: ${off.error}`);
      await extension.idle();
    }
  });
  await pairAgain(pair, ids, options.beforeCopy);
  return pair;
}

type Pairer = (ids: PairIds, beforeCopy?: (pair: EnginePair) => void) => Promise<void>;
const pairers = new WeakMap<EnginePair, Pairer>();

/**
 * Pairs the two tabs of `pair` (again, once unpaired) as the popup does, under `ids`, and
 * answers once live. The link's log starts there: what it holds is what crossed after the copy.
 */
export async function pairAgain(pair: EnginePair, ids: PairIds, beforeCopy?: (pair: EnginePair) => void): Promise<void> {
  const pairTabs = pairers.get(pair);
  if (!pairTabs) throw new Error('pairAgain needs a pair made by joinSites');
  await pairTabs(ids, beforeCopy);
  pair.link.log.splice(0);
}

const pairIdOf = (envelope: unknown) => (typeof (envelope as { pairId?: unknown })?.pairId === 'string' ? (envelope as { pairId: string }).pairId : undefined);

/** Delivers until the pairing's copy is installed and it is live (a failed copy throws). */
async function untilLive(extension: InProcessExtension, link: TestLink, pairId: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    await link.settle();
    await extension.idle();
    const pairing = await extension.pairing(pairId);
    if (pairing?.phase === 'error') throw new Error(`Pairing failed: ${pairing.error}`);
    if (pairing?.phase === 'live' && link.pending === 0) return;
    if (!pairing) throw new Error(`Pairing ${pairId} is gone`);
    if (Date.now() > deadline) throw new Error(`The pairing is not live after 5 minutes: ${JSON.stringify(pairing)}`);
    // The copy works on (a lane's bytes, the target's install) between two messages.
    if (link.pending === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Reloads `side`'s saved site abruptly, as a tab reload does: its peer is not stopped first and
 * sends nothing more, what is in flight to or from it is lost, the site keeps only `/wordpress`
 * (see `NodeSite.reload`). Its new page reports the site and the background resumes its side
 * (same pair and peer ids), as in the extension. Answers the envelopes lost.
 */
/**
 * The site's database file as it is now; `restore` writes those bytes back: what a saved site's
 * storage holds when the page reloads before Playground wrote its last requests back to it.
 */
export async function databaseNow(site: NodeSite): Promise<{ restore: () => Promise<void> }> {
  const path = await findDatabasePath(site.client, '/wordpress');
  if (!path) throw new Error('no database file');
  const bytes = await site.client.readFileAsBuffer(path);
  return { restore: () => site.client.writeFile(path, bytes) };
}

export async function reloadSide(pair: EnginePair, side: Side): Promise<number> {
  const tab = pair.tabs[side];
  // The page goes at once; what the background was routing meanwhile still reaches the link, and is lost with the rest.
  const reloading = tab.reload();
  await pair.extension.idle();
  const lost = pair.link.discard(side);
  await reloading;
  await pair.extension.idle();
  if (!tab.host.runningPeer) throw new Error(`The reloaded side ${side} did not resume: ${JSON.stringify(await pair.extension.pairing(pair.pairId))}`);
  return lost;
}

/** Calls either peer made to its site that would be messages over 256 KiB on the page bridge (none may be). */
export function oversizedSiteMessages(pair: EnginePair): string[] {
  return [...pair.siteMessages.a.over(MAX_WIRE_MESSAGE_BYTES).map((what) => `a ${what}`), ...pair.siteMessages.b.over(MAX_WIRE_MESSAGE_BYTES).map((what) => `b ${what}`)];
}

export async function stopPair(pair: EnginePair | undefined): Promise<void> {
  await pair?.extension.stopAll();
  await pair?.a.dispose();
  await pair?.b.dispose();
  // Every engine test checks the bound, whatever it is about.
  if (pair) expect(oversizedSiteMessages(pair), 'calls to a site over 256 KiB').toEqual([]);
}

/** Flushes both peers and delivers until nothing moves any more. */
export async function syncUntilQuiet(pair: Pick<EnginePair, 'peerA' | 'peerB' | 'link'> & { readonly extension?: InProcessExtension }): Promise<void> {
  const { link, extension } = pair;
  for (let round = 0; round < 10; round++) {
    const before = link.log.length;
    await pair.peerA.flush();
    await pair.peerB.flush();
    // The background routes what the flushes sent onto the link.
    await extension?.idle();
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

/** The ID of the published post titled `title` on `site` (the first, if several). */
export function publishedPostId(site: NodeSite, title: string): Promise<number> {
  return inWordPress<number>(site, `$result = get_posts(['title' => '${title}', 'post_status' => 'publish'])[0]->ID;`);
}

/** PHP that sets `$pdo` to the site's raw SQLite connection (AST driver or legacy translator). */
export const RAW_PDO_PHP = `global $wpdb;
$pdo = method_exists($wpdb, 'get_driver') ? $wpdb->get_driver()->get_sqlite_pdo() : $wpdb->dbh->get_pdo();`;

/**
 * A trigger of the test's own, outside the engine, that refuses a post titled "Poison" (run it
 * with RAW_PDO_PHP): what a site that cannot apply a change (a table its plugins lack, a newer
 * schema) looks like to the engine. `DROP TRIGGER engine_test_poison` removes the cause.
 */
export const POISON_TRIGGER = `CREATE TRIGGER engine_test_poison BEFORE INSERT ON wp_posts WHEN NEW.post_title = 'Poison'
  BEGIN SELECT RAISE(ABORT, 'poison refused by the test'); END`;

/** Journal lines added since `mark` (a previous `journal.length`). */
export function journalSince(pair: EnginePair, mark: number): JournalEntry[] {
  return pair.journal.slice(mark);
}

export function failuresIn(entries: readonly JournalEntry[]): JournalEntry[] {
  return entries.filter((entry) => entry.status === 'failed' || entry.status === 'rejected');
}
