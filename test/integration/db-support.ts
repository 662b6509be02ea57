import { expect } from 'vitest';
import {
  CHANGES_STORED_REPLY,
  applyBatch,
  installCapture,
  parseChangesMessage,
  type ApplyResult,
  type ChangeBatch,
} from '../../src/db';
import { LOCAL_ONLY } from '../../src/sync/local-only';
import {
  LOCAL_ONLY_RULES,
  bootNodeSite,
  compareSiteStates,
  dumpSiteState,
  wpTable,
  type IgnoreRule,
  type NodeSite,
  type SiteState,
} from '../harness';

/** Shared by the db-*.test.ts files: two captured sites, their batches, convergence checks. */

import type { Combination } from '../harness';
export { ALL_COMBINATIONS, type Combination } from '../harness';

/** A site with capture installed and every batch it posts collected. */
export interface CapturedSite {
  readonly site: NodeSite;
  readonly peerId: string;
  /** Batches posted since the last `take()`, in order. */
  take(): ChangeBatch[];
  /** Messages that claimed to be batches but failed validation. */
  readonly rejected: string[];
  /** `false`: the listener answers nothing, as if no extension were there to store batches. */
  storing: boolean;
}

export async function captureSite(site: NodeSite, peerId: string): Promise<CapturedSite> {
  let batches: ChangeBatch[] = [];
  const rejected: string[] = [];
  await site.client.onMessage((data) => {
    const parsed = parseChangesMessage(data);
    if (parsed === null) return undefined;
    if (!parsed.ok) {
      rejected.push(parsed.error);
      return undefined;
    }
    if (!captured.storing) return undefined;
    batches.push(parsed.value);
    return CHANGES_STORED_REPLY;
  });
  const captured: CapturedSite = {
    site,
    peerId,
    rejected,
    storing: true,
    take() {
      const taken = batches;
      batches = [];
      return taken;
    },
  };
  await installCapture(site.client, { peerId });
  return captured;
}

export async function bootCapturedPair(combination: Combination, tag: string): Promise<[CapturedSite, CapturedSite]> {
  const url = (name: string) =>
    `https://playground.wordpress.net/scope:db-${tag}-${combination.driver}-${combination.wp.replace('.', '')}-${name}/`;
  const a = await bootNodeSite({ ...combination, siteUrl: url('a') });
  const b = await bootNodeSite({ ...combination, siteUrl: url('b') });
  return [await captureSite(a, 'peer-a'), await captureSite(b, 'peer-b')];
}

const RESULT_MARKER = '\n@@DB_TEST_RESULT@@';

/**
 * Runs PHP inside a fully loaded WordPress (like a page request: plugins, hooks, and our drain at
 * the end). `body` may set `$result`; it comes back decoded.
 */
export async function inWordPress(site: NodeSite, body: string): Promise<unknown> {
  const code = `<?php
require '/wordpress/wp-load.php';
$result = null;
${body}
echo ${JSON.stringify(RESULT_MARKER)}, json_encode($result);
`;
  const response = await site.client.run({ code });
  const at = response.text.lastIndexOf(RESULT_MARKER);
  if (at < 0 || response.errors.includes('Fatal')) {
    throw new Error(`PHP failed (exit ${response.exitCode}):\n${response.text}\n${response.errors}`);
  }
  return JSON.parse(response.text.slice(at + RESULT_MARKER.length)) as unknown;
}

/** Applies every batch `from` posted to `to`, expecting each to apply; returns the results. */
export async function sync(from: CapturedSite, to: CapturedSite): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const batch of from.take()) {
    const result = await applyBatch(to.site.client, batch, {
      fromSiteUrl: from.site.siteUrl,
      toSiteUrl: to.site.siteUrl,
      fromPeer: from.peerId,
    });
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'applied' });
    results.push(result);
  }
  expect(from.rejected).toEqual([]);
  return results;
}

/** The engine's local-only list (src/sync/local-only.ts) as comparison rules: data, not a copy. */
export const ENGINE_LOCAL_ONLY_RULES: readonly IgnoreRule[] = LOCAL_ONLY.rows.map((rule) => ({
  kind: 'row',
  table: wpTable(rule.table),
  where: {
    [rule.column]: new RegExp(
      `^(?:${[
        ...rule.exact.map((name) => `${escape(name)}$`),
        ...rule.prefixes.map((prefix) => escape(prefix)),
        ...rule.suffixes.map((suffix) => `.*${escape(suffix)}$`),
      ].join('|')})`,
    ),
  },
  why: rule.why,
}));

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const CONVERGENCE_RULES: readonly IgnoreRule[] = [...LOCAL_ONLY_RULES, ...ENGINE_LOCAL_ONLY_RULES];

export async function differences(a: CapturedSite, b: CapturedSite, ignore = CONVERGENCE_RULES): Promise<string[]> {
  return compareSiteStates(await dumpSiteState(a.site), await dumpSiteState(b.site), {
    aUrl: a.site.siteUrl,
    bUrl: b.site.siteUrl,
    ignore,
  }).map((difference) => difference.description);
}

export async function dump(site: CapturedSite): Promise<SiteState> {
  return dumpSiteState(site.site);
}
