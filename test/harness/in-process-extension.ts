import { PairingCoordinator } from '../../src/pairing/coordinator';
import type { CoordinatorIds } from '../../src/pairing/coordinator-deps';
import { answerBackground, type MemberPage } from '../../src/pairing/member-commands';
import { MemberHost, type ClosableLane, type MemberHostOptions } from '../../src/pairing/member-host';
import { findPairing, pairingOfTab } from '../../src/pairing/pairings-state';
import type { Pairing } from '../../src/pairing/pairings';
import type { SiteClient } from '../../src/platform/site-client';
import { TabToBackgroundSchema, type BackgroundToTab, type TabReply, type TabToBackground } from '../../src/protocol/runtime';
import type { StorageKind } from '../../src/protocol/site';
import { parseMessage } from '../../src/protocol/validate';
import { describeSite } from '../../src/site/describe-site';
import type { NodeSite } from './boot-node-site';
import { memoryBackground, type MemoryBackground } from './in-memory-background';

/**
 * The extension in one Node process: the real pairing coordinator on in-memory stores, and tabs
 * that each run a real WordPress site (`NodeSite`) with the real member host and command
 * handler. Messages between them cross as JSON, as over `chrome.runtime`; reports are validated
 * as the background validates them. Pair as the popup does: `extension.pair([tabA, tabB, …], keep)`.
 */

type EnvelopeCommand = Extract<BackgroundToTab, { type: 'bg/envelope' }>;

export interface InProcessExtensionOptions {
  /** Names for new pairings and peers (random by default). */
  readonly ids?: Partial<CoordinatorIds>;
  readonly now?: () => number;
  /**
   * Takes an envelope the background posts to `toTabId` (a link with faults between two tabs);
   * false: not taken, it is delivered at once.
   */
  readonly routeEnvelope?: (toTabId: number, command: EnvelopeCommand) => boolean;
}

export interface InProcessTabOptions {
  /** How the page keeps the site (default `opfs`: a reload keeps it and resumes). */
  readonly storage?: StorageKind;
  /** The name the Playground page shows (default: none, the scope is shown). */
  readonly name?: string;
  /** The client as the tab's code sees it (e.g. measured); a reload wraps the new page's client again. */
  readonly wrapClient?: (client: SiteClient) => SiteClient;
  /** Opens a lane for each peer (e.g. `BroadcastLane.open`); none by default. */
  readonly openLane?: MemberHostOptions['openLane'];
  readonly tuning?: MemberHostOptions['tuning'];
}

export class InProcessExtension {
  readonly background: MemoryBackground;
  readonly coordinator: PairingCoordinator;
  private readonly tabs = new Map<number, InProcessTab>();
  private readonly work = new Set<Promise<unknown>>();
  private nextTabId = 1;

  constructor(private readonly options: InProcessExtensionOptions = {}) {
    this.background = memoryBackground(
      {
        send: async (tabId, message) => this.tabs.get(tabId)?.answer(message) ?? { ok: false, error: `Tab ${tabId} cannot be reached` },
        post: (tabId, message) => {
          if (message.type === 'bg/envelope' && this.options.routeEnvelope?.(tabId, message)) return true;
          const tab = this.tabs.get(tabId);
          if (!tab) return false;
          this.track(tab.answer(message));
          return true;
        },
      },
      { ids: options.ids, now: options.now },
    );
    this.coordinator = new PairingCoordinator(this.background.deps);
  }

  /** Opens a tab on `site`: its page describes the site and reports it, as the content script does. */
  async openTab(site: NodeSite, options: InProcessTabOptions = {}): Promise<InProcessTab> {
    const tab = new InProcessTab(this.nextTabId++, site, options, (tabId, message) => this.fromTab(tabId, message));
    this.tabs.set(tab.tabId, tab);
    await tab.openPage();
    await this.idle();
    return tab;
  }

  tab(tabId: number): InProcessTab {
    const tab = this.tabs.get(tabId);
    if (!tab) throw new Error(`No tab ${tabId}`);
    return tab;
  }

  /** What the popup's Pair button does (two tabs, or more: a group). */
  pair(tabIds: readonly number[], keep?: number) {
    return this.coordinator.pair(tabIds, keep);
  }

  /** What a group card's "Add to group" does. */
  addTab(pairId: string, tabId: number) {
    return this.coordinator.addTab(pairId, tabId);
  }

  /** What a group card's "Remove" does. */
  removeTab(pairId: string, tabId: number) {
    return this.coordinator.removeTab(pairId, tabId);
  }

  async pairingOf(tabId: number): Promise<Pairing | undefined> {
    return pairingOfTab(await this.background.pairings.read(), tabId);
  }

  async pairing(pairId: string): Promise<Pairing | undefined> {
    return findPairing(await this.background.pairings.read(), pairId);
  }

  /** The tab is closed: its page goes at once, and the background hears of it. */
  async closeTab(tabId: number): Promise<void> {
    const tab = this.tab(tabId);
    this.tabs.delete(tabId);
    await tab.closePage();
    await this.coordinator.onTabGone(tabId, 'was closed');
    await this.idle();
  }

  /** Waits until the background handled everything the tabs reported (and what that caused). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Stops every tab's peer (the sites stay as they are). */
  async stopAll(): Promise<void> {
    for (const tab of this.tabs.values()) await tab.closePage();
    await this.idle();
  }

  private fromTab(tabId: number, message: TabToBackground): void {
    // As over a runtime port: JSON, then validated by the background.
    const parsed = parseMessage(TabToBackgroundSchema, JSON.parse(JSON.stringify(message)), 'tab message');
    if (!parsed.ok) throw new Error(`Tab ${tabId} sent what the background refuses: ${parsed.error}`);
    this.track(this.coordinator.onTabMessage(tabId, parsed.value));
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined).finally(() => this.work.delete(settled));
    this.work.add(settled);
  }
}

/** A tab of the in-process extension: one page at a time on its site, a new one after each reload. */
export class InProcessTab {
  private page: OpenPage | null = null;
  private reported: ((message: TabToBackground) => void)[] = [];
  private pages = 0;

  constructor(
    readonly tabId: number,
    readonly site: NodeSite,
    private readonly options: InProcessTabOptions,
    private readonly toBackground: (tabId: number, message: TabToBackground) => void,
  ) {}

  /** The member host of the page open now. */
  get host(): MemberHost {
    if (!this.page) throw new Error(`Tab ${this.tabId} has no page open`);
    return this.page.host;
  }

  /** Every report the tab's pages send from now on, to `listener` too (problems, pending counts…). */
  observe(listener: (message: TabToBackground) => void): void {
    this.reported.push(listener);
  }

  /** What the tab's timer does now (it never fires on its own here: runs stay reproducible). */
  runTimer(): void {
    for (const work of this.page?.timers ?? []) work();
  }

  /** A command of the background, as `tabs.sendMessage` delivers it: JSON both ways. */
  async answer(message: BackgroundToTab): Promise<TabReply> {
    if (!this.page) return { ok: false, error: `Tab ${this.tabId} cannot be reached (no page)` };
    const reply = await answerBackground(this.page.memberPage, JSON.parse(JSON.stringify(message)));
    return JSON.parse(JSON.stringify(reply)) as TabReply;
  }

  /**
   * Reloads the tab abruptly: the page's peer is not stopped and nothing it does reaches anyone
   * any more; the site reloads (see `NodeSite.reload`) and a new page reports it.
   */
  async reload(): Promise<void> {
    const old = this.page;
    this.page = null;
    old?.close();
    await this.site.reload();
    // Its timers die with the page; everything it still tries fails on the closed client and is heard by no one.
    void old?.host.stop();
    await this.openPage();
  }

  /** @internal The page goes away (the tab closed or everything stops): its peer stops. */
  async closePage(): Promise<void> {
    const page = this.page;
    this.page = null;
    page?.close();
    await page?.host.stop();
  }

  /** @internal A new page on the site: it describes the site and reports it. */
  async openPage(): Promise<void> {
    const client = this.options.wrapClient?.(this.site.client) ?? this.site.client;
    const page = new OpenPage(client, this.options, (message) => {
      for (const listener of this.reported) listener(message);
      this.toBackground(this.tabId, message);
    }, (path) => this.site.visit(path).then(() => undefined));
    const site = await describeSite(client, { source: 'playgroundSites', storage: this.options.storage ?? 'opfs', name: this.options.name ?? '' });
    page.siteReady = true;
    this.page = page;
    page.report({ type: 'tab/site', site, document: { id: `tab-${this.tabId}-page-${++this.pages}`, client: 1 }, peer: page.host.current });
  }
}

/** One page document: its member host, its timers and lanes, and whether anything it says still goes out. */
class OpenPage {
  readonly host: MemberHost;
  readonly memberPage: MemberPage;
  readonly timers = new Set<() => void>();
  private readonly lanes: ClosableLane[] = [];
  /** Background messages this page refused as malformed (the extension journals them). */
  readonly refused: string[] = [];
  private open = true;
  siteReady = false;

  constructor(
    client: SiteClient,
    options: InProcessTabOptions,
    private readonly send: (message: TabToBackground) => void,
    goTo: (path: string) => Promise<void>,
  ) {
    const { openLane } = options;
    this.host = new MemberHost({
      client,
      report: (message) => this.report(message),
      repeat: (_ms, work) => {
        this.timers.add(work);
        return () => this.timers.delete(work);
      },
      ...(openLane
        ? {
            openLane: (receive: (message: unknown) => void) => {
              const lane = openLane(receive);
              this.lanes.push(lane);
              return lane;
            },
          }
        : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    });
    this.memberPage = {
      host: this.host,
      client,
      ready: () => this.siteReady,
      goTo,
      report: (message) => this.report(message),
      onRejected: (summary) => this.refused.push(summary),
    };
  }

  report(message: TabToBackground): void {
    if (this.open) this.send(message);
  }

  close(): void {
    this.open = false;
    this.timers.clear();
    for (const lane of this.lanes.splice(0)) lane.close();
  }
}
