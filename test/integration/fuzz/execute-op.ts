import { mulberry32 } from '../../harness/test-link';
import type { NodeSite } from '../../harness';
import type { EnginePair } from '../engine-support';
import { LEDGER_PLUGIN_PHP, OP_PHP, PHP_HELPERS } from './op-php';
import { isSyncStep, type Op, type WorkloadKind } from './workload';

const DONE_MARKER = '@@FUZZ_OP_DONE@@';

/**
 * Runs ops in order. Consecutive workload ops on one side share one PHP request (loading
 * WordPress dominates an op's cost); each runs in its own scope, and the request's drain at the
 * end captures them together, as one page load doing several things would. Sync steps run on the pair.
 */
export async function executeOps(pair: EnginePair, ops: readonly Op[]): Promise<void> {
  for (let start = 0; start < ops.length; ) {
    const op = ops[start]!;
    if (op.kind === 'flush') await (op.side === 'a' ? pair.peerA : pair.peerB).flush();
    else if (op.kind === 'deliver') await pair.link.deliverSome(op.side, Number(op.args.count));
    if (isSyncStep(op)) {
      start += 1;
      continue;
    }
    let end = start + 1;
    while (end < ops.length && !isSyncStep(ops[end]!) && ops[end]!.side === op.side) end++;
    await runInOneRequest(op.side === 'a' ? pair.a : pair.b, ops.slice(start, end), start);
    start = end;
  }
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

function opPhp(op: Op): string {
  const bytes = typeof op.args.bytesSeed === 'number' ? opBytes(op.args.bytesSeed, Number(op.args.size)) : new Uint8Array();
  return `(function ($args, $bytes, $plugin) {
  global $wpdb;
  ${OP_PHP[op.kind as WorkloadKind]}
})(json_decode(base64_decode('${base64(JSON.stringify(op.args))}'), true), base64_decode('${Buffer.from(bytes).toString('base64')}'), $plugin);
echo '${DONE_MARKER}';`;
}

/** Deterministic bytes for an op's `bytesSeed` and `size`, all 256 values possible. */
export function opBytes(bytesSeed: number, size: number): Uint8Array {
  const next = mulberry32(bytesSeed);
  return Uint8Array.from({ length: size }, () => Math.floor(next() * 256));
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
