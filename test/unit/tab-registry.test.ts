import { describe, expect, it } from 'vitest';
import {
  applyTabReport,
  emptyRegistry,
  listTabs,
  markDocumentGone,
  removeTab,
  retainTabs,
} from '../../src/registry/tab-registry';
import type { SiteInfo } from '../../src/protocol/site';
import type { TabStatusReport } from '../../src/registry/tab-registry';

const site = (scope: string): SiteInfo => ({
  scope,
  siteUrl: `https://playground.wordpress.net/scope:${scope}/`,
  name: scope,
  wordpressVersion: '6.7',
  phpVersion: '8.3.0',
  storage: 'temporary',
  clientSource: 'playgroundSites',
});

const siteReport = (scope: string, documentId = `doc-${scope}`, client = 1): TabStatusReport => ({
  type: 'tab/site',
  site: site(scope),
  document: { id: documentId, client },
});

describe('tab registry', () => {
  it('records a reported site as ready and lists tabs in tab order', () => {
    let registry = applyTabReport(emptyRegistry, 9, siteReport('b'), 1);
    registry = applyTabReport(registry, 3, { type: 'tab/waiting', reason: 'booting' }, 2);
    expect(listTabs(registry).map((tab) => [tab.tabId, tab.status, tab.site?.scope])).toEqual([
      [3, 'waiting', undefined],
      [9, 'ready', 'b'],
    ]);
  });

  it('forgets the old site when its document goes, and keeps it when the tab reports an error', () => {
    const ready = applyTabReport(emptyRegistry, 1, siteReport('a'), 1);
    expect(markDocumentGone(ready, 1, 'doc-a', 2)[1]).toEqual({ tabId: 1, status: 'connecting', updatedAt: 2 });
    const failed = applyTabReport(ready, 1, { type: 'tab/error', error: 'boom' }, 3);
    expect(failed[1]).toMatchObject({ status: 'error', detail: 'boom', site: { scope: 'a' } });
  });

  it('removes closed tabs and drops tabs missing after a worker restart', () => {
    let registry = applyTabReport(emptyRegistry, 1, siteReport('a'), 1);
    registry = applyTabReport(registry, 2, siteReport('b'), 1);
    expect(Object.keys(removeTab(registry, 1))).toEqual(['2']);
    expect(Object.keys(retainTabs(registry, [2, 5]))).toEqual(['2']);
    expect(retainTabs(registry, [1, 2])).toBe(registry);
    expect(removeTab(registry, 7)).toBe(registry);
  });

  it('keeps a site that navigations inside the page leave alone: only the reporting document going away forgets it', () => {
    // Navigations inside the page's frames (wp-admin clicks, goTo) send no report and close no port.
    const ready = applyTabReport(emptyRegistry, 1, siteReport('a', 'doc-1'), 1);
    expect(markDocumentGone(ready, 1, 'doc-0', 2)).toBe(ready);
    expect(markDocumentGone(ready, 7, 'doc-1', 2)).toBe(ready);
    // A reload: the new document may report before the old one's port is seen closing.
    const reloaded = applyTabReport(ready, 1, siteReport('b', 'doc-2'), 3);
    expect(markDocumentGone(reloaded, 1, 'doc-1', 4)).toBe(reloaded);
    // A document that never reported a site (still booting) goes: the tab waits for the next one.
    const booting = applyTabReport(emptyRegistry, 1, { type: 'tab/waiting', reason: 'booting' }, 1);
    expect(markDocumentGone(booting, 1, undefined, 2)[1]).toMatchObject({ status: 'connecting' });
    expect(markDocumentGone(ready, 1, undefined, 2)).toBe(ready);
  });

  it('records the document and client that reported the site', () => {
    const registry = applyTabReport(emptyRegistry, 4, siteReport('a', 'doc-x', 3), 1);
    expect(registry[4]).toMatchObject({ status: 'ready', document: { id: 'doc-x', client: 3 } });
  });
});
