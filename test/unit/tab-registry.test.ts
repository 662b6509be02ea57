import { describe, expect, it } from 'vitest';
import {
  applyTabReport,
  emptyRegistry,
  listTabs,
  markTabLoading,
  removeTab,
  retainTabs,
} from '../../src/registry/tab-registry';
import type { SiteInfo } from '../../src/protocol/site';

const site = (scope: string): SiteInfo => ({
  scope,
  siteUrl: `https://playground.wordpress.net/scope:${scope}/`,
  name: scope,
  wordpressVersion: '6.7',
  phpVersion: '8.3.0',
  storage: 'temporary',
  clientSource: 'playgroundSites',
});

describe('tab registry', () => {
  it('records a reported site as ready and lists tabs in tab order', () => {
    let registry = applyTabReport(emptyRegistry, 9, { type: 'tab/site', site: site('b') }, 1);
    registry = applyTabReport(registry, 3, { type: 'tab/waiting', reason: 'booting' }, 2);
    expect(listTabs(registry).map((tab) => [tab.tabId, tab.status, tab.site?.scope])).toEqual([
      [3, 'waiting', undefined],
      [9, 'ready', 'b'],
    ]);
  });

  it('forgets the old site when the tab reloads, and keeps it when the tab reports an error', () => {
    const ready = applyTabReport(emptyRegistry, 1, { type: 'tab/site', site: site('a') }, 1);
    expect(markTabLoading(ready, 1, 2)[1]).toEqual({ tabId: 1, status: 'connecting', updatedAt: 2 });
    const failed = applyTabReport(ready, 1, { type: 'tab/error', error: 'boom' }, 3);
    expect(failed[1]).toMatchObject({ status: 'error', detail: 'boom', site: { scope: 'a' } });
  });

  it('removes closed tabs and drops tabs missing after a worker restart', () => {
    let registry = applyTabReport(emptyRegistry, 1, { type: 'tab/site', site: site('a') }, 1);
    registry = applyTabReport(registry, 2, { type: 'tab/site', site: site('b') }, 1);
    expect(Object.keys(removeTab(registry, 1))).toEqual(['2']);
    expect(Object.keys(retainTabs(registry, [2, 5]))).toEqual(['2']);
    expect(retainTabs(registry, [1, 2])).toBe(registry);
    expect(removeTab(registry, 7)).toBe(registry);
  });
});
