import { MAX_GROUP_MEMBERS } from '../protocol/ids';
import type { PopupReply } from '../protocol/popup';
import type { BackgroundToTab, ContentSummary, TabReply, TabToBackground } from '../protocol/runtime';
import { backgroundEntry, type BackgroundLine } from '../journal/background-line';
import { applyTabReport, removeTab, retainTabs } from '../registry/tab-registry';
import { checkPairRequest, type PairableSite } from './pair-request';
import { givesLowIds, numbererOf, SOURCE_SLOT, type Pairing, type PairedSide } from './pairings';
import type { CoordinatorDeps } from './coordinator-deps';
import { judgeSiteReport } from './site-report';
import {
  addSide,
  copyInstalled,
  copySourceFor,
  dismissEnded,
  dismissEndedOfTabs,
  findPairing,
  markError,
  otherSides,
  pairingOfTab,
  recordEnded,
  removePairing,
  removeSide,
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

/** What tells every member who numbers the group's rows, and who did before (`bg/numbering`); call with a numberer named. */
function numberingOf(pairing: Pairing): Extract<BackgroundToTab, { type: 'bg/numbering' }> {
  return {
    type: 'bg/numbering',
    pairId: pairing.pairId,
    on: givesLowIds(pairing),
    numbererPeer: pairing.numbererPeer!,
    ...(pairing.formerNumberers ? { formerNumberers: pairing.formerNumberers } : {}),
  };
}

/** Whether `side` hands out the group's low IDs (see `numbererOf`). */
function isNumberer(pairing: Pairing, side: PairedSide): boolean {
  return givesLowIds(pairing) && numbererOf(pairing)?.tabId === side.tabId;
}

/**
 * The background's pairing logic, platform-free: groups two or more tabs (one side's full state
 * copied to every other, then live), adds and removes tabs, stops, pauses and retries groups,
 * follows what tabs report (a reload is restored or resumes, another site takes the tab out) and
 * routes envelopes to the member each one names. Every state it keeps is in its stores, so a
 * restarted background goes on where it stopped.
 */
export class PairingCoordinator {
  /** The membership changes made so far, in turn (see `inTurn`). */
  private membershipChanges: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CoordinatorDeps) {}

  /**
   * Syncs two or more tabs as a group: one site's full state is copied to every other, then live
   * sync starts. Sites holding different content are grouped only once the user said which one to keep.
   */
  async pair(tabIds: readonly number[], keep: number | undefined): Promise<PopupReply> {
    const { registry, pairings, endedPairings, ids, now } = this.deps;
    const check = checkPairRequest(await registry.read(), await pairings.read(), tabIds);
    if (!check.ok) return check;
    if (keep !== undefined && !tabIds.includes(keep)) return { ok: false, error: 'The site to keep must be one of the tabs picked.' };

    let source = keep ?? tabIds[0]!;
    if (keep === undefined) {
      const summaries = await Promise.all(check.sites.map(({ tabId }) => this.readSummary(tabId)));
      const failed = summaries.find((summary) => typeof summary === 'string');
      if (typeof failed === 'string') return { ok: false, error: failed };
      const read = summaries as ContentSummary[];
      if (new Set(read.map((summary) => summary.digest)).size > 1) {
        return {
          ok: false,
          error: 'These sites already hold different content: choose which one to keep. The others will be replaced by a copy of it.',
          differ: check.sites.map(({ tabId }, index) => ({ tabId, summary: read[index]! })),
        };
      }
      // Same content: copying either way changes nothing users made; the first picked is the source.
      source = check.sites[0]!.tabId;
    }

    const sourceSite = check.sites.find((site) => site.tabId === source)!;
    const targetSites = check.sites.filter((site) => site.tabId !== source);
    const sourceSide = this.newSide(sourceSite, SOURCE_SLOT);
    let pairing: Pairing = {
      pairId: ids.pairId(),
      sides: [sourceSide, ...targetSites.map((site, index) => this.newSide(site, SOURCE_SLOT + 1 + index))],
      nextSlot: SOURCE_SLOT + 1 + targetSites.length,
      syncOn: true,
      // Low IDs are on from the start (the card's switch turns them off): the site copied from numbers.
      lowIds: true,
      numbererPeer: sourceSide.peerId,
      phase: 'copying',
      createdAt: now(),
    };
    for (const target of targetSites) pairing = startCopy(pairing, target.tabId, { fromTabId: source, reason: 'pairing' });
    // Re-checked inside the update: another pair request may have taken one of the tabs meanwhile.
    let taken = false;
    await pairings.update((current) => {
      taken = tabIds.some((tabId) => pairingOfTab(current, tabId));
      return taken ? current : [...current, pairing];
    });
    if (taken) return { ok: false, error: 'One of these tabs was paired meanwhile.' };
    // Why an earlier pairing of these tabs ended no longer matters once they are paired again.
    await endedPairings.update((ended) => dismissEndedOfTabs(ended, tabIds));
    const others = targetSites.map(({ site }) => site.siteUrl);
    this.note({
      kind: 'pairing',
      target: `${sourceSite.site.scope} → ${targetSites.map(({ site }) => site.scope).join(', ')}`,
      summary:
        others.length === 1
          ? `Paired ${sourceSite.site.siteUrl} with ${others[0]}: copying the first one's full state to the second`
          : `Grouped ${sourceSite.site.siteUrl} with ${others.join(', ')}: copying the first one's full state to the others`,
      status: 'info',
    });
    return this.startCopying(pairing, pairing.sides[0]!, pairing.sides.slice(1));
  }

  /**
   * Adds a tab to a running group: every member opens a link to it first, then it asks one of them
   * for a copy of the group's state and goes live once that is installed.
   */
  async addTab(pairId: string, tabId: number): Promise<PopupReply> {
    const { registry, pairings, endedPairings } = this.deps;
    const pairing = findPairing(await pairings.read(), pairId);
    if (!pairing) return { ok: false, error: 'This group no longer exists.' };
    if (pairing.phase === 'error') return { ok: false, error: 'This group stopped: pair its tabs again.' };
    if (sideOf(pairing, tabId)) return { ok: false, error: 'This tab is in the group already.' };
    const tabs = await registry.read();
    // Every member is told of the newcomer, and one whose page reloads cannot hear it yet. Not
    // named: its new page gets a new name, shown on the card before the tab is back.
    const reloading = pairing.sides.some((side) => tabs[side.tabId] !== undefined && tabs[side.tabId]!.status !== 'ready');
    if (reloading) return { ok: false, error: 'A tab of this group is reloading: add the tab once it is back.' };
    const check = checkPairRequest(tabs, await pairings.read(), [...pairing.sides.map((side) => side.tabId), tabId], pairId);
    if (!check.ok) return check;
    if (pairing.sides.length >= MAX_GROUP_MEMBERS) return { ok: false, error: `A group has at most ${MAX_GROUP_MEMBERS} tabs.` };
    const source = copySourceFor(pairing, tabId);
    if (!source) return { ok: false, error: 'Every tab of this group is being copied into: try again once that is done.' };
    const joining = this.newSide(check.sites.at(-1)!, pairing.nextSlot);
    const refused = await this.tellEverySide(pairing, { type: 'bg/member', pairId, change: 'add', peerId: joining.peerId });
    if (refused !== null) return { ok: false, error: `Could not add the tab: ${refused}` };
    const updated = await pairings.update((all) =>
      updatePairing(all, pairId, (p) => startCopy(addSide(p, joining), tabId, { fromTabId: source.tabId, reason: 'join' })),
    );
    await endedPairings.update((ended) => dismissEndedOfTabs(ended, [tabId]));
    this.note({ kind: 'pairing', target: joining.scope, summary: `${joining.siteUrl} joined the group: copying ${source.siteUrl}'s full state to it`, status: 'info' });
    const reply = await this.startPeer(findPairing(updated, pairId)!, tabId, 'target', source.peerId);
    if (reply.ok) return { ok: true };
    await this.fail(pairId, `Could not add ${joining.siteUrl}: ${reply.error}`);
    return { ok: false, error: reply.error };
  }

  /** Takes a tab out of its group, which goes on without it (a group of two ends: unpaired). */
  removeTab(pairId: string, tabId: number): Promise<PopupReply> {
    return this.inTurn(() => this.takeOut(pairId, tabId));
  }

  private async takeOut(pairId: string, tabId: number): Promise<PopupReply> {
    const pairing = findPairing(await this.deps.pairings.read(), pairId);
    const side = pairing && sideOf(pairing, tabId);
    if (!pairing || !side) return { ok: false, error: 'This tab is not in that group.' };
    if (pairing.sides.length <= 2) return this.unpair(pairId);
    await this.leave(pairing, side, `${side.siteUrl} left the group: changes no longer flow between it and the others`);
    return { ok: true };
  }

  unpair(pairId: string): Promise<PopupReply> {
    return this.stopPairing(pairId, (sites) => `Unpaired: changes no longer flow between ${sites}`);
  }

  async dismissEnded(pairId: string): Promise<PopupReply> {
    await this.deps.endedPairings.update((ended) => dismissEnded(ended, pairId));
    return { ok: true };
  }

  /** Every tab of a group applies again what it could not apply. */
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
    return { ok: true, frontTabId: pairing.sides[0]!.tabId };
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

  /**
   * Site reports, tabs gone and tabs taken out are judged one at a time: of two tabs of a group
   * reloaded at once, the second one's restore starts once the first one's peer runs (it then
   * takes the second one's reset); a member leaving meanwhile is left out of the restore's peer.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.membershipChanges.then(work);
    this.membershipChanges = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** A message of a tab's content script (already validated). */
  async onTabMessage(tabId: number, message: TabToBackground): Promise<void> {
    const { registry, journal, now } = this.deps;
    switch (message.type) {
      case 'tab/site':
        await registry.update((current) => applyTabReport(current, tabId, message, now()));
        return this.inTurn(() => this.onTabSite(tabId, message));
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

  /**
   * A tab closed or left Playground: it leaves the registry and its group, which goes on without
   * it; a group left with one tab ends (a new tab is a new site: add it again).
   */
  onTabGone(tabId: number, what: TabGone): Promise<void> {
    return this.inTurn(() => this.tabGone(tabId, what));
  }

  private async tabGone(tabId: number, what: TabGone): Promise<void> {
    const { registry, pairings } = this.deps;
    if (!(String(tabId) in (await registry.read()))) return;
    await registry.update((current) => removeTab(current, tabId));
    const pairing = pairingOfTab(await pairings.read(), tabId);
    if (!pairing) return;
    const side = sideOf(pairing, tabId)!;
    if (pairing.sides.length <= 2) return this.endPairing(pairing, `The tab of ${side.name} ${what}.`);
    await this.leave(pairing, side, `The tab of ${side.name} ${what}: it left the group, which goes on without it`);
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
    if (verdict.kind === 'end') {
      if (pairing.sides.length <= 2) return this.endPairing(pairing, verdict.reason);
      return this.leave(pairing, mine, `${verdict.reason.replace(/ Pair again to sync it\.$/, '')} It left the group, which goes on without it.`);
    }
    // The page that would have marked its sent lines applied is gone.
    await this.deps.journal.settlePending([mine.siteUrl]);
    if (verdict.kind === 'resume') return this.resume(pairing, tabId, report);
    // A member whose page reloaded too is left out: its own report, next in turn, starts it afresh.
    const open = await this.openSides(otherSides(pairing, tabId));
    const copySourceAmong = (sides: readonly PairedSide[], target: number) => sides.find((side) => !side.copy && side.tabId !== target);
    const source = copySourceAmong(open, tabId);
    // The copies it was giving are asked of another member not copied into (a pair has none).
    const redirected = open.flatMap((target) => (target.copy?.fromTabId === tabId ? [{ target, reason: target.copy.reason, from: copySourceAmong(open, target.tabId) }] : []));
    if (!source || redirected.some(({ from }) => !from)) {
      await this.fail(pairing.pairId, `${site.siteUrl} was reloaded while its state was being copied to another tab; pair again`);
      return;
    }
    // Every other member opens its link to the reloaded tab again before it asks for its copy.
    const refused = await this.tellSides(open, { type: 'bg/member', pairId: pairing.pairId, change: 'reset', peerId: mine.peerId, life: site.siteUrl });
    if (refused !== null) {
      await this.fail(pairing.pairId, `Could not restore ${site.siteUrl}: ${refused}`);
      return;
    }
    const updated = await this.deps.pairings.update((all) =>
      updatePairing(all, pairing.pairId, (p) =>
        redirected.reduce(
          (next, { target, reason, from }) => startCopy(next, target.tabId, { fromTabId: from!.tabId, reason }),
          startCopy(withReportedSite(p, tabId, report), tabId, { fromTabId: source.tabId, reason: 'restore' }),
        ),
      ),
    );
    for (const { target, from } of redirected) {
      this.note({ kind: 'pairing', target: target.scope, summary: `${target.siteUrl} gets its copy from ${from!.siteUrl} instead: ${mine.siteUrl} was reloaded`, status: 'info' });
      const moved = await this.deps.tabs.send(target.tabId, { type: 'bg/copy-from', pairId: pairing.pairId, peerId: from!.peerId });
      if (!moved.ok) return this.fail(pairing.pairId, `Could not copy ${target.siteUrl} from ${from!.siteUrl}: ${moved.error}`);
    }
    this.note({
      kind: 'pairing',
      site: site.siteUrl,
      target: site.scope,
      summary: `${site.siteUrl} lost its site (the tab was reloaded): restoring it from ${source.siteUrl}`,
      status: 'info',
    });
    // A copy replaced the numberer's site: it may lack renumberings some member applied (the member of the lowest slot left takes over).
    const restored = findPairing(updated, pairing.pairId);
    const handOverRefused = restored ? await this.tellHandOver(pairing, restored, open) : null;
    if (handOverRefused !== null) return this.fail(pairing.pairId, `Could not restore ${site.siteUrl}: ${handOverRefused}`);
    const reply = await this.startPeer(restored ?? pairing, tabId, 'target', source.peerId);
    if (!reply.ok) await this.fail(pairing.pairId, `Could not restore ${site.siteUrl}: ${reply.error}`);
  }

  /** A paired saved site reloaded while live: its new page goes on from what the site kept, without a copy. */
  private async resume(pairing: Pairing, tabId: number, report: SiteReport): Promise<void> {
    const { site } = report;
    const others = otherSides(pairing, tabId).map((side) => side.siteUrl);
    await this.deps.pairings.update((all) => updatePairing(all, pairing.pairId, (p) => withReportedSite(p, tabId, report)));
    this.note({
      kind: 'pairing',
      site: site.siteUrl,
      target: site.scope,
      summary: `${site.siteUrl} was reloaded and kept its saved content: syncing with ${others.join(', ')} goes on from there`,
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
        await pairings.update((all) => updatePairing(all, report.pairId, (p) => withCopyProgress(p, tabId, report.done, report.total)));
        return;
      case 'tab/copy-done':
        if (report.error) await this.fail(report.pairId, `The full-state copy failed: ${report.error}`);
        else await pairings.update((all) => updatePairing(all, report.pairId, (p) => copyInstalled(p, tabId)));
    }
  }

  /** Routes an envelope to the member it names (`to`); a lost one is sent again by its peer. */
  private async routeEnvelope(fromTabId: number, pairId: string, envelope: unknown): Promise<void> {
    const pairing = findPairing(await this.deps.pairings.read(), pairId);
    const refuse = (why: string) =>
      this.note({ kind: 'input', target: `tab ${fromTabId}`, summary: `Rejected a message for pairing ${pairId.slice(0, 64)}: ${why}`, status: 'rejected' });
    if (!pairing || !sideOf(pairing, fromTabId)) return refuse('this tab is not part of it');
    const named = typeof envelope === 'object' && envelope !== null ? (envelope as { to?: unknown }).to : undefined;
    const to = otherSides(pairing, fromTabId).find((side) => side.peerId === named);
    // A member that left a moment ago: what was on its way to it is dropped without a word.
    if (!to) return typeof named === 'string' ? undefined : refuse('it names no member to go to');
    const message = { type: 'bg/envelope', pairId, envelope } as const;
    if (!this.deps.tabs.post?.(to.tabId, message)) await this.deps.tabs.send(to.tabId, message);
  }

  /**
   * Switches low IDs on or off for the group (docs/ids.md). Only the numberer's site acts on it;
   * with the numberer gone from the group, no site hands out low IDs any more and the switch says so.
   */
  async setLowIds(pairId: string, on: boolean): Promise<PopupReply> {
    const updated = await this.deps.pairings.update((current) =>
      updatePairing(current, pairId, (p) => {
        if (givesLowIds(p) === on) return p;
        const numbererPeer = p.numbererPeer ?? (on ? numbererOf(p)?.peerId : undefined);
        return { ...p, lowIds: on, ...(numbererPeer ? { numbererPeer } : {}) };
      }),
    );
    const pairing = findPairing(updated, pairId);
    if (!pairing) return { ok: false, error: 'This pairing no longer exists.' };
    const refused = pairing.numbererPeer ? await this.tellEverySide(pairing, numberingOf(pairing)) : null;
    this.note({
      kind: 'pairing',
      target: scopesOf(pairing),
      summary: on ? 'Low IDs on: rows made while synced get the next low ID, the same on every site' : 'Low IDs off: new rows keep the IDs of their site’s range',
      status: 'info',
    });
    return refused === null ? { ok: true } : { ok: false, error: refused };
  }

  /** Starts the source (it shards IDs and answers the copy requests), then every target (each asks it for a copy). */
  private async startCopying(pairing: Pairing, from: PairedSide, to: readonly PairedSide[]): Promise<PopupReply> {
    let started = await this.startPeer(pairing, from.tabId, 'source');
    for (const target of to) if (started.ok) started = await this.startPeer(pairing, target.tabId, 'target', from.peerId);
    if (started.ok) return { ok: true };
    await this.fail(pairing.pairId, `Could not start syncing: ${started.error}`);
    return { ok: false, error: started.error };
  }

  /** Starts the peer of `tabId`'s side of `pairing` in its tab (a target asks `copyFrom` for its copy). */
  private startPeer(pairing: Pairing, tabId: number, role: PeerStartRole, copyFrom?: string): Promise<TabReply> {
    const side = sideOf(pairing, tabId)!;
    return this.deps.tabs.send(tabId, {
      type: 'bg/peer-start',
      pairId: pairing.pairId,
      peerId: side.peerId,
      members: otherSides(pairing, tabId).map((other) => other.peerId),
      role,
      ...(copyFrom ? { copyFrom } : {}),
      slot: side.slot,
      syncOn: pairing.syncOn,
      numberer: isNumberer(pairing, side),
      ...(pairing.numbererPeer ? { numbererPeer: pairing.numbererPeer } : {}),
      ...(pairing.formerNumberers ? { formerNumberers: pairing.formerNumberers } : {}),
    });
  }

  /** `side` leaves the group: its engine stops, the others close their links to it, the group goes on. */
  private async leave(pairing: Pairing, side: PairedSide, summary: string): Promise<void> {
    const { pairings, tabs, journal } = this.deps;
    const left = findPairing(await pairings.update((all) => updatePairing(all, pairing.pairId, (p) => removeSide(p, side.tabId))), pairing.pairId);
    await tabs.send(side.tabId, { type: 'bg/peer-stop', pairId: pairing.pairId });
    // A member whose page reloads starts afresh without it (its restore or resume names the members left).
    const open = await this.openSides(otherSides(pairing, side.tabId));
    let refused = await this.tellSides(open, { type: 'bg/member', pairId: pairing.pairId, change: 'remove', peerId: side.peerId });
    await journal.settlePending([side.siteUrl]);
    this.note({ kind: 'pairing', site: side.siteUrl, target: side.scope, summary, status: 'info' });
    // Told after the member's removal, so the next numberer asks the others once they let it go.
    if (refused === null && left) refused = await this.tellHandOver(pairing, left, open);
    if (refused !== null) await this.fail(pairing.pairId, `A tab could not let ${side.siteUrl} go: ${refused}`);
  }

  /**
   * The numberer's site left or was restored (`before` → `after`): another member numbers now
   * (`handOverNumbering`). Every member in `to` hears it; the journal says so while low IDs are on.
   * Answers why a member refused, or null.
   */
  private async tellHandOver(before: Pairing, after: Pairing, to: readonly PairedSide[]): Promise<string | null> {
    if (after.numbererPeer === before.numbererPeer || after.numbererPeer === undefined) return null;
    const next = numbererOf(after);
    if (givesLowIds(after) && next) {
      this.note({ kind: 'pairing', site: next.siteUrl, target: next.scope, summary: `${next.siteUrl} gives the group's low IDs now, once it has every one given before`, status: 'info' });
    }
    return this.tellSides(to, numberingOf(after));
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
        tabIds: pairing.sides.map((side) => side.tabId),
        siteUrls: pairing.sides.map((side) => side.siteUrl),
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

  /**
   * Of `sides`, those whose page is still the one the group knows: a reloaded one's page is gone,
   * or its report waits its turn (see `inTurn`).
   */
  private async openSides(sides: readonly PairedSide[]): Promise<PairedSide[]> {
    const tabs = await this.deps.registry.read();
    return sides.filter((side) => tabs[side.tabId]?.document?.id === side.document.id);
  }

  /** Sends `message` to every tab of `pairing`; answers the first refusal's reason, or null. */
  private tellEverySide(pairing: Pairing, message: BackgroundToTab): Promise<string | null> {
    return this.tellSides(pairing.sides, message);
  }

  private async tellSides(sides: readonly PairedSide[], message: BackgroundToTab): Promise<string | null> {
    const replies = await Promise.all(sides.map((s) => this.deps.tabs.send(s.tabId, message)));
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
