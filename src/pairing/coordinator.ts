import type { PopupReply } from '../protocol/popup';
import type { BackgroundToTab, ContentSummary, TabReply, TabToBackground } from '../protocol/runtime';
import { backgroundEntry, type BackgroundLine } from '../journal/background-line';
import { applyTabReport, removeTab, retainTabs } from '../registry/tab-registry';
import { checkPairRequest, type PairableSite } from './pair-request';
import type { Pairing, PairedSide } from './pairings';
import type { CoordinatorDeps } from './coordinator-deps';
import { judgeSiteReport } from './site-report';
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
  retainPairings,
  sideOf,
  startCopy,
  updatePairing,
  updateSide,
  withCopyProgress,
  withPending,
  withProblem,
} from './pairings-state';

export type TabGone = 'was closed' | 'left Playground';
type SiteReport = Extract<TabToBackground, { type: 'tab/site' }>;
type PeerReport = Extract<TabToBackground, { type: 'tab/pending' | 'tab/problem' | 'tab/copy-progress' | 'tab/copy-done' }>;
type PeerStartRole = Extract<BackgroundToTab, { type: 'bg/peer-start' }>['role'];

/** ID plan slots of a pairing: the copy source plans the ranges and takes the first. */
const SOURCE_SLOT = 0;
const TARGET_SLOT = 1;

/**
 * The background's pairing logic, platform-free: pairs tabs (one side's full state copied to the
 * other, then live), stops, pauses and retries pairings, follows what tabs report (a reload is
 * restored or resumed, another site ends the pairing) and routes envelopes between paired tabs.
 * Every state it keeps is in its stores, so a restarted background goes on where it stopped.
 */
export class PairingCoordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  /**
   * Pairs two tabs: one side's full state is copied to the other, then live sync starts. Sites
   * holding different content are paired only once the user said which one to keep.
   */
  async pair(tabIds: readonly [number, number], keep: number | undefined): Promise<PopupReply> {
    const { registry, pairings, endedPairings, ids, now } = this.deps;
    const check = checkPairRequest(await registry.read(), await pairings.read(), tabIds);
    if (!check.ok) return check;
    if (keep !== undefined && !tabIds.includes(keep)) return { ok: false, error: 'The site to keep must be one of the two tabs.' };

    let source = keep ?? tabIds[0];
    if (keep === undefined) {
      const summaries = await Promise.all(check.sites.map(({ tabId }) => this.readSummary(tabId)));
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
        pairId: ids.pairId(),
        sides: [this.newSide(sourceSite, SOURCE_SLOT), this.newSide(targetSite, TARGET_SLOT)],
        syncOn: true,
        phase: 'copying',
        createdAt: now(),
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
    this.note({
      kind: 'pairing',
      target: `${sourceSite.site.scope} → ${targetSite.site.scope}`,
      summary: `Paired ${sourceSite.site.siteUrl} with ${targetSite.site.siteUrl}: copying the first one's full state to the second`,
      status: 'info',
    });
    return this.startCopying(pairing, pairing.sides[0], pairing.sides[1]);
  }

  unpair(pairId: string): Promise<PopupReply> {
    return this.stopPairing(pairId, (sites) => `Unpaired: changes no longer flow between ${sites}`);
  }

  async dismissEnded(pairId: string): Promise<PopupReply> {
    await this.deps.endedPairings.update((ended) => dismissEnded(ended, pairId));
    return { ok: true };
  }

  /** Both tabs of a pairing apply again what they could not apply. */
  async retry(pairId: string): Promise<PopupReply> {
    const pairing = findPairing(await this.deps.pairings.read(), pairId);
    if (!pairing) return { ok: false, error: 'These sites are no longer paired.' };
    const refused = await this.tellEverySide(pairing, { type: 'bg/retry', pairId });
    return refused === null ? { ok: true } : { ok: false, error: `Could not try again: ${refused}` };
  }

  /** Shows `path` in every tab of a pairing; answers the tab to bring to the front (the first side's). */
  async showPath(pairId: string, path: string): Promise<{ ok: true; frontTabId: number } | { ok: false; error: string }> {
    const pairing = findPairing(await this.deps.pairings.read(), pairId);
    if (!pairing) return { ok: false, error: 'These sites are no longer paired.' };
    const refused = await this.tellEverySide(pairing, { type: 'bg/open-path', path });
    if (refused !== null) return { ok: false, error: `Could not open the page: ${refused}` };
    return { ok: true, frontTabId: pairing.sides[0].tabId };
  }

  async setSync(pairId: string, on: boolean): Promise<PopupReply> {
    const updated = await this.deps.pairings.update((current) => updatePairing(current, pairId, (p) => (p.syncOn === on ? p : { ...p, syncOn: on })));
    const pairing = findPairing(updated, pairId);
    if (!pairing) return { ok: false, error: 'This pairing no longer exists.' };
    const refused = await this.tellEverySide(pairing, { type: 'bg/sync', pairId, on });
    this.note({
      kind: 'pairing',
      target: scopesOf(pairing),
      summary: on ? 'Sync on: waiting changes flow again' : 'Sync off: changes wait on each side until sync is on again',
      status: 'info',
    });
    return refused === null ? { ok: true } : { ok: false, error: refused };
  }

  /** A message of a tab's content script (already validated). */
  async onTabMessage(tabId: number, message: TabToBackground): Promise<void> {
    const { registry, journal, now } = this.deps;
    switch (message.type) {
      case 'tab/site':
        await registry.update((current) => applyTabReport(current, tabId, message, now()));
        return this.onTabSite(tabId, message);
      case 'tab/waiting':
      case 'tab/error':
        await registry.update((current) => applyTabReport(current, tabId, message, now()));
        return;
      case 'tab/envelope':
        return this.routeEnvelope(tabId, message.pairId, message.envelope);
      case 'tab/journal':
        await journal.append(message.entries);
        return;
      case 'tab/journal-status':
        await journal.setStatus(message.ids, message.status);
        return;
      default:
        return this.onPeerReport(tabId, message);
    }
  }

  /** A tab closed or left Playground: it leaves the registry, and its pairing ends (a new tab is a new site: pair it again). */
  async onTabGone(tabId: number, what: TabGone): Promise<void> {
    const { registry, pairings } = this.deps;
    if (!(String(tabId) in (await registry.read()))) return;
    await registry.update((current) => removeTab(current, tabId));
    const pairing = pairingOfTab(await pairings.read(), tabId);
    if (pairing) await this.endPairing(pairing, `The tab of ${sideOf(pairing, tabId)?.name ?? 'a site'} ${what}.`);
  }

  /** A background that slept may have missed closed tabs: only `openTabIds` are still there. */
  async reconcile(openTabIds: readonly number[]): Promise<void> {
    const current = await this.deps.registry.update((all) => retainTabs(all, openTabIds));
    await this.deps.pairings.update((all) => retainPairings(all, current));
  }

  /**
   * A tab reported its site. With the peer the pairing expects it is a reconnect (the service
   * worker restarted): nothing to do. A temporary site lost by a reload is restored from the other
   * side, which then goes on syncing with it; a saved site that reloaded resumes from what it kept;
   * any other site (a site switch, a saved site opened) is never overwritten: the pairing ends and
   * the popup says why.
   */
  private async onTabSite(tabId: number, report: SiteReport): Promise<void> {
    const { site, peer } = report;
    const pairing = pairingOfTab(await this.deps.pairings.read(), tabId);
    if (!pairing) {
      if (peer) await this.deps.tabs.send(tabId, { type: 'bg/peer-stop', pairId: peer.pairId });
      return;
    }
    const mine = sideOf(pairing, tabId)!;
    const verdict = judgeSiteReport(pairing, mine, report);
    if (verdict.kind === 'unchanged') return;
    if (verdict.kind === 'end') return this.endPairing(pairing, verdict.reason);
    const other = otherSide(pairing, tabId);
    // The page that would have marked its sent lines applied is gone.
    await this.deps.journal.settlePending([mine.siteUrl]);
    if (verdict.kind === 'resume') return this.resume(pairing, tabId, report);
    if (pairing.phase === 'copying' && pairing.copy?.toTabId !== tabId) {
      await this.fail(pairing.pairId, `${site.siteUrl} was reloaded while its state was being copied to the other tab; pair again`);
      return;
    }
    await this.deps.pairings.update((all) =>
      updatePairing(all, pairing.pairId, (p) =>
        startCopy(withReportedSite(p, tabId, report), { fromTabId: other.tabId, toTabId: tabId, reason: 'restore' }),
      ),
    );
    this.note({
      kind: 'pairing',
      site: site.siteUrl,
      target: site.scope,
      summary: `${site.siteUrl} lost its site (the tab was reloaded): restoring it from ${other.siteUrl}`,
      status: 'info',
    });
    const reply = await this.startPeer(pairing, tabId, 'target');
    if (!reply.ok) await this.fail(pairing.pairId, `Could not restore ${site.siteUrl}: ${reply.error}`);
  }

  /** A paired saved site reloaded while live: its new page goes on from what the site kept, without a copy. */
  private async resume(pairing: Pairing, tabId: number, report: SiteReport): Promise<void> {
    const { site } = report;
    const other = otherSide(pairing, tabId);
    await this.deps.pairings.update((all) => updatePairing(all, pairing.pairId, (p) => withReportedSite(p, tabId, report)));
    this.note({
      kind: 'pairing',
      site: site.siteUrl,
      target: site.scope,
      summary: `${site.siteUrl} was reloaded and kept its saved content: syncing with ${other.siteUrl} goes on from there`,
      status: 'info',
    });
    const reply = await this.startPeer(pairing, tabId, 'resume');
    if (!reply.ok) await this.fail(pairing.pairId, `Could not resume syncing ${site.siteUrl} after its reload: ${reply.error}`);
  }

  /** Progress and outcome reports of a tab's peer. */
  private async onPeerReport(tabId: number, report: PeerReport): Promise<void> {
    const { pairings } = this.deps;
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
        if (report.error) await this.fail(report.pairId, `The full-state copy failed: ${report.error}`);
        else await pairings.update((all) => updatePairing(all, report.pairId, (p) => (p.copy?.toTabId === tabId ? markLive(p) : p)));
    }
  }

  /** Routes an envelope to the other tab of its pairing; a lost one is sent again by its peer. */
  private async routeEnvelope(fromTabId: number, pairId: string, envelope: unknown): Promise<void> {
    const pairing = findPairing(await this.deps.pairings.read(), pairId);
    if (!pairing || !sideOf(pairing, fromTabId)) {
      this.note({
        kind: 'input',
        target: `tab ${fromTabId}`,
        summary: `Rejected a message for pairing ${pairId.slice(0, 64)}: this tab is not part of it`,
        status: 'rejected',
      });
      return;
    }
    const to = otherSide(pairing, fromTabId).tabId;
    const message = { type: 'bg/envelope', pairId, envelope } as const;
    if (!this.deps.tabs.post?.(to, message)) await this.deps.tabs.send(to, message);
  }

  /** Starts the source (it shards IDs and answers the copy request), then the target (it asks for the copy). */
  private async startCopying(pairing: Pairing, from: PairedSide, to: PairedSide): Promise<PopupReply> {
    const sourceStarted = await this.startPeer(pairing, from.tabId, 'source');
    const started = sourceStarted.ok ? await this.startPeer(pairing, to.tabId, 'target') : sourceStarted;
    if (started.ok) return { ok: true };
    await this.fail(pairing.pairId, `Could not start syncing: ${started.error}`);
    return { ok: false, error: started.error };
  }

  /** Starts the peer of `tabId`'s side of `pairing` in its tab. */
  private startPeer(pairing: Pairing, tabId: number, role: PeerStartRole): Promise<TabReply> {
    const side = sideOf(pairing, tabId)!;
    return this.deps.tabs.send(tabId, {
      type: 'bg/peer-start',
      pairId: pairing.pairId,
      peerId: side.peerId,
      remotePeerId: otherSide(pairing, tabId).peerId,
      role,
      slot: side.slot,
      syncOn: pairing.syncOn,
    });
  }

  private async stopPairing(pairId: string, summary: (sites: string) => string): Promise<PopupReply> {
    const { pairings, tabs, journal } = this.deps;
    const pairing = findPairing(await pairings.read(), pairId);
    if (!pairing) return { ok: false, error: 'This pairing no longer exists.' };
    await pairings.update((current) => removePairing(current, pairId));
    await Promise.all(pairing.sides.map((s) => tabs.send(s.tabId, { type: 'bg/peer-stop', pairId })));
    await journal.settlePending(pairing.sides.map((s) => s.siteUrl));
    this.note({ kind: 'pairing', target: scopesOf(pairing), summary: summary(pairing.sides.map((s) => s.siteUrl).join(' and ')), status: 'info' });
    return { ok: true };
  }

  /** A pairing ends without the user asking (a tab closed, reloaded a saved site, switched site): the popup says why. */
  private async endPairing(pairing: Pairing, reason: string): Promise<void> {
    await this.deps.endedPairings.update((ended) =>
      recordEnded(ended, {
        pairId: pairing.pairId,
        tabIds: [pairing.sides[0].tabId, pairing.sides[1].tabId],
        siteUrls: [pairing.sides[0].siteUrl, pairing.sides[1].siteUrl],
        reason,
        at: this.deps.now(),
      }),
    );
    await this.stopPairing(pairing.pairId, (sites) => `Pairing ended. ${reason} Changes no longer flow between ${sites}.`);
  }

  private async fail(pairId: string, error: string): Promise<void> {
    const updated = await this.deps.pairings.update((all) => updatePairing(all, pairId, (p) => markError(p, error)));
    const pairing = findPairing(updated, pairId);
    this.note({ kind: 'pairing', target: pairing ? scopesOf(pairing) : pairId, summary: error, status: 'failed' });
  }

  /** Sends `message` to every tab of `pairing`; answers the first refusal's reason, or null. */
  private async tellEverySide(pairing: Pairing, message: BackgroundToTab): Promise<string | null> {
    const replies = await Promise.all(pairing.sides.map((s) => this.deps.tabs.send(s.tabId, message)));
    const failed = replies.find((reply) => !reply.ok);
    return failed && !failed.ok ? failed.error : null;
  }

  private async readSummary(tabId: number): Promise<ContentSummary | string> {
    const reply = await this.deps.tabs.send(tabId, { type: 'bg/summary' });
    if (!reply.ok) return reply.error;
    return reply.summary ?? `Tab ${tabId} did not describe its content`;
  }

  private newSide({ tabId, site, document }: PairableSite, slot: number): PairedSide {
    return {
      tabId,
      peerId: this.deps.ids.peerId(tabId),
      slot,
      scope: site.scope,
      siteUrl: site.siteUrl,
      name: site.name,
      storage: site.storage,
      document,
      pending: 0,
    };
  }

  /** Journals what the background decided; nothing waits for it. */
  private note(line: BackgroundLine): void {
    void this.deps.journal.append([backgroundEntry(line, this.deps.ids.lineId(), this.deps.now())]);
  }
}

/** The side of `tabId` as its latest site report describes it. */
function withReportedSite(pairing: Pairing, tabId: number, report: SiteReport): Pairing {
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

function scopesOf(pairing: Pairing): string {
  return pairing.sides.map((s) => s.scope).join(' ↔ ');
}
