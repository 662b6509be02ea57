/**
 * Reading Playground Sync's state in end-to-end tests: `chrome.storage.session` (registry,
 * pairings, journal) read through an extension page (the popup), never through the service worker:
 * evaluating in the worker would keep it alive and hide a stopped worker.
 */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { journalFromItems } from '../../src/journal/journal-pages';
import type { Pairing } from '../../src/pairing/pairings';
import type { TabRegistry } from '../../src/registry/tab-registry';
import type { PlaygroundTab } from './browser';

export type { JournalEntry, Pairing };

/** A change crosses: capture in PHP, the service worker, apply in PHP (WASM, 2 shared cores). */
export const SYNC_TIMEOUT = 90_000;
export const POLL = { timeout: SYNC_TIMEOUT, interval: 1000 };

export interface SessionState {
  registry?: TabRegistry;
  pairings?: Pairing[];
  journal?: JournalEntry[];
}

/** What the background keeps, the journal's pages read as its lines. */
export async function sessionState(extensionPage: Page): Promise<SessionState> {
  const items = (await extensionPage.evaluate(() => chrome.storage.session.get(null))) as Record<string, unknown>;
  return { ...(items as Omit<SessionState, 'journal'>), journal: journalFromItems(items) };
}

/** The Chrome tab id of a Playground tab: the registry entry reporting its scope, checked against open tabs. */
export async function chromeTabIdOf(extensionPage: Page, tab: PlaygroundTab): Promise<number> {
  let tabId: number | undefined;
  await expect
    .poll(
      async () => {
        const registry = (await sessionState(extensionPage)).registry ?? {};
        tabId = Object.values(registry).find((entry) => entry.site?.scope === tab.scope)?.tabId;
        return tabId;
      },
      { timeout: SYNC_TIMEOUT, interval: 250 },
    )
    .toBeTypeOf('number');
  const open = await extensionPage.evaluate(async () => (await chrome.tabs.query({})).map((t) => ({ id: t.id, url: t.url ?? '' })));
  expect(open).toContainEqual({ id: tabId, url: tab.page.url() });
  return tabId!;
}

/** Ticks the tabs in the popup's list. */
export async function selectTabsInPopup(popup: Page, tabIds: readonly number[]): Promise<void> {
  for (const tabId of tabIds) {
    await popup.locator(`[data-testid="tab"][data-tab-id="${tabId}"] [data-testid="select-tab"]`).check({ timeout: SYNC_TIMEOUT });
  }
}

/** Ticks the tabs in the popup and clicks Pair (or "Sync N tabs"). */
export async function pairInPopup(popup: Page, tabIds: readonly number[]): Promise<void> {
  await selectTabsInPopup(popup, tabIds);
  await popup.locator('[data-testid="pair"]').click();
}

/** Prints the pairings and the last `count` journal lines (for a test that failed without saying why). */
export async function printJournalTail(extensionPage: Page, count: number): Promise<void> {
  const state = await sessionState(extensionPage).catch(() => ({}) as Awaited<ReturnType<typeof sessionState>>);
  const pairings = (state.pairings ?? []).map((pairing) => ({ phase: pairing.phase, error: pairing.error, sides: pairing.sides.map((side) => ({ tab: side.tabId, pending: side.pending, problem: side.problem, copy: side.copy })) }));
  const lines = (state.journal ?? []).slice(-count);
  console.info(
    `[pairings] ${JSON.stringify(pairings)}\n[journal, last ${lines.length}]\n${lines
      .map((entry) => `${new Date(entry.time).toISOString().slice(11, 23)} ${entry.site} ${entry.direction} ${entry.kind} ${entry.target.slice(0, 60)} ${entry.status}: ${entry.summary}`)
      .join('\n')}`,
  );
}

/**
 * Journal lines a user would read as trouble (failed, or refused input), as `status: summary`.
 * When there are any, the journal up to the last of them is printed: what led there.
 */
export async function troubleInJournal(extensionPage: Page): Promise<string[]> {
  const journal = (await sessionState(extensionPage)).journal ?? [];
  const isTrouble = (entry: JournalEntry) => entry.status === 'failed' || entry.status === 'rejected';
  const last = journal.findLastIndex(isTrouble);
  if (last >= 0) {
    const lines = journal.slice(Math.max(0, last - 40), last + 5);
    console.info(`[journal before the trouble]\n${lines.map((entry) => `${new Date(entry.time).toISOString().slice(11, 23)} ${entry.site} ${entry.direction} ${entry.kind} ${entry.target.slice(0, 60)} ${entry.status}: ${entry.summary}`).join('\n')}`);
  }
  return journal.filter(isTrouble).map((entry) => `${entry.status}: ${entry.summary}`);
}
