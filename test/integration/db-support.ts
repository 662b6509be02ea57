import { expect } from 'vitest';
import {
  CHANGES_NOTED_REPLY,
  applyBatch,
  installCapture,
  parseChangesReady,
  pullChanges,
  type ApplyResult,
  type ChangeBatch,
} from '../../src/db';
import type { SiteClient } from '../../src/platform/site-client';
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

/** A site with capture installed and the batches its requests drain collected. */
export interface CapturedSite {
  readonly site: NodeSite;
  readonly peerId: string;
  /**
   * The batches requests drained into the site's outbox since the last `take()` or `drain()`,
   * in order; the ones taken before are released (as once the peer acknowledged them).
   */
  take(): Promise<ChangeBatch[]>;
  /** `take()`, after capturing the changelog into a batch too (changes no request drained: raw PDO, bare scripts). */
  drain(): Promise<ChangeBatch[]>;
  /** Messages that claimed to be drain signals but failed validation. */
  readonly rejected: string[];
  /** Drain signals heard (each answered). */
  readonly signals: number;
  /** `false`: the listener answers nothing, as on a PHP instance nobody listens to. */
  listening: boolean;
}

export async function captureSite(site: NodeSite, peerId: string): Promise<CapturedSite> {
  const rejected: string[] = [];
  let signals = 0;
  await site.client.onMessage((data) => {
    const parsed = parseChangesReady(data);
    if (parsed === null || !captured.listening) return undefined;
    if (!parsed.ok) {
      rejected.push(parsed.error);
      return undefined;
    }
    signals += 1;
    return CHANGES_NOTED_REPLY;
  });
  const outbox = outboxReader(site.client, peerId);
  const captured: CapturedSite = {
    site,
    peerId,
    rejected,
    get signals() {
      return signals;
    },
    listening: true,
    take: () => outbox.take(),
    drain: () => outbox.take({ capture: true }),
  };
  await installCapture(site.client, { peerId });
  return captured;
}

/**
 * Reads a captured site's outbox as the extension does (`pullChanges`): each `take()` answers the
 * batches drained since the previous one and releases those (as once the peer acknowledged them).
 */
export function outboxReader(client: SiteClient, peerId: string): { take(options?: { capture?: boolean }): Promise<ChangeBatch[]> } {
  let taken = 0;
  return {
    async take({ capture = false } = {}) {
      const all: ChangeBatch[] = [];
      // One pull answers about 4 MB of batches; the rest comes with the next.
      for (let more = true; more; ) {
        const pulled = await pullChanges(client, { peerId, after: taken, release: taken, capture: capture && all.length === 0 });
        expect(pulled.errors).toEqual([]);
        expect(pulled.rejected).toEqual([]);
        taken = pulled.batches.at(-1)?.seq ?? taken;
        all.push(...pulled.batches);
        more = pulled.more;
      }
      return all;
    },
  };
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
  for (const batch of await from.take()) {
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

/**
 * Sites on different WordPress versions: each keeps its own WordPress (wp-admin, wp-includes, the
 * root's files but wp-config.php, and what Playground's build puts beside them). Written out here,
 * not taken from the engine's exclusion list, so a path missing there shows as a difference.
 */
export const ACROSS_VERSIONS_RULES: readonly IgnoreRule[] = [
  ...CONVERGENCE_RULES,
  {
    kind: 'file',
    path: /^(?:wp-admin\/|wp-includes\/|[^/]+\.(?:php|html|txt)$|\.default_theme$|wordpress-remote-asset-paths$)(?<!^wp-config\.php)/,
    why: "each site's own WordPress",
  },
];

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
