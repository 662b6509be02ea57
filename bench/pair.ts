import { expect } from 'vitest';
import type { JournalEntry } from '../src/protocol/journal-entry';
import type { WireDelta } from '../src/engine/delta';
import { FRAME_KIND } from '../src/sync/framing';
import type { SyncPeer } from '../src/engine/sync-peer';
import type { Side } from '../test/harness/test-link';
import {
  expectConverged,
  failuresIn,
  startPair,
  stopPair,
  type Combination,
  type EnginePair,
  type StartPairOptions,
} from '../test/integration/engine-support';

/**
 * The engine tests' pair (test/integration/engine-support.ts: two real WordPress sites in tabs of
 * the in-process extension, paired by its coordinator, a JSON TestLink between them), timed for benchmarks: how long pairing took,
 * and how long each peer's `receive()` took with each message. Times of sends and applies come
 * from the journal (epoch ms, the clock PHP's `microtime()` reads too).
 */

export const COMBINATION: Combination = { driver: 'ast', wp: 'nightly' };
export const SETUP = 'WordPress nightly, AST driver';

export interface Receipt {
  kind: string;
  /** How long `receive()` took: validate, apply, ack. */
  ms: number;
}

export interface TimedPair extends EnginePair {
  /** Pairing as the popup does (the coordinator: ID shards, both peers, the full copy A → B), without booting the two sites. */
  readonly pairMs: number;
  readonly bootAndPairMs: number;
  readonly receipts: Record<Side, Receipt[]>;
}

export async function startTimedPair(name: string, options: StartPairOptions = {}): Promise<TimedPair> {
  const started = performance.now();
  const pair = await startPair(COMBINATION, `bench-${name}`, options);
  const bootAndPairMs = performance.now() - started;
  const receipts = { a: timeReceives(pair.peerA), b: timeReceives(pair.peerB) };
  return { ...pair, bootAndPairMs, pairMs: bootAndPairMs - pair.a.bootMs - pair.b.bootMs, receipts };
}

/** The link calls `peer.receive` afresh for each message, so an own property sees them all. */
function timeReceives(peer: SyncPeer): Receipt[] {
  const receipts: Receipt[] = [];
  const receive = peer.receive.bind(peer);
  peer.receive = async (message) => {
    const started = performance.now();
    await receive(message);
    receipts.push({ kind: (message as { kind: string }).kind, ms: performance.now() - started });
  };
  return receipts;
}

export { stopPair };

/** B's receipts of delta messages since `mark`, a framed delta's frames included (its last one applies it). */
export function deltaReceipts(pair: TimedPair, mark: number): Receipt[] {
  return pair.receipts.b.slice(mark).filter((receipt) => receipt.kind === 'delta' || receipt.kind === FRAME_KIND);
}

/** The benchmark measured real replication: nothing failed or pending, both sites hold the same rows and files. */
export async function expectReplicated(pair: EnginePair): Promise<void> {
  expect(failuresIn(pair.journal)).toEqual([]);
  expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  await expectConverged(pair);
}

/** What one side sent as deltas since `mark` (an index into `link.log`). */
export function deltasSent(pair: EnginePair, from: Side, mark: number): { json: string; payload: WireDelta; pairId: string }[] {
  return envelopesSent(pair, from, mark)
    .map((json) => ({ json, ...(JSON.parse(json) as { kind: string; payload: WireDelta; pairId: string }) }))
    .filter((message) => message.kind === 'delta');
}

/** The JSON of every envelope `from` sent since `mark`, in order, a framed one joined from its frames. */
function envelopesSent(pair: EnginePair, from: Side, mark: number): string[] {
  const sets = new Map<string, string[]>();
  const envelopes: string[] = [];
  for (const message of pair.link.log.slice(mark)) {
    if (message.from !== from) continue;
    const parsed = JSON.parse(message.json) as { kind: string; frameId?: string; index?: number; count?: number; data?: string };
    if (parsed.kind !== FRAME_KIND) {
      envelopes.push(message.json);
      continue;
    }
    const slices = sets.get(parsed.frameId!) ?? new Array<string>(parsed.count!);
    sets.set(parsed.frameId!, slices);
    slices[parsed.index!] = parsed.data!;
    if (slices.filter((slice) => slice !== undefined).length === parsed.count) {
      envelopes.push(slices.join(''));
      sets.delete(parsed.frameId!);
    }
  }
  return envelopes;
}

/** Epoch ms of the last journal line on `site` in `direction` since `mark` (an index into the journal). */
export function lastJournalTime(pair: EnginePair, mark: number, side: Side, direction: JournalEntry['direction']): number {
  const site = pair[side].siteUrl.replace(/\/+$/, '');
  const entries = pair.journal.slice(mark).filter((entry) => entry.site === site && entry.direction === direction);
  expect(entries.length).toBeGreaterThan(0);
  return entries.at(-1)!.time;
}

/** Duration of a synchronous piece of work, for profiling the JS steps on a real payload. */
export function timed(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}
