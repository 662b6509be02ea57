import browser from 'webextension-polyfill';
import type { PopupReply } from '../src/protocol/popup';
import type { BackgroundToTab, ContentSummary, TabToBackground } from '../src/protocol/runtime';
import { checkPairRequest, type PairableSite } from '../src/pairing/pair-request';
import type { Pairing } from '../src/pairing/pairings';
import { judgeSiteReport } from '../src/pairing/site-report';
import {
  dismissEnded,
  dismissEndedOfTabs,
  findPairing,
  markError,
  markLive,
  otherSide,
  pairingOfTab,
  recordEnded,
  removePairing,
  sideOf,
  startCopy,
  updatePairing,
  updateSide,
  withCopyProgress,
  withPending,
  withProblem,
} from '../src/pairing/pairings-state';
import { journalBackground } from './background-journal';
import { endedPairings, journalSettlePending, pairings, registry } from './stores';
import { sendToTab } from './tab-messages';
import { postToTab } from './tab-ports';

const siteLabel = (site: { siteUrl: string }) => site.siteUrl;

/**
 * Pairs two tabs: one side's full state is copied to the other, then live sync starts. Sites
 * holding different content are paired only once the user said which one to keep.
 */
export async function pair(tabIds: readonly [number, number], keep: number | undefined): Promise<PopupReply> {
  const check = checkPairRequest(await registry.read(), await pairings.read(), tabIds);
  if (!check.ok) return check;
  if (keep !== undefined && !tabIds.includes(keep)) return { ok: false, error: 'The site to keep must be one of the two tabs.' };

  let source = keep ?? tabIds[0];
  if (keep === undefined) {
    const summaries = await Promise.all(check.sites.map(({ tabId }) => readSummary(tabId)));
    const failed = summaries.find((summary) => typeof summary === 'string');
    if (typeof failed === 'string') return { ok: false, error: failed };
    const [first, second] = summaries as [ContentSummary, ContentSummary];
    if (first.digest !== second.digest) {
      return {
        ok: false,
        error: 'These sites already hold different content: choose which one to keep. The other one will be replaced by a copy of it.',
        differ: [
          { tabId: check.sites[0].tabId, summary: first },
          { tabId: check.sites[1].tabId, summary: second },
        ],
      };
    }
    // Same content: copying either way changes nothing users made; the first picked is the source.
    source = check.sites[0].tabId;
  }

  const [sourceSite, targetSite] =
    check.sites[0].tabId === source ? [check.sites[0], check.sites[1]] : [check.sites[1], check.sites[0]];
  const pairing: Pairing = startCopy(
    {
      pairId: crypto.randomUUID(),
      sides: [side(sourceSite), side(targetSite)],
      syncOn: true,
      phase: 'copying',
      createdAt: Date.now(),
    },
    { fromTabId: sourceSite.tabId, toTabId: targetSite.tabId, reason: 'pairing' },
  );
  // Re-checked inside the update: another pair request may have taken one of the tabs meanwhile.
  let taken = false;
  await pairings.update((current) => {
    taken = tabIds.some((tabId) => pairingOfTab(current, tabId));
    return taken ? current : [...current, pairing];
  });
  if (taken) return { ok: false, error: 'One of these tabs was paired meanwhile.' };
  // Why an earlier pairing of these tabs ended no longer matters once they are paired again.
  await endedPairings.update((ended) => dismissEndedOfTabs(ended, tabIds));
  void journalBackground({
    kind: 'pairing',
    target: `${sourceSite.site.scope} → ${targetSite.site.scope}`,
    summary: `Paired ${siteLabel(sourceSite.site)} with ${siteLabel(targetSite.site)}: copying the first one's full state to the second`,
    status: 'info',
  });
  const started = await startCopying(pairing, pairing.sides[0], pairing.sides[1]);
  return started;
}

/** Starts the source (it shards IDs and answers the copy request), then the target (it asks for the copy). */
async function startCopying(pairing: Pairing, from: Pairing['sides'][number], to: Pairing['sides'][number]): Promise<PopupReply> {
  const sourceStarted = await startPeer(pairing, from.tabId, 'source');
  const started = sourceStarted.ok ? await startPeer(pairing, to.tabId, 'target') : sourceStarted;
  if (started.ok) return { ok: true };
  await fail(pairing.pairId, `Could not start syncing: ${started.error}`);
  return { ok: false, error: started.error };
}

export function unpair(pairId: string): Promise<PopupReply> {
  return stopPairing(pairId, (sites) => `Unpaired: changes no longer flow between ${sites}`);
}

async function stopPairing(pairId: string, summary: (sites: string) => string): Promise<PopupReply> {
  const pairing = findPairing(await pairings.read(), pairId);
  if (!pairing) return { ok: false, error: 'This pairing no longer exists.' };
  await pairings.update((current) => removePairing(current, pairId));
  await Promise.all(pairing.sides.map((s) => sendToTab(s.tabId, { type: 'bg/peer-stop', pairId })));
  await journalSettlePending(pairing.sides.map((s) => s.siteUrl));
  void journalBackground({
    kind: 'pairing',
    target: pairing.sides.map((s) => s.scope).join(' ↔ '),
    summary: summary(pairing.sides.map((s) => s.siteUrl).join(' and ')),
    status: 'info',
  });
  return { ok: true };
}

/** A pairing ends without the user asking (a tab closed, reloaded a saved site, switched site): the popup says why. */
async function endPairing(pairing: Pairing, reason: string): Promise<void> {
  await endedPairings.update((ended) =>
    recordEnded(ended, {
      pairId: pairing.pairId,
      tabIds: [pairing.sides[0].tabId, pairing.sides[1].tabId],
      siteUrls: [pairing.sides[0].siteUrl, pairing.sides[1].siteUrl],
      reason,
      at: Date.now(),
    }),
  );
  await stopPairing(pairing.pairId, (sites) => `Pairing ended. ${reason} Changes no longer flow between ${sites}.`);
}

export async function dismissEndedPairing(pairId: string): Promise<PopupReply> {
  await endedPairings.update((ended) => dismissEnded(ended, pairId));
  return { ok: true };
}

/** Sends `message` to both tabs of `pairing`; answers the first refusal's reason, or null. */
async function tellBothSides(pairing: Pairing, message: BackgroundToTab): Promise<string | null> {
  const replies = await Promise.all(pairing.sides.map((s) => sendToTab(s.tabId, message)));
  const failed = replies.find((reply) => !reply.ok);
  return failed && !failed.ok ? failed.error : null;
}

/** Both tabs of a pairing apply again what they could not apply. */
export async function retryPairing(pairId: string): Promise<PopupReply> {
  const pairing = findPairing(await pairings.read(), pairId);
  if (!pairing) return { ok: false, error: 'These sites are no longer paired.' };
  const refused = await tellBothSides(pairing, { type: 'bg/retry', pairId });
  return refused === null ? { ok: true } : { ok: false, error: `Could not try again: ${refused}` };
}

/** Shows `path` in both tabs of a pairing, and brings the first to the front. */
export async function openInTabs(pairId: string, path: string): Promise<PopupReply> {
  const pairing = findPairing(await pairings.read(), pairId);
  if (!pairing) return { ok: false, error: 'These sites are no longer paired.' };
  const refused = await tellBothSides(pairing, { type: 'bg/open-path', path });
  if (refused !== null) return { ok: false, error: `Could not open the page: ${refused}` };
  const tab = await browser.tabs.update(pairing.sides[0].tabId, { active: true });
  if (tab.windowId !== undefined) await browser.windows.update(tab.windowId, { focused: true });
  return { ok: true };
}

export async function setSync(pairId: string, on: boolean): Promise<PopupReply> {
  const updated = await pairings.update((current) => updatePairing(current, pairId, (p) => (p.syncOn === on ? p : { ...p, syncOn: on })));
  const pairing = findPairing(updated, pairId);
  if (!pairing) return { ok: false, error: 'This pairing no longer exists.' };
  const refused = await tellBothSides(pairing, { type: 'bg/sync', pairId, on });
  void journalBackground({
    kind: 'pairing',
    target: pairing.sides.map((s) => s.scope).join(' ↔ '),
    summary: on ? 'Sync on: waiting changes flow again' : 'Sync off: changes wait on each side until sync is on again',
    status: 'info',
  });
  return refused === null ? { ok: true } : { ok: false, error: refused };
}

/**
 * A tab reported its site. With the peer the pairing expects it is a reconnect (the service
 * worker restarted): nothing to do. A temporary site lost by a reload is restored from the other
 * side, which then goes on syncing with it; a saved site that reloaded resumes from what it kept;
 * any other site (a site switch, a saved site opened) is never overwritten: the pairing ends and
 * the popup says why.
 */
export async function onTabSite(tabId: number, report: Extract<TabToBackground, { type: 'tab/site' }>): Promise<void> {
  const { site, peer } = report;
  const pairing = pairingOfTab(await pairings.read(), tabId);
  if (!pairing) {
    if (peer) await sendToTab(tabId, { type: 'bg/peer-stop', pairId: peer.pairId });
    return;
  }
  const mine = sideOf(pairing, tabId)!;
  const verdict = judgeSiteReport(pairing, mine, report);
  if (verdict.kind === 'unchanged') return;
  if (verdict.kind === 'end') return endPairing(pairing, verdict.reason);
  const other = otherSide(pairing, tabId);
  // The page that would have marked its sent lines applied is gone.
  await journalSettlePending([mine.siteUrl]);
  if (verdict.kind === 'resume') return resume(pairing, tabId, report);
  if (pairing.phase === 'copying' && pairing.copy?.toTabId !== tabId) {
    await fail(pairing.pairId, `${site.siteUrl} was reloaded while its state was being copied to the other tab; pair again`);
    return;
  }
  await pairings.update((all) =>
    updatePairing(all, pairing.pairId, (p) =>
      startCopy(withReportedSite(p, tabId, report), { fromTabId: other.tabId, toTabId: tabId, reason: 'restore' }),
    ),
  );
  void journalBackground({
    kind: 'pairing',
    site: site.siteUrl,
    target: site.scope,
    summary: `${site.siteUrl} lost its site (the tab was reloaded): restoring it from ${other.siteUrl}`,
    status: 'info',
  });
  const reply = await startPeer(pairing, tabId, 'target');
  if (!reply.ok) await fail(pairing.pairId, `Could not restore ${site.siteUrl}: ${reply.error}`);
}

/** A paired saved site reloaded while live: its new page goes on from what the site kept, without a copy. */
async function resume(pairing: Pairing, tabId: number, report: Extract<TabToBackground, { type: 'tab/site' }>): Promise<void> {
  const { site } = report;
  const other = otherSide(pairing, tabId);
  await pairings.update((all) => updatePairing(all, pairing.pairId, (p) => withReportedSite(p, tabId, report)));
  void journalBackground({
    kind: 'pairing',
    site: site.siteUrl,
    target: site.scope,
    summary: `${site.siteUrl} was reloaded and kept its saved content: syncing with ${other.siteUrl} goes on from there`,
    status: 'info',
  });
  const reply = await startPeer(pairing, tabId, 'resume');
  if (!reply.ok) await fail(pairing.pairId, `Could not resume syncing ${site.siteUrl} after its reload: ${reply.error}`);
}

/** Starts the peer of `tabId`'s side of `pairing` in its tab. */
function startPeer(pairing: Pairing, tabId: number, role: Extract<BackgroundToTab, { type: 'bg/peer-start' }>['role']) {
  return sendToTab(tabId, {
    type: 'bg/peer-start',
    pairId: pairing.pairId,
    peerId: sideOf(pairing, tabId)!.peerId,
    remotePeerId: otherSide(pairing, tabId).peerId,
    role,
    syncOn: pairing.syncOn,
  });
}

/** The side of `tabId` as its latest site report describes it. */
function withReportedSite(pairing: Pairing, tabId: number, report: Extract<TabToBackground, { type: 'tab/site' }>): Pairing {
  const { site } = report;
  return updateSide(pairing, tabId, (s) => ({
    ...s,
    siteUrl: site.siteUrl,
    scope: site.scope,
    name: site.name,
    storage: site.storage,
    document: report.document,
  }));
}

/** A paired tab closed or left Playground: the pairing ends (a new tab is a new site: pair it again). */
export async function onTabGone(tabId: number, what: 'was closed' | 'left Playground'): Promise<void> {
  const pairing = pairingOfTab(await pairings.read(), tabId);
  if (pairing) await endPairing(pairing, `The tab of ${sideOf(pairing, tabId)?.name ?? 'a site'} ${what}.`);
}

/** Progress and outcome reports of a tab's peer. */
export async function onPeerReport(
  tabId: number,
  report: Extract<TabToBackground, { type: 'tab/pending' | 'tab/problem' | 'tab/copy-progress' | 'tab/copy-done' }>,
): Promise<void> {
  const pairing = pairingOfTab(await pairings.read(), tabId);
  if (!pairing || pairing.pairId !== report.pairId) return;
  switch (report.type) {
    case 'tab/pending':
      await pairings.update((all) => updatePairing(all, report.pairId, (p) => withPending(p, tabId, report.pending)));
      return;
    case 'tab/problem':
      await pairings.update((all) => updatePairing(all, report.pairId, (p) => withProblem(p, tabId, report.problem)));
      return;
    case 'tab/copy-progress':
      await pairings.update((all) => updatePairing(all, report.pairId, (p) => withCopyProgress(p, report.done, report.total)));
      return;
    case 'tab/copy-done':
      if (report.error) await fail(report.pairId, `The full-state copy failed: ${report.error}`);
      else await pairings.update((all) => updatePairing(all, report.pairId, (p) => (p.copy?.toTabId === tabId ? markLive(p) : p)));
  }
}

/** Routes an envelope to the other tab of its pairing; a lost one is sent again by its peer. */
export async function routeEnvelope(fromTabId: number, pairId: string, envelope: unknown): Promise<void> {
  const pairing = findPairing(await pairings.read(), pairId);
  if (!pairing || !sideOf(pairing, fromTabId)) {
    void journalBackground({
      kind: 'input',
      target: `tab ${fromTabId}`,
      summary: `Rejected a message for pairing ${pairId.slice(0, 64)}: this tab is not part of it`,
      status: 'rejected',
    });
    return;
  }
  const to = otherSide(pairing, fromTabId).tabId;
  const message = { type: 'bg/envelope', pairId, envelope } as const;
  if (!postToTab(to, message)) await sendToTab(to, message);
}

async function fail(pairId: string, error: string): Promise<void> {
  const updated = await pairings.update((all) => updatePairing(all, pairId, (p) => markError(p, error)));
  const pairing = findPairing(updated, pairId);
  void journalBackground({
    kind: 'pairing',
    target: pairing ? pairing.sides.map((s) => s.scope).join(' ↔ ') : pairId,
    summary: error,
    status: 'failed',
  });
}

async function readSummary(tabId: number): Promise<ContentSummary | string> {
  const reply = await sendToTab(tabId, { type: 'bg/summary' });
  if (!reply.ok) return reply.error;
  return reply.summary ?? `Tab ${tabId} did not describe its content`;
}

function side({ tabId, site, document }: PairableSite): Pairing['sides'][number] {
  return {
    tabId,
    peerId: crypto.randomUUID(),
    scope: site.scope,
    siteUrl: site.siteUrl,
    name: site.name,
    storage: site.storage,
    document,
    pending: 0,
  };
}
