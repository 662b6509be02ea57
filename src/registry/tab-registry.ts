import type { TabDocument, TabToBackground } from '../protocol/runtime';
import type { SiteInfo } from '../protocol/site';

export type TabStatus = 'connecting' | 'waiting' | 'ready' | 'error';

export interface TabEntry {
  tabId: number;
  status: TabStatus;
  site?: SiteInfo;
  /** The document and client that reported `site`. */
  document?: TabDocument;
  /** Why the tab is waiting or failed, in words a user can read. */
  detail?: string;
  updatedAt: number;
}

/** Every open Playground tab, keyed by tab id (as a string: the registry is stored as JSON). */
export type TabRegistry = Readonly<Record<string, TabEntry>>;

export const emptyRegistry: TabRegistry = {};

/** Key of the registry in `chrome.storage.session`: written by the background, read by the popup. */
export const REGISTRY_STORAGE_KEY = 'registry';

/** The reports that change a tab's entry. */
export type TabStatusReport = Extract<TabToBackground, { type: 'tab/site' | 'tab/waiting' | 'tab/error' }>;

/** Applies what a tab's content script reported. */
export function applyTabReport(registry: TabRegistry, tabId: number, report: TabStatusReport, now: number): TabRegistry {
  switch (report.type) {
    case 'tab/site':
      return put(registry, { tabId, status: 'ready', site: report.site, document: report.document, updatedAt: now });
    case 'tab/waiting':
      return put(registry, { tabId, status: 'waiting', detail: report.reason, updatedAt: now });
    case 'tab/error':
      return put(registry, { ...registry[tabId], tabId, status: 'error', detail: report.error, updatedAt: now });
  }
}

/**
 * The page document `documentId` of a tab is gone (its line to the background closed: a reload,
 * a navigation, the page put away): its site is gone until the tab's next document reports.
 * Navigations inside the page's frames keep the document and change nothing. A report from a
 * newer document that arrived first is kept. `documentId` is undefined for a document that never
 * reported a site.
 */
export function markDocumentGone(registry: TabRegistry, tabId: number, documentId: string | undefined, now: number): TabRegistry {
  const entry = registry[tabId];
  if (!entry || entry.document?.id !== documentId) return registry;
  return put(registry, { tabId, status: 'connecting', updatedAt: now });
}

export function removeTab(registry: TabRegistry, tabId: number): TabRegistry {
  if (!(tabId in registry)) return registry;
  const { [tabId]: _removed, ...rest } = registry;
  return rest;
}

/** Drops entries of tabs that no longer exist (e.g. closed while the service worker slept). */
export function retainTabs(registry: TabRegistry, openTabIds: Iterable<number>): TabRegistry {
  const open = new Set(openTabIds);
  const kept = Object.entries(registry).filter(([, entry]) => open.has(entry.tabId));
  return kept.length === Object.keys(registry).length ? registry : Object.fromEntries(kept);
}

export function listTabs(registry: TabRegistry): TabEntry[] {
  return Object.values(registry).sort((a, b) => a.tabId - b.tabId);
}

function put(registry: TabRegistry, entry: TabEntry): TabRegistry {
  return { ...registry, [entry.tabId]: entry };
}
