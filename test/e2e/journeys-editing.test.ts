/**
 * A paired session of ordinary block-editor work, end to end: the built extension (dist/) in
 * Chromium, two Playground tabs of the offline stand-in (two PHP instances each, requests really
 * concurrent). Both people work at once: publishing, updating, typing a draft that the editor
 * autosaves, and on one side a burst of parallel REST writes as the editor makes when it saves.
 * Every write must end on both sides: same rows in every content table, databases intact, nothing
 * pending, no failure in the journal.
 *
 *   npm run build:all && npx vitest run --project e2e test/e2e/journeys-editing.test.ts
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, openTwoTabsAndPopup, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { chromeTabIdOf, pairInPopup, POLL, sessionState, troubleInJournal } from './extension-state';
import {
  contentDifferences,
  createPostsInParallelOverRest,
  databaseIntegrity,
  editPostTitle,
  publishPostInBlockEditor,
  typeDraftUntilAutosaved,
  wpJson,
} from './wp-admin';

const SCREENS = join(tmpdir(), 'pg-sync-journeys');
const BURST = 20;

const LOREM = [
  'Playground Sync keeps two sites the same while people work in both of them.',
  'This paragraph is typed a key at a time, as a person types, while the other tab publishes.',
];

/** Titles of every post of type post on the site, any status, sorted. */
function postTitles(tab: PlaygroundTab): Promise<string[]> {
  return wpJson<string[]>(
    tab,
    `(function () { global $wpdb; $t = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_type = 'post' AND post_status IN ('publish', 'draft')"); sort($t); return $t; })()`,
  );
}

describe('journey: block-editor work in both paired tabs at once', () => {
  let browser: LaunchedBrowser;
  let popup: Page;
  let tabA: PlaygroundTab;
  let tabB: PlaygroundTab;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    browser = await launchBrowser({ extensionPath: resolve('dist') });
    ({ tabA, tabB, popup } = await openTwoTabsAndPopup(browser));
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** One person's session in one tab: publish, update, publish again, type a draft until the editor autosaves it. */
  async function work(tab: PlaygroundTab, who: string, afterwards?: () => Promise<void>): Promise<string[]> {
    const titles: string[] = [];
    for (let round = 1; round <= 2; round += 1) {
      const title = `${who}: post ${round}`;
      const id = await publishPostInBlockEditor(tab, title, LOREM[0]);
      await editPostTitle(tab, id, `${title}, updated`);
      titles.push(`${title}, updated`);
    }
    const draft = `${who}: draft typed until autosaved`;
    await typeDraftUntilAutosaved(tab, draft, LOREM);
    titles.push(draft);
    await afterwards?.();
    return titles;
  }

  it('keeps every write of both people, and of 20 parallel REST saves, on both sides', async () => {
    await pairInPopup(popup, [await chromeTabIdOf(popup, tabA), await chromeTabIdOf(popup, tabB)]);
    await expect.poll(async () => (await sessionState(popup)).pairings?.map((pairing) => pairing.phase), POLL).toEqual(['live']);

    const started = performance.now();
    const burstTitles = Array.from({ length: BURST }, (_, i) => `A: burst ${String(i + 1).padStart(2, '0')}`);
    // A's burst goes out from the block editor where A's draft is open, while B is still typing.
    const [fromA, fromB] = await Promise.all([
      work(tabA, 'A', async () => {
        const ids = await createPostsInParallelOverRest(tabA, burstTitles);
        expect(new Set(ids).size).toBe(BURST);
      }),
      work(tabB, 'B'),
    ]);
    console.info(`[journeys] editing in both tabs took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const everyTitle = ['Hello world!', ...fromA, ...burstTitles, ...fromB].sort();

    for (const tab of [tabA, tabB]) {
      await expect.poll(() => postTitles(tab), POLL).toEqual(everyTitle);
    }
    // Every content row, revisions and autosaves included, the same on both sides once both are quiet.
    await expect.poll(() => contentDifferences(tabA, tabB), POLL).toEqual([]);
    await expect.poll(async () => (await sessionState(popup)).pairings?.[0]?.sides.map((side) => side.pending), POLL).toEqual([0, 0]);
    expect([await databaseIntegrity(tabA), await databaseIntegrity(tabB)]).toEqual(['ok', 'ok']);
    expect(await troubleInJournal(popup)).toEqual([]);
    await popup.screenshot({ path: join(SCREENS, 'editing-both-tabs.png'), fullPage: true });
  });
});
