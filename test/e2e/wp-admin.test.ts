/**
 * The wp-admin helpers used by the extension's end-to-end tests work against the offline
 * stand-in on their own (no extension): one Playground tab, real WordPress, real clicks.
 *
 *   npx vitest run --project e2e test/e2e/wp-admin.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser, type PlaygroundTab } from './browser';
import { makePng } from './fixtures/make-png';
import { makeTestPluginZip, TEST_PLUGIN_ROW_NOTE, TEST_PLUGIN_SLUG, TEST_PLUGIN_TABLE_SUFFIX } from './fixtures/make-plugin-zip';
import {
  editPostTitle,
  isPluginActive,
  postTitlesOnPostsScreen,
  publishPostInBlockEditor,
  readFileFromTab,
  uploadAndActivatePlugin,
  uploadMediaFile,
  WP_ADMIN_TIMEOUT,
  wpJson,
} from './wp-admin';

describe('wp-admin helpers on the stand-in', () => {
  let browser: LaunchedBrowser;
  let tab: PlaygroundTab;
  let postId: number;

  beforeAll(async () => {
    browser = await launchBrowser();
    tab = await browser.openPlaygroundTab();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('publishes a post in the block editor and finds it on the Posts screen with that ID', async () => {
    postId = await publishPostInBlockEditor(tab, 'Hello from the block editor', 'A paragraph typed by a user.');
    expect(postId).toBeGreaterThan(0);
    expect(await postTitlesOnPostsScreen(tab)).toContainEqual({ id: postId, title: 'Hello from the block editor' });
    const stored = await wpJson<{ status: string; content: string }>(
      tab,
      `['status' => get_post_status(${postId}), 'content' => get_post_field('post_content', ${postId})]`,
    );
    expect(stored.status).toBe('publish');
    expect(stored.content).toContain('A paragraph typed by a user.');
  });

  it('edits the post title in the block editor', async () => {
    await editPostTitle(tab, postId, 'Renamed in the block editor');
    const rows = await postTitlesOnPostsScreen(tab);
    expect(rows).toContainEqual({ id: postId, title: 'Renamed in the block editor' });
    expect(rows.some((row) => row.title === 'Hello from the block editor')).toBe(false);
  });

  it('uploads a PNG through Media → Add New and stores the same bytes in uploads', async () => {
    const png = makePng(16, 3);
    const attachmentId = await uploadMediaFile(tab, 'e2e-square.png', png);
    expect(attachmentId).toBeGreaterThan(0);
    const file = await wpJson<string>(tab, `get_attached_file(${attachmentId})`);
    expect(file).toMatch(/^\/wordpress\/wp-content\/uploads\/.*e2e-square.*\.png$/);
    expect(Buffer.from(await readFileFromTab(tab, file)).equals(Buffer.from(png))).toBe(true);
  });

  it('uploads and activates a plugin zip whose activation creates its table and row', async () => {
    expect(await isPluginActive(tab, TEST_PLUGIN_SLUG)).toBe(false);
    await uploadAndActivatePlugin(tab, makeTestPluginZip(), `${TEST_PLUGIN_SLUG}.zip`);
    await expect.poll(() => isPluginActive(tab, TEST_PLUGIN_SLUG), { timeout: WP_ADMIN_TIMEOUT }).toBe(true);
    const table = await wpJson<{ tables: string[]; notes: string[] }>(
      tab,
      `(function () { global $wpdb; $t = $wpdb->prefix . '${TEST_PLUGIN_TABLE_SUFFIX}';
        return ['tables' => $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $t)), 'notes' => $wpdb->get_col("SELECT note FROM $t")]; })()`,
    );
    expect(table.tables).toHaveLength(1);
    expect(table.notes).toEqual([TEST_PLUGIN_ROW_NOTE]);
  });
});
