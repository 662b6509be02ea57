import { describe, expect, it } from 'vitest';
import { PairingCoordinator } from '../../src/pairing/coordinator';
import type { BackgroundToTab, ContentSummary, TabReply } from '../../src/protocol/runtime';
import type { SiteInfo, StorageKind } from '../../src/protocol/site';
import { markDocumentGone } from '../../src/registry/tab-registry';
import { memoryBackground } from '../harness/in-memory-background';

const summary = (digest: string): ContentSummary => ({ posts: 1, pages: 1, comments: 0, users: 1, media: 0, plugins: [], theme: 'twentyfour', rows: 10, files: 5, digest });

const site = (scope: string, storage: StorageKind): SiteInfo => ({
  scope,
  siteUrl: `https://playground.wordpress.net/scope:${scope}/`,
  name: scope,
  wordpressVersion: '6.7',
  phpVersion: '8.3.0',
  storage,
  clientSource: 'playgroundSites',
});

/** Tabs that answer every command as told and remember what they were sent. */
class ScriptedTabs {
  readonly sent: { tabId: number; message: BackgroundToTab }[] = [];
  readonly posted: { tabId: number; message: BackgroundToTab }[] = [];
  digests = new Map<number, string>();
  refuse = new Map<number, string>();
  send(tabId: number, message: BackgroundToTab): Promise<TabReply> {
    this.sent.push({ tabId, message });
    const refusal = this.refuse.get(tabId);
    if (refusal) return Promise.resolve({ ok: false, error: refusal });
    if (message.type === 'bg/summary') return Promise.resolve({ ok: true, summary: summary(this.digests.get(tabId) ?? 'same') });
    return Promise.resolve({ ok: true });
  }
  post(tabId: number, message: BackgroundToTab): boolean {
    this.posted.push({ tabId, message });
    return true;
  }
  kinds(): string[] {
    return this.sent.map(({ tabId, message }) => {
      const detail =
        message.type === 'bg/peer-start' ? ` ${message.role}` : message.type === 'bg/member' ? ` ${message.change} ${message.peerId}` : message.type === 'bg/copy-from' ? ` ${message.peerId}` : '';
      return `${tabId} ${message.type}${detail}`;
    });
  }
}

let counter = 0;
async function setUp(storage: StorageKind = 'temporary') {
  const tabs = new ScriptedTabs();
  const background = memoryBackground(tabs, { ids: { pairId: () => `pair-${++counter}`, peerId: (tabId) => `peer-${tabId}-${counter}` }, now: () => 1000 });
  const coordinator = new PairingCoordinator(background.deps);
  const report = (tabId: number, scope: string, document = `doc-${tabId}`, client = 1, siteStorage = storage) =>
    coordinator.onTabMessage(tabId, { type: 'tab/site', site: site(scope, siteStorage), document: { id: document, client } });
  await report(1, 'amber');
  await report(2, 'birch');
  return { tabs, background, coordinator, report };
}

async function livePair(storage: StorageKind = 'temporary') {
  const setup = await setUp(storage);
  expect(await setup.coordinator.pair([1, 2], undefined)).toEqual({ ok: true });
  const { pairId } = setup.background.pairings.value[0]!;
  await setup.coordinator.onTabMessage(2, { type: 'tab/copy-done', pairId });
  setup.tabs.sent.length = 0;
  return { ...setup, pairId };
}

describe('PairingCoordinator', () => {
  it('pairs two tabs of the same content: the first picked is copied to the second, which then goes live, giving low IDs', async () => {
    const { tabs, background, coordinator } = await setUp();
    expect(await coordinator.pair([1, 2], undefined)).toEqual({ ok: true });
    expect(tabs.kinds()).toEqual(['1 bg/summary', '2 bg/summary', '1 bg/peer-start source', '2 bg/peer-start target']);
    const [pairing] = background.pairings.value;
    expect(pairing).toMatchObject({ phase: 'copying', syncOn: true, sides: [{ tabId: 1 }, { tabId: 2, copy: { fromTabId: 1, reason: 'pairing' } }] });
    const [source, target] = pairing!.sides;
    // Low IDs are on from the start; the site copied from numbers.
    expect(pairing).toMatchObject({ lowIds: true, numbererPeer: source!.peerId });
    expect(tabs.sent[2]!.message).toEqual({ type: 'bg/peer-start', pairId: pairing!.pairId, peerId: source!.peerId, members: [target!.peerId], role: 'source', slot: 0, syncOn: true, numberer: true, numbererPeer: source!.peerId });
    expect(tabs.sent[3]!.message).toMatchObject({ role: 'target', slot: 1, members: [source!.peerId], copyFrom: source!.peerId, numberer: false, numbererPeer: source!.peerId });
    expect(pairing!.sides.map((side) => [side.tabId, side.slot])).toEqual([[1, 0], [2, 1]]);
    expect(background.journal.entries.map((entry) => entry.summary)).toEqual([
      expect.stringMatching(/^Paired https:\/\/playground.wordpress.net\/scope:amber\/ with .*scope:birch\/: copying/),
    ]);

    await coordinator.onTabMessage(1, { type: 'tab/copy-done', pairId: pairing!.pairId });
    expect(background.pairings.value[0]!.phase).toBe('copying');
    await coordinator.onTabMessage(2, { type: 'tab/copy-done', pairId: pairing!.pairId });
    expect(background.pairings.value[0]!.phase).toBe('live');
  });

  it('asks which site to keep when their content differs, and copies the kept one', async () => {
    const { tabs, background, coordinator } = await setUp();
    tabs.digests.set(2, 'other');
    const reply = await coordinator.pair([1, 2], undefined);
    expect(reply).toMatchObject({ ok: false, differ: [{ tabId: 1 }, { tabId: 2 }] });
    expect(background.pairings.value).toEqual([]);

    tabs.sent.length = 0;
    expect(await coordinator.pair([1, 2], 2)).toEqual({ ok: true });
    expect(tabs.kinds()).toEqual(['2 bg/peer-start source', '1 bg/peer-start target']);
    expect(background.pairings.value[0]!.sides.find((side) => side.tabId === 1)!.copy).toMatchObject({ fromTabId: 2 });
    // The kept site plans the ID ranges: slot 0 is the source's, whichever tab it is.
    expect(tabs.sent.map(({ tabId, message }) => [tabId, message.type === 'bg/peer-start' ? message.slot : null])).toEqual([[2, 0], [1, 1]]);
  });

  it('refuses a tab already paired, and a site to keep that is not one of the two', async () => {
    const { coordinator, report } = await livePair();
    await report(3, 'cedar');
    expect(await coordinator.pair([1, 3], undefined)).toEqual({ ok: false, error: 'amber is already syncing with other tabs: take it out of its group first.' });
    expect(await coordinator.pair([2, 3], 1)).toMatchObject({ ok: false });
  });

  it('marks the pairing failed when a tab cannot start its peer', async () => {
    const { tabs, background, coordinator } = await setUp();
    tabs.refuse.set(1, 'The Playground site in this tab is not ready yet');
    expect(await coordinator.pair([1, 2], 1)).toEqual({ ok: false, error: 'The Playground site in this tab is not ready yet' });
    expect(tabs.kinds()).toEqual(['1 bg/peer-start source']);
    expect(background.pairings.value[0]).toMatchObject({ phase: 'error', error: 'Could not start syncing: The Playground site in this tab is not ready yet' });
  });

  it('unpairs: both tabs stop their peer, the pairing is gone, no line of theirs stays pending', async () => {
    const { tabs, background, coordinator, pairId } = await livePair();
    await background.journal.append([{ id: 'sent-1', time: 1, direction: 'sent', site: 'https://playground.wordpress.net/scope:amber', kind: 'rows', target: 'wp_posts', summary: 'x', status: 'pending' }]);
    expect(await coordinator.unpair(pairId)).toEqual({ ok: true });
    expect(tabs.kinds()).toEqual(['1 bg/peer-stop', '2 bg/peer-stop']);
    expect(background.pairings.value).toEqual([]);
    expect(background.endedPairings.value).toEqual([]);
    expect(background.journal.entries.find((entry) => entry.id === 'sent-1')!.status).toBe('info');
    expect(await coordinator.unpair(pairId)).toEqual({ ok: false, error: 'This pairing no longer exists.' });
  });

  it('ends the pairing when a paired tab closes, says why, and forgets the reason once the tabs are paired again', async () => {
    const { tabs, background, coordinator, report, pairId } = await livePair();
    await coordinator.onTabGone(2, 'was closed');
    expect(tabs.kinds()).toEqual(['1 bg/peer-stop', '2 bg/peer-stop']);
    expect(background.registry.value[2]).toBeUndefined();
    expect(background.endedPairings.value).toEqual([
      { pairId, tabIds: [1, 2], siteUrls: [expect.stringContaining('amber'), expect.stringContaining('birch')], reason: 'The tab of birch was closed.', at: 1000 },
    ]);
    await report(2, 'birch', 'doc-2b');
    expect(await coordinator.pair([1, 2], 1)).toEqual({ ok: true });
    expect(background.endedPairings.value).toEqual([]);
  });

  it('ends the pairing when a paired tab switches to another site, which is left as it is', async () => {
    const { tabs, background, report } = await livePair();
    await report(1, 'other-site', 'doc-1', 2);
    expect(tabs.kinds()).toEqual(['1 bg/peer-stop', '2 bg/peer-stop']);
    expect(background.pairings.value).toEqual([]);
    expect(background.endedPairings.value[0]!.reason).toMatch(/^The tab of amber switched to another site, other-site/);
  });

  it('restores a temporary site its reload lost from the other side', async () => {
    const { tabs, background, report } = await livePair('temporary');
    await report(2, 'birch', 'doc-2-reloaded');
    // The other member opens its link to the reloaded tab again before that tab asks it for a copy.
    expect(tabs.kinds()).toEqual([`1 bg/member reset ${background.pairings.value[0]!.sides[1]!.peerId}`, '2 bg/peer-start target']);
    expect(tabs.sent[1]!.message).toMatchObject({ role: 'target', slot: 1 });
    expect(background.pairings.value[0]).toMatchObject({ phase: 'copying', sides: [{ tabId: 1 }, { tabId: 2, copy: { fromTabId: 1, reason: 'restore' } }] });
    expect(background.pairings.value[0]!.sides[1]!.document.id).toBe('doc-2-reloaded');
  });

  it('resumes a saved site that reloaded while live, without a copy', async () => {
    const { tabs, background, report } = await livePair('opfs');
    await report(1, 'amber', 'doc-1-reloaded');
    expect(tabs.kinds()).toEqual(['1 bg/peer-start resume']);
    expect(tabs.sent[0]!.message).toMatchObject({ role: 'resume', slot: 0 });
    expect(background.pairings.value[0]).toMatchObject({ phase: 'live' });
    expect(background.journal.entries.at(-1)!.summary).toMatch(/scope:amber\/ was reloaded and kept its saved content/);
  });

  it('leaves a pairing alone when its tab only reconnects with the peer it runs', async () => {
    const { tabs, background, coordinator, pairId } = await livePair('opfs');
    const peerId = background.pairings.value[0]!.sides[0]!.peerId;
    await coordinator.onTabMessage(1, { type: 'tab/site', site: site('amber', 'opfs'), document: { id: 'doc-1-reloaded', client: 1 }, peer: { pairId, peerId } });
    expect(tabs.kinds()).toEqual([]);
  });

  it('tells a tab that runs a peer of no pairing to stop it', async () => {
    const { tabs, coordinator } = await setUp();
    await coordinator.onTabMessage(1, { type: 'tab/site', site: site('amber', 'temporary'), document: { id: 'doc-1', client: 1 }, peer: { pairId: 'gone', peerId: 'peer-x' } });
    expect(tabs.kinds()).toEqual(['1 bg/peer-stop']);
  });

  it('routes an envelope to the other tab of its pairing only, and refuses one from a tab outside it', async () => {
    const { tabs, background, coordinator, report, pairId } = await livePair();
    const to = background.pairings.value[0]!.sides[1]!.peerId;
    await coordinator.onTabMessage(1, { type: 'tab/envelope', pairId, envelope: { kind: 'ack', to } });
    expect(tabs.posted).toEqual([{ tabId: 2, message: { type: 'bg/envelope', pairId, envelope: { kind: 'ack', to } } }]);
    await report(3, 'cedar');
    await coordinator.onTabMessage(3, { type: 'tab/envelope', pairId, envelope: { kind: 'ack', to } });
    expect(tabs.posted).toHaveLength(1);
    expect(background.journal.entries.at(-1)).toMatchObject({ status: 'rejected', target: 'tab 3' });
    // Nor to itself, nor without an addressee.
    await coordinator.onTabMessage(2, { type: 'tab/envelope', pairId, envelope: { kind: 'ack', to } });
    await coordinator.onTabMessage(1, { type: 'tab/envelope', pairId, envelope: { kind: 'ack' } });
    expect(tabs.posted).toHaveLength(1);
    expect(background.journal.entries.at(-1)).toMatchObject({ status: 'rejected', summary: expect.stringMatching(/names no member/) });
  });

  it('pauses both sides, and keeps what a tab reports of its side', async () => {
    const { tabs, background, coordinator, pairId } = await livePair();
    expect(await coordinator.setSync(pairId, false)).toEqual({ ok: true });
    expect(tabs.sent.map(({ message }) => message)).toEqual([
      { type: 'bg/sync', pairId, on: false },
      { type: 'bg/sync', pairId, on: false },
    ]);
    await coordinator.onTabMessage(2, { type: 'tab/pending', pairId, pending: 7 });
    await coordinator.onTabMessage(2, { type: 'tab/problem', pairId, problem: 'The engine files are gone' });
    expect(background.pairings.value[0]).toMatchObject({ syncOn: false, sides: [{ pending: 0 }, { pending: 7, problem: 'The engine files are gone' }] });
  });

  it('switches low IDs off and on for the group: the numberer (the site copied from) stays, every side learns, a resumed numberer goes on', async () => {
    const { tabs, background, coordinator, pairId, report } = await livePair('opfs');
    const numberer = background.pairings.value[0]!.sides[0]!.peerId;
    expect(background.pairings.value[0]).toMatchObject({ lowIds: true, numbererPeer: numberer });
    expect(await coordinator.setLowIds(pairId, false)).toEqual({ ok: true });
    expect(background.pairings.value[0]).toMatchObject({ lowIds: false, numbererPeer: numberer });
    expect(background.journal.entries.at(-1)!.summary).toMatch(/^Low IDs off/);
    tabs.sent.length = 0;
    expect(await coordinator.setLowIds(pairId, true)).toEqual({ ok: true });
    expect(tabs.sent.map(({ tabId, message }) => [tabId, message])).toEqual([
      [1, { type: 'bg/numbering', pairId, on: true, numbererPeer: numberer }],
      [2, { type: 'bg/numbering', pairId, on: true, numbererPeer: numberer }],
    ]);
    expect(background.pairings.value[0]).toMatchObject({ lowIds: true, numbererPeer: numberer });
    expect(background.journal.entries.at(-1)!.summary).toMatch(/^Low IDs on/);
    tabs.sent.length = 0;
    await report(1, 'amber', 'doc-1-reloaded');
    expect(tabs.sent[0]!.message).toMatchObject({ role: 'resume', slot: 0, numberer: true, numbererPeer: numberer });
    expect(await coordinator.setLowIds(pairId, false)).toEqual({ ok: true });
    expect(tabs.sent.at(-1)).toMatchObject({ tabId: 2, message: { type: 'bg/numbering', on: false, numbererPeer: numberer } });
    expect(background.pairings.value[0]).toMatchObject({ lowIds: false, numbererPeer: numberer });
  });

  it('hands numbering over once a copy replaced the numberer’s site: the other site numbers, both learn who numbered before', async () => {
    const { tabs, background, coordinator, pairId, report } = await livePair('temporary');
    await coordinator.setLowIds(pairId, true);
    const [first, second] = background.pairings.value[0]!.sides.map((side) => side.peerId);
    tabs.sent.length = 0;
    await report(1, 'amber', 'doc-1-reloaded');
    expect(tabs.sent.map(({ tabId, message }) => `${tabId} ${message.type}`)).toEqual(['2 bg/member', '2 bg/numbering', '1 bg/peer-start']);
    expect(tabs.sent[1]!.message).toEqual({ type: 'bg/numbering', pairId, on: true, numbererPeer: second, formerNumberers: [first] });
    expect(tabs.sent[2]!.message).toMatchObject({ role: 'target', numberer: false, numbererPeer: second, formerNumberers: [first] });
    expect(background.pairings.value[0]).toMatchObject({ numbererPeer: second, formerNumberers: [first] });
    // Said after the restore it follows from.
    const said = background.journal.entries.map((entry) => entry.summary);
    expect(said.findIndex((line) => /gives the group's low IDs now/.test(line))).toBeGreaterThan(said.findIndex((line) => /lost its site/.test(line)));
  });

  it('fails the pairing when the copy fails', async () => {
    const { background, coordinator } = await setUp();
    await coordinator.pair([1, 2], 1);
    const { pairId } = background.pairings.value[0]!;
    await coordinator.onTabMessage(2, { type: 'tab/copy-done', pairId, error: 'disk full' });
    expect(background.pairings.value[0]).toMatchObject({ phase: 'error', error: 'The full-state copy failed: disk full' });
  });

  describe('groups of three or more tabs', () => {
    async function liveGroup() {
      const setup = await setUp();
      await setup.report(3, 'cedar');
      expect(await setup.coordinator.pair([1, 2, 3], undefined)).toEqual({ ok: true });
      const { pairId } = setup.background.pairings.value[0]!;
      await setup.coordinator.onTabMessage(2, { type: 'tab/copy-done', pairId });
      await setup.coordinator.onTabMessage(3, { type: 'tab/copy-done', pairId });
      setup.tabs.sent.length = 0;
      return { ...setup, pairId, peer: (tabId: number) => setup.background.pairings.value[0]!.sides.find((side) => side.tabId === tabId)!.peerId };
    }

    it('copies the kept site to every other tab, each in its own slot, and is live once every copy is installed', async () => {
      const { tabs, background, coordinator, report } = await setUp();
      await report(3, 'cedar');
      tabs.digests.set(3, 'other');
      expect(await coordinator.pair([1, 2, 3], undefined)).toMatchObject({ ok: false, differ: [{ tabId: 1 }, { tabId: 2 }, { tabId: 3 }] });
      tabs.sent.length = 0;
      expect(await coordinator.pair([1, 2, 3], 3)).toEqual({ ok: true });
      expect(tabs.kinds()).toEqual(['3 bg/peer-start source', '1 bg/peer-start target', '2 bg/peer-start target']);
      const group = background.pairings.value[0]!;
      const peerOf = (tabId: number) => group.sides.find((side) => side.tabId === tabId)!.peerId;
      expect(tabs.sent[1]!.message).toMatchObject({ members: [peerOf(3), peerOf(2)], copyFrom: peerOf(3), slot: 1 });
      expect(group.sides.map((side) => [side.tabId, side.slot])).toEqual([[3, 0], [1, 1], [2, 2]]);
      expect(group.nextSlot).toBe(3);
      await coordinator.onTabMessage(1, { type: 'tab/copy-done', pairId: group.pairId });
      expect(background.pairings.value[0]!.phase).toBe('copying');
      await coordinator.onTabMessage(2, { type: 'tab/copy-done', pairId: group.pairId });
      expect(background.pairings.value[0]!.phase).toBe('live');
      expect(background.journal.entries.at(0)!.summary).toMatch(/^Grouped .*scope:cedar\/ with .*scope:amber\/, .*scope:birch\/: copying the first one's full state to the others$/);
    });

    it('routes each envelope to the member it names, and drops one for a member that left', async () => {
      const { tabs, coordinator, pairId, peer } = await liveGroup();
      await coordinator.onTabMessage(1, { type: 'tab/envelope', pairId, envelope: { kind: 'ack', to: peer(3) } });
      await coordinator.onTabMessage(1, { type: 'tab/envelope', pairId, envelope: { kind: 'ack', to: peer(2) } });
      expect(tabs.posted.map(({ tabId }) => tabId)).toEqual([3, 2]);
      await coordinator.onTabMessage(1, { type: 'tab/envelope', pairId, envelope: { kind: 'ack', to: 'peer-gone' } });
      expect(tabs.posted).toHaveLength(2);
    });

    it('adds a tab: every member opens a link to it first, then it asks one of them for a copy, in the next slot', async () => {
      const { tabs, background, coordinator, report, pairId, peer } = await liveGroup();
      await report(4, 'dune');
      expect(await coordinator.addTab(pairId, 4)).toEqual({ ok: true });
      const joined = background.pairings.value[0]!.sides.at(-1)!;
      expect(tabs.kinds()).toEqual([`1 bg/member add ${joined.peerId}`, `2 bg/member add ${joined.peerId}`, `3 bg/member add ${joined.peerId}`, '4 bg/peer-start target']);
      expect(tabs.sent[3]!.message).toMatchObject({ members: [peer(1), peer(2), peer(3)], copyFrom: peer(1), slot: 3 });
      expect(joined).toMatchObject({ tabId: 4, slot: 3, copy: { fromTabId: 1, reason: 'join' } });
      expect(background.pairings.value[0]!.phase).toBe('copying');
      expect(await coordinator.addTab(pairId, 4)).toEqual({ ok: false, error: 'This tab is in the group already.' });
    });

    it('refuses to add a tab while a member reloads, and says so', async () => {
      const { tabs, background, coordinator, report, pairId } = await liveGroup();
      await report(4, 'dune');
      background.registry.value = markDocumentGone(background.registry.value, 2, 'doc-2', 0);
      expect(await coordinator.addTab(pairId, 4)).toEqual({ ok: false, error: 'A tab of this group is reloading: add the tab once it is back.' });
      expect(tabs.kinds()).toEqual([]);
    });

    it('takes a tab out, and the group goes on without it; a closed tab leaves the same way; the last two unpair', async () => {
      const { tabs, background, coordinator, pairId, peer } = await liveGroup();
      const leaving = peer(2);
      expect(await coordinator.removeTab(pairId, 2)).toEqual({ ok: true });
      expect(tabs.kinds()).toEqual(['2 bg/peer-stop', `1 bg/member remove ${leaving}`, `3 bg/member remove ${leaving}`]);
      expect(background.pairings.value[0]!.sides.map((side) => side.tabId)).toEqual([1, 3]);
      expect(background.pairings.value[0]!.formerNumberers).toBeUndefined();
      expect(background.journal.entries.at(-1)!.summary).toMatch(/scope:birch\/ left the group/);
      tabs.sent.length = 0;
      await coordinator.onTabGone(3, 'was closed');
      expect(tabs.kinds()).toEqual(['1 bg/peer-stop', '3 bg/peer-stop']);
      expect(background.pairings.value).toEqual([]);
    });

    it('lets a closed tab leave a group of three, which goes on live', async () => {
      const { tabs, background, coordinator, peer } = await liveGroup();
      const leaving = peer(3);
      await coordinator.onTabGone(3, 'was closed');
      expect(tabs.kinds()).toEqual(['3 bg/peer-stop', `1 bg/member remove ${leaving}`, `2 bg/member remove ${leaving}`]);
      expect(background.pairings.value[0]).toMatchObject({ phase: 'live' });
      expect(background.journal.entries.at(-1)!.summary).toBe('The tab of cedar was closed: it left the group, which goes on without it');
    });

    it('hands numbering over to the member of the lowest slot left once the numberer’s tab left, and again when that one leaves', async () => {
      const { tabs, background, coordinator, pairId, peer, report } = await liveGroup();
      const [first, second, third] = [peer(1), peer(2), peer(3)];
      expect(await coordinator.setLowIds(pairId, true)).toEqual({ ok: true });
      await report(4, 'dune');
      expect(await coordinator.addTab(pairId, 4)).toEqual({ ok: true });
      await coordinator.onTabMessage(4, { type: 'tab/copy-done', pairId });
      tabs.sent.length = 0;
      await coordinator.onTabGone(1, 'was closed');
      expect(background.pairings.value[0]).toMatchObject({ phase: 'live', numbererPeer: second, formerNumberers: [first] });
      // Told once each member let the numberer go.
      expect(tabs.kinds().slice(-3)).toEqual(['2 bg/numbering', '3 bg/numbering', '4 bg/numbering']);
      expect(tabs.sent.at(-1)!.message).toMatchObject({ on: true, numbererPeer: second, formerNumberers: [first] });
      tabs.sent.length = 0;
      await coordinator.onTabGone(2, 'was closed');
      expect(background.pairings.value[0]).toMatchObject({ numbererPeer: third, formerNumberers: [first, second] });
      tabs.sent.length = 0;
      await coordinator.onTabGone(4, 'was closed');
      // Not the numberer's: nothing handed over (the group of two ends: 3 was left alone).
      expect(tabs.kinds().filter((kind) => kind.includes('bg/numbering'))).toEqual([]);
    });

    // A group stored by a version that paired with low IDs off has no numberer until they are switched on.
    it('names no numberer when low IDs were never on: the numberer is whoever holds the lowest slot when they are switched on', async () => {
      const { tabs, background, coordinator, pairId, peer } = await liveGroup();
      background.pairings.value = background.pairings.value.map(({ lowIds: _on, numbererPeer: _numberer, ...pairing }) => pairing);
      await coordinator.onTabGone(1, 'was closed');
      expect(background.pairings.value[0]!.numbererPeer).toBeUndefined();
      expect(tabs.kinds().filter((kind) => kind.includes('bg/numbering'))).toEqual([]);
      tabs.sent.length = 0;
      expect(await coordinator.setLowIds(pairId, true)).toEqual({ ok: true });
      expect(tabs.sent.map(({ message }) => message)).toEqual([
        { type: 'bg/numbering', pairId, on: true, numbererPeer: peer(2) },
        { type: 'bg/numbering', pairId, on: true, numbererPeer: peer(2) },
      ]);
    });

    it('lets a tab that switched to another site leave the group, which goes on; the site switched to is left as it is', async () => {
      const { tabs, background, report, peer } = await liveGroup();
      const leaving = peer(2);
      await report(2, 'another-site', 'doc-2', 2);
      expect(tabs.kinds()).toEqual(['2 bg/peer-stop', `1 bg/member remove ${leaving}`, `3 bg/member remove ${leaving}`]);
      expect(background.pairings.value[0]!.sides.map((side) => side.tabId)).toEqual([1, 3]);
      expect(background.journal.entries.at(-1)!.summary).toMatch(/^The tab of birch switched to another site, another-site, which was left as it is\. It left the group, which goes on without it\.$/);
    });

    it('restores a copy source that reloads mid-copy from another member, and its copy’s target gets its copy from that member too', async () => {
      const { tabs, background, report, peer } = await liveGroup();
      await report(2, 'birch', 'doc-2-reloaded');
      expect(background.pairings.value[0]!.sides[1]).toMatchObject({ tabId: 2, copy: { fromTabId: 1, reason: 'restore' } });
      tabs.sent.length = 0;
      await report(1, 'amber', 'doc-1-reloaded');
      expect(tabs.kinds()).toEqual([`2 bg/member reset ${peer(1)}`, `3 bg/member reset ${peer(1)}`, `2 bg/copy-from ${peer(3)}`, '1 bg/peer-start target']);
      expect(tabs.sent[3]!.message).toMatchObject({ copyFrom: peer(3) });
      const group = background.pairings.value[0]!;
      expect(group).toMatchObject({ phase: 'copying' });
      expect(group.sides.map((side) => side.copy && [side.copy.fromTabId, side.copy.reason])).toEqual([[3, 'restore'], [3, 'restore'], undefined]);
      expect(background.journal.entries.map((entry) => entry.summary)).toContainEqual(expect.stringMatching(/scope:birch\/ gets its copy from .*scope:cedar\/ instead: .*scope:amber\/ was reloaded$/));
    });

    it('leaves a member whose page reloads too out of a restore, and restores it next, in turn', async () => {
      const { tabs, background, report, peer } = await liveGroup();
      background.registry.value = markDocumentGone(background.registry.value, 3, 'doc-3', 0);
      await report(1, 'amber', 'doc-1-reloaded');
      // The numberer's site is replaced: the member left numbers now.
      expect(tabs.kinds()).toEqual([`2 bg/member reset ${peer(1)}`, '2 bg/numbering', '1 bg/peer-start target']);
      tabs.sent.length = 0;
      await report(3, 'cedar', 'doc-3-reloaded');
      expect(tabs.kinds()).toEqual([`1 bg/member reset ${peer(3)}`, `2 bg/member reset ${peer(3)}`, '3 bg/peer-start target']);
      expect(background.pairings.value[0]!.sides.map((side) => side.copy?.fromTabId)).toEqual([2, undefined, 2]);
    });

    // The second report is in the registry before the first is judged: the first restore leaves that tab out.
    it('judges two reloads reported at once one after the other', async () => {
      const { tabs, background, report, peer } = await liveGroup();
      await Promise.all([report(2, 'birch', 'doc-2-reloaded'), report(1, 'amber', 'doc-1-reloaded')]);
      expect(tabs.kinds()).toEqual([`3 bg/member reset ${peer(2)}`, '2 bg/peer-start target', `2 bg/member reset ${peer(1)}`, `3 bg/member reset ${peer(1)}`, '2 bg/numbering', '3 bg/numbering', '1 bg/peer-start target']);
      expect(background.pairings.value[0]).toMatchObject({ phase: 'copying' });
      expect(background.pairings.value[0]!.sides.map((side) => side.copy?.fromTabId)).toEqual([3, 3, undefined]);
    });

    it('lets a tab close while another member reloads: the group goes on, and the reloaded one is restored among those left', async () => {
      const { tabs, background, coordinator, report, peer } = await liveGroup();
      const closing = peer(2);
      background.registry.value = markDocumentGone(background.registry.value, 3, 'doc-3', 0);
      await coordinator.onTabGone(2, 'was closed');
      expect(tabs.kinds()).toEqual(['2 bg/peer-stop', `1 bg/member remove ${closing}`]);
      tabs.sent.length = 0;
      await report(3, 'cedar', 'doc-3-reloaded');
      expect(tabs.kinds()).toEqual([`1 bg/member reset ${peer(3)}`, '3 bg/peer-start target']);
      expect(tabs.sent[1]!.message).toMatchObject({ members: [peer(1)], copyFrom: peer(1) });
      expect(background.pairings.value[0]).toMatchObject({ phase: 'copying', sides: [{ tabId: 1 }, { tabId: 3, copy: { fromTabId: 1 } }] });
    });

    it('ends the group when a copy source reloads and no member is left to copy from', async () => {
      const { background, report } = await liveGroup();
      await report(2, 'birch', 'doc-2-reloaded');
      await report(3, 'cedar', 'doc-3-reloaded');
      await report(1, 'amber', 'doc-1-reloaded');
      expect(background.pairings.value[0]).toMatchObject({ phase: 'error', error: expect.stringMatching(/scope:amber\/ was reloaded while its state was being copied to another tab; pair again$/) });
    });

    it('restores a reloaded tab from a member not being copied into, after every other member reset its link', async () => {
      const { tabs, background, report, peer } = await liveGroup();
      await report(1, 'amber', 'doc-1-reloaded');
      expect(tabs.kinds()).toEqual([`2 bg/member reset ${peer(1)}`, `3 bg/member reset ${peer(1)}`, '2 bg/numbering', '3 bg/numbering', '1 bg/peer-start target']);
      expect(tabs.sent[4]!.message).toMatchObject({ copyFrom: peer(2), slot: 0 });
      expect(background.pairings.value[0]!.sides[0]).toMatchObject({ tabId: 1, copy: { fromTabId: 2, reason: 'restore' } });
    });
  });
});
