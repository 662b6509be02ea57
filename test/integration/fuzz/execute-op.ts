import type { SyncPeer } from '../../../src/engine/sync-peer';
import { mulberry32, type Side } from '../../harness/test-link';
import type { NodeSite } from '../../harness';
import { reloadSide, type EnginePair } from '../engine-support';
import { LEDGER_PLUGIN_PHP, OP_PHP, PHP_HELPERS } from './op-php';
import { concurrentWrites, CONCURRENT_WRITE_KINDS, isRequestOp, type Op, type RequestKind } from './workload';

const DONE_MARKER = '@@FUZZ_OP_DONE@@';

/** The page each write of `concurrent-writes` requests: in `wp-content/upgrade`, which never syncs. */
export const WRITE_ENDPOINT_PATH = 'wp-content/upgrade/pg-fuzz-write.php';

/**
 * What ops run on: a pair's two sides (`pairTarget`) or a sync group's members (`groupTarget` in
 * group-target.ts), each side with its site, its peer and the messages queued for it.
 */
export interface OpTarget<S extends string> {
  site(side: S): NodeSite;
  peer(side: S): SyncPeer;
  deliver(side: S, count: number): Promise<void>;
  /** Runs before WordPress work on `side` (a group member waiting for its copy gets it first). */
  beforeWork?(side: S): Promise<void>;
  /** Tab and membership events: `reload` on a pair; `join`, `leave`, `restore` in a group. */
  tabEvent(op: Op<S>): Promise<void>;
}

export function pairTarget(pair: EnginePair): OpTarget<Side> {
  return {
    site: (side) => (side === 'a' ? pair.a : pair.b),
    peer: (side) => (side === 'a' ? pair.peerA : pair.peerB),
    deliver: (side, count) => pair.link.deliverSome(side, count),
    async tabEvent(op) {
      if (op.kind !== 'reload') throw new Error(`${op.kind}: not an op on a pair`);
      await reloadSide(pair, op.side);
    },
  };
}

/**
 * Runs ops in order. Consecutive request-kind ops on one side share one PHP request (loading
 * WordPress dominates an op's cost); each runs in its own scope, and the request's drain at the
 * end captures them together, as one page load doing several things would. `concurrent-writes`
 * issues its page requests at once; `rotate` replaces the side's PHP runtimes; tab and membership
 * events go to the target; sync steps run on the side's peer and its queue. Call
 * `installWriteEndpoint` on every site first.
 */
export async function executeOps<S extends string>(target: OpTarget<S>, ops: readonly Op<S>[]): Promise<void> {
  for (let start = 0; start < ops.length; ) {
    const op = ops[start]!;
    if (!isRequestOp(op)) {
      await runAlone(target, op, start);
      start += 1;
      continue;
    }
    let end = start + 1;
    while (end < ops.length && isRequestOp(ops[end]!) && ops[end]!.side === op.side) end++;
    await target.beforeWork?.(op.side);
    await runInOneRequest(target.site(op.side), ops.slice(start, end), start);
    start = end;
  }
}

async function runAlone<S extends string>(target: OpTarget<S>, op: Op<S>, index: number): Promise<void> {
  switch (op.kind) {
    case 'flush':
      return target.peer(op.side).flush();
    case 'deliver':
      return target.deliver(op.side, Number(op.args.count));
    case 'repair':
      return runTabTimer(target.peer(op.side));
    case 'rotate':
      await target.site(op.side).rotate(op.args.instances as 'primary' | 'secondaries' | 'all');
      return;
    case 'concurrent-writes':
      await target.beforeWork?.(op.side);
      return runConcurrently(target.site(op.side), concurrentWrites(op), index);
    case 'reload':
    case 'join':
    case 'leave':
    case 'restore':
      return target.tabEvent(op);
    default:
      throw new Error(`op #${index} ${JSON.stringify(op)}: not an op that runs alone`);
  }
}

/**
 * What a tab's 3-second timer does, as far as the fuzz goes: a rejoin still unanswered is asked
 * again (the tab waits 10 s; the fuzz has no clock: at once), and the engine is put back if a
 * rotation took its files. Its resend of pending deltas is left out: the link loses messages
 * only at a reload, after which the rejoin resends them.
 */
export async function runTabTimer(peer: SyncPeer): Promise<void> {
  await peer.rejoinAgainIfUnanswered(0);
  await peer.repairIfLost();
}

async function runInOneRequest(site: NodeSite, ops: readonly Op<string>[], firstIndex: number): Promise<void> {
  const code = `<?php
require '/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
${PHP_HELPERS}
$plugin = base64_decode('${base64(LEDGER_PLUGIN_PHP)}');
${ops.map(opPhp).join('\n')}
`;
  const response = await site.client.run({ code });
  const done = response.text.split(DONE_MARKER).length - 1;
  // Notices and warnings from WordPress on odd targets are fine; a fatal or a thrown exception is not.
  if (done < ops.length || /fatal/i.test(response.errors)) {
    const failed = ops[Math.min(done, ops.length - 1)]!;
    throw new Error(
      `op #${firstIndex + done} ${JSON.stringify(failed)} failed on ${site.siteUrl} (exit ${response.exitCode}):\n${response.text}\n${response.errors}`,
    );
  }
}

/**
 * Each write is its own page request (`client.request`, as a browser's fetch), all started before
 * any ends: the site's request handler runs them on its PHP instances at the same time, each
 * ending with its own drain.
 */
async function runConcurrently(site: NodeSite, writes: readonly Op<string>[], index: number): Promise<void> {
  const responses = await Promise.all(
    writes.map((write) => site.client.request({ url: site.url(WRITE_ENDPOINT_PATH), method: 'POST', body: writeRequestBody(write) })),
  );
  for (const [at, response] of responses.entries()) {
    if (response.httpStatusCode === 200 && response.text.includes(DONE_MARKER) && !/fatal/i.test(response.text + response.errors)) continue;
    throw new Error(
      `op #${index} write ${at} ${JSON.stringify(writes[at])} failed on ${site.siteUrl} (HTTP ${response.httpStatusCode}):\n${response.text}\n${response.errors}`,
    );
  }
}

/** Writes the page `concurrent-writes` requests (identical on both sites, and never synced). */
export async function installWriteEndpoint(site: NodeSite): Promise<void> {
  const root = await site.client.documentRoot;
  await site.client.mkdir(`${root}/${WRITE_ENDPOINT_PATH.replace(/\/[^/]+$/, '')}`);
  await site.client.writeFile(`${root}/${WRITE_ENDPOINT_PATH}`, WRITE_ENDPOINT_PHP);
}

/**
 * One write per request, as an admin-ajax call: `DOING_AJAX` (Playground's auto-login leaves
 * such requests alone instead of redirecting them), then the op's PHP by kind.
 */
const WRITE_ENDPOINT_PHP = `<?php
define('DOING_AJAX', true);
require '/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
${PHP_HELPERS}
$plugin = base64_decode('${base64(LEDGER_PLUGIN_PHP)}');
$write = json_decode(base64_decode(file_get_contents('php://input')), true);
$args = $write['args'];
$bytes = base64_decode($write['bytes']);
switch ($write['kind']) {
${CONCURRENT_WRITE_KINDS.map((kind) => `  case '${kind}':\n    ${opClosure(kind)}($args, $bytes, $plugin);\n    break;`).join('\n')}
  default:
    throw new Exception('Unknown write ' . $write['kind']);
}
echo '${DONE_MARKER}';
`;

function writeRequestBody(write: Op<string>): string {
  return base64(JSON.stringify({ kind: write.kind, args: write.args, bytes: Buffer.from(bytesOf(write)).toString('base64') }));
}

function opPhp(op: Op<string>): string {
  return `${opClosure(op.kind as RequestKind)}(json_decode(base64_decode('${base64(JSON.stringify(op.args))}'), true), base64_decode('${Buffer.from(bytesOf(op)).toString('base64')}'), $plugin);
echo '${DONE_MARKER}';`;
}

function opClosure(kind: RequestKind): string {
  return `(function ($args, $bytes, $plugin) {
  global $wpdb;
  ${OP_PHP[kind]}
})`;
}

function bytesOf(op: Op<string>): Uint8Array {
  return typeof op.args.bytesSeed === 'number' ? opBytes(op.args.bytesSeed, Number(op.args.size)) : new Uint8Array();
}

/** Deterministic bytes for an op's `bytesSeed` and `size`, all 256 values possible. */
export function opBytes(bytesSeed: number, size: number): Uint8Array {
  const next = mulberry32(bytesSeed);
  return Uint8Array.from({ length: size }, () => Math.floor(next() * 256));
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
