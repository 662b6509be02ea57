import type { SyncPeer } from '../../../src/engine/sync-peer';
import { mulberry32 } from '../../harness/test-link';
import type { NodeSite } from '../../harness';
import { reloadSide, type EnginePair } from '../engine-support';
import { LEDGER_PLUGIN_PHP, OP_PHP, PHP_HELPERS } from './op-php';
import { concurrentWrites, CONCURRENT_WRITE_KINDS, isRequestOp, type Op, type RequestKind } from './workload';

const DONE_MARKER = '@@FUZZ_OP_DONE@@';

/** The page each write of `concurrent-writes` requests: in `wp-content/upgrade`, which never syncs. */
export const WRITE_ENDPOINT_PATH = 'wp-content/upgrade/pg-fuzz-write.php';

/**
 * Runs ops in order. Consecutive request-kind ops on one side share one PHP request (loading
 * WordPress dominates an op's cost); each runs in its own scope, and the request's drain at the
 * end captures them together, as one page load doing several things would. `concurrent-writes`
 * issues its page requests at once; `rotate` replaces the side's PHP runtimes; `reload` reloads
 * the side's saved site abruptly and resumes its peer; sync steps run on the pair. Call `installWriteEndpoint` on both sites first.
 */
export async function executeOps(pair: EnginePair, ops: readonly Op[]): Promise<void> {
  for (let start = 0; start < ops.length; ) {
    const op = ops[start]!;
    const site = op.side === 'a' ? pair.a : pair.b;
    if (!isRequestOp(op)) {
      await runAlone(pair, site, op, start);
      start += 1;
      continue;
    }
    let end = start + 1;
    while (end < ops.length && isRequestOp(ops[end]!) && ops[end]!.side === op.side) end++;
    await runInOneRequest(site, ops.slice(start, end), start);
    start = end;
  }
}

async function runAlone(pair: EnginePair, site: NodeSite, op: Op, index: number): Promise<void> {
  const peer = op.side === 'a' ? pair.peerA : pair.peerB;
  switch (op.kind) {
    case 'flush':
      return peer.flush();
    case 'deliver':
      return pair.link.deliverSome(op.side, Number(op.args.count));
    case 'repair':
      return runTabTimer(peer);
    case 'rotate':
      await site.rotate(op.args.instances as 'primary' | 'secondaries' | 'all');
      return;
    case 'concurrent-writes':
      return runConcurrently(site, concurrentWrites(op), index);
    case 'reload':
      await reloadSide(pair, op.side);
      return;
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

async function runInOneRequest(site: NodeSite, ops: readonly Op[], firstIndex: number): Promise<void> {
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
async function runConcurrently(site: NodeSite, writes: readonly Op[], index: number): Promise<void> {
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

function writeRequestBody(write: Op): string {
  return base64(JSON.stringify({ kind: write.kind, args: write.args, bytes: Buffer.from(bytesOf(write)).toString('base64') }));
}

function opPhp(op: Op): string {
  return `${opClosure(op.kind as RequestKind)}(json_decode(base64_decode('${base64(JSON.stringify(op.args))}'), true), base64_decode('${Buffer.from(bytesOf(op)).toString('base64')}'), $plugin);
echo '${DONE_MARKER}';`;
}

function opClosure(kind: RequestKind): string {
  return `(function ($args, $bytes, $plugin) {
  global $wpdb;
  ${OP_PHP[kind]}
})`;
}

function bytesOf(op: Op): Uint8Array {
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
