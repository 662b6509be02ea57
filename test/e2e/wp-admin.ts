/**
 * Acts like a user in the real wp-admin of one Playground tab: clicks and types in the
 * WordPress frame (`iframe.playground-viewport` → `#wp`). The actions under test never take a REST or
 * PHP shortcut; only navigation (the page client's `goTo`, like typing a URL) and the read-back
 * helpers at the end (`readFileFromTab`, `runPhpInTab`) use the page's Playground client.
 */
import { expect } from 'vitest';
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';
import type { PlaygroundTab } from './browser';
import { goToInTab, wpJson } from './tab-client';

export { readFileFromTab, runPhpInTab, savedToOpfs, wpJson } from './tab-client';

/** Generous: every step runs real PHP (WASM) in a browser on a shared 2-core machine. */
export const WP_ADMIN_TIMEOUT = 60_000;


export interface PostRow {
  id: number;
  title: string;
}

/** The WordPress document of a tab, for locators. */
export function wpAdminFrame(tab: PlaygroundTab): FrameLocator {
  return tab.page.frameLocator('iframe.playground-viewport').frameLocator('#wp');
}

/** The WordPress frame as a Playwright Frame (for its URL). */
function wpFrameObject(page: Page): Frame | undefined {
  return page.frames().find((frame) => {
    try {
      return new URL(frame.url()).pathname.startsWith('/scope:');
    } catch {
      return false;
    }
  });
}

/** The WordPress frame's current path and query below the scope, e.g. `/wp-admin/post.php?post=5&action=edit`. */
export function currentAdminPath(tab: PlaygroundTab): string {
  const frame = wpFrameObject(tab.page);
  if (!frame) {
    return '';
  }
  const url = new URL(frame.url());
  return url.pathname.replace(/^\/scope:[^/]+/, '') + url.search;
}

/** Navigates the WordPress frame to a site path (like typing it in the address bar) and waits for it to load. */
export async function openAdminPage(tab: PlaygroundTab, path: string): Promise<void> {
  await goToInTab(tab, path);
  const expectedPath = path.split('?')[0]!;
  await expect
    .poll(() => currentAdminPath(tab).split('?')[0], { timeout: WP_ADMIN_TIMEOUT, interval: 200 })
    .toBe(expectedPath);
}

// ---------------------------------------------------------------------------------------------
// Block editor

const registeredGuideHandlers = new WeakSet<Page>();

/**
 * The block editor's welcome guide opens once per site, a moment after the editor renders, and
 * blocks clicks. Playwright's locator handler closes it whenever it shows up before an action.
 */
async function dismissWelcomeGuideWhenShown(tab: PlaygroundTab): Promise<void> {
  if (registeredGuideHandlers.has(tab.page)) {
    return;
  }
  registeredGuideHandlers.add(tab.page);
  const guide = wpAdminFrame(tab).locator('.components-guide');
  await tab.page.addLocatorHandler(guide, async () => {
    await guide.getByRole('button', { name: 'Close' }).click();
  });
}

/** The editor canvas is an iframe in current WordPress; older versions render it inline. */
function editorTitleField(tab: PlaygroundTab): Locator {
  const wp = wpAdminFrame(tab);
  const selector = '.editor-post-title__input, [aria-label="Add title"]';
  return wp.frameLocator('iframe[name="editor-canvas"]').locator(selector).or(wp.locator(selector)).first();
}

async function openBlockEditor(tab: PlaygroundTab, path: string): Promise<Locator> {
  await dismissWelcomeGuideWhenShown(tab);
  await openAdminPage(tab, path);
  const title = editorTitleField(tab);
  await title.waitFor({ state: 'visible', timeout: WP_ADMIN_TIMEOUT });
  return title;
}

async function waitForSnackbar(tab: PlaygroundTab, text: RegExp): Promise<void> {
  await wpAdminFrame(tab)
    .locator('.components-snackbar')
    .filter({ hasText: text })
    .first()
    .waitFor({ state: 'visible', timeout: WP_ADMIN_TIMEOUT });
}

function postIdFromEditorUrl(tab: PlaygroundTab): number | undefined {
  const match = /\/wp-admin\/post\.php\?(?:.*&)?post=(\d+)/.exec(currentAdminPath(tab));
  return match ? Number(match[1]) : undefined;
}

/** Writes a new post in the block editor and publishes it; resolves to the new post's ID. */
export async function publishPostInBlockEditor(tab: PlaygroundTab, title: string, body?: string): Promise<number> {
  const titleField = await openBlockEditor(tab, '/wp-admin/post-new.php');
  const wp = wpAdminFrame(tab);
  await titleField.click();
  await titleField.pressSequentially(title);
  await expect.poll(() => titleField.textContent(), { timeout: WP_ADMIN_TIMEOUT }).toBe(title);
  if (body) {
    // Enter at the end of the title starts a paragraph block below it.
    await titleField.press('Enter');
    await tab.page.keyboard.type(body);
  }

  await wp.locator('.editor-post-publish-panel__toggle').click();
  // The pre-publish checks panel asks to confirm with a second Publish button.
  await wp.locator('.editor-post-publish-panel .editor-post-publish-button').click();
  await waitForSnackbar(tab, /published/i);

  await expect.poll(() => postIdFromEditorUrl(tab), { timeout: WP_ADMIN_TIMEOUT, interval: 200 }).toBeGreaterThan(0);
  return postIdFromEditorUrl(tab)!;
}

/** Opens an existing post in the block editor, replaces its title and saves (Save/Update). */
export async function editPostTitle(tab: PlaygroundTab, postId: number, title: string): Promise<void> {
  const titleField = await openBlockEditor(tab, `/wp-admin/post.php?post=${postId}&action=edit`);
  await titleField.click();
  await titleField.press('ControlOrMeta+a');
  await titleField.pressSequentially(title);
  await expect.poll(() => titleField.textContent(), { timeout: WP_ADMIN_TIMEOUT }).toBe(title);
  // A published post's primary button reads "Save" in current WordPress, "Update" in older ones.
  await wpAdminFrame(tab).locator('.editor-header .editor-post-publish-button, .edit-post-header .editor-post-publish-button').first().click();
  await waitForSnackbar(tab, /updated/i);
}

/**
 * Starts a new post in the block editor and types into it as a person does (a key at a time),
 * never pressing Save: resolves once the editor's own autosave stored it as a draft (WordPress
 * autosaves a dirty new post after its autosave interval, 60 s), with the draft's ID.
 */
export async function typeDraftUntilAutosaved(tab: PlaygroundTab, title: string, paragraphs: readonly string[]): Promise<number> {
  const titleField = await openBlockEditor(tab, '/wp-admin/post-new.php');
  await titleField.click();
  await titleField.pressSequentially(title, { delay: 20 });
  for (const paragraph of paragraphs) {
    await titleField.page().keyboard.press('Enter');
    await tab.page.keyboard.type(paragraph, { delay: 10 });
  }
  let draftId = 0;
  await expect
    .poll(
      async () => {
        draftId = await wpJson<number>(
          tab,
          `(int) $GLOBALS['wpdb']->get_var($GLOBALS['wpdb']->prepare("SELECT ID FROM {$GLOBALS['wpdb']->posts} WHERE post_title = %s AND post_type = 'post' AND post_status = 'draft'", ${JSON.stringify(title)}))`,
        );
        return draftId;
      },
      { timeout: 150_000, interval: 2_000 },
    )
    .toBeGreaterThan(0);
  return draftId;
}

/**
 * What the block editor does when it saves: parallel REST calls. From the tab's current wp-admin
 * page (it must have loaded `wp.apiFetch`, e.g. the block editor), creates `titles.length` published
 * posts at once; resolves to their IDs.
 */
export async function createPostsInParallelOverRest(tab: PlaygroundTab, titles: readonly string[]): Promise<number[]> {
  const frame = wpFrameObject(tab.page);
  if (!frame) throw new Error('No WordPress frame in the tab.');
  return frame.evaluate(async (all) => {
    const w = window as unknown as { wp?: { apiFetch?: (options: object) => Promise<{ id: number }> } };
    const apiFetch = w.wp?.apiFetch;
    if (!apiFetch) throw new Error('wp.apiFetch is not loaded on this page');
    const created = await Promise.all(
      all.map((title) => apiFetch({ path: '/wp/v2/posts', method: 'POST', data: { title, content: `<!-- wp:paragraph --><p>${title}</p><!-- /wp:paragraph -->`, status: 'publish' } })),
    );
    return created.map((post) => post.id);
  }, titles as string[]);
}

// ---------------------------------------------------------------------------------------------
// Posts screen

/** The posts listed on Posts → All Posts (/wp-admin/edit.php), freshly loaded. */
export async function postTitlesOnPostsScreen(tab: PlaygroundTab): Promise<PostRow[]> {
  await openAdminPage(tab, '/wp-admin/edit.php');
  const wp = wpAdminFrame(tab);
  await wp.locator('#the-list').waitFor({ state: 'attached', timeout: WP_ADMIN_TIMEOUT });
  return wp.locator('#the-list tr[id^="post-"]').evaluateAll((rows) =>
    rows.map((row) => ({
      id: Number(row.id.replace('post-', '')),
      title: row.querySelector('.row-title')?.textContent?.trim() ?? '',
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Media

/** Uploads one file on Media → Add New (/wp-admin/media-new.php); resolves to the attachment ID. */
export async function uploadMediaFile(tab: PlaygroundTab, fileName: string, bytes: Uint8Array, options: { timeout?: number } = {}): Promise<number> {
  const timeout = options.timeout ?? WP_ADMIN_TIMEOUT;
  await openAdminPage(tab, '/wp-admin/media-new.php');
  const wp = wpAdminFrame(tab);
  const file = { name: fileName, mimeType: mimeTypeOf(fileName), buffer: Buffer.from(bytes) };

  const multiFileInput = wp.locator('#plupload-upload-ui input[type="file"]');
  await wp.locator('#plupload-upload-ui, #html-upload-ui').first().waitFor({ state: 'attached', timeout: WP_ADMIN_TIMEOUT });
  if ((await multiFileInput.count()) > 0) {
    // A big file crosses to the browser first (tens of MB over the DevTools protocol): slow on a busy machine.
    await multiFileInput.setInputFiles(file, { timeout });
    // Each finished upload gets an item with an edit link to its attachment; a failed one, an error.
    const editLink = wp.locator('#media-items .media-item a.edit-attachment').first();
    const failure = wp.locator('#media-items .media-item .error-div, #media-items .media-item.error').first();
    await editLink.or(failure).first().waitFor({ state: 'attached', timeout }).catch(async (error: unknown) => {
      const items = await wp.locator('#media-items').innerText({ timeout: 5000 }).catch(() => '(no media items)');
      throw new Error(`The upload of ${fileName} did not finish: ${String(error)}\nMedia items: ${items}`);
    });
    if ((await failure.count()) > 0) {
      throw new Error(`WordPress refused the upload of ${fileName}: ${await failure.innerText()}`);
    }
    const href = (await editLink.getAttribute('href')) ?? '';
    return attachmentIdFromHref(href);
  }

  // The browser uploader: a plain form that redirects to the Media Library.
  const browserLink = wp.locator('.upload-flash-bypass a, a.browser-uploader').first();
  if (await browserLink.isVisible()) {
    await browserLink.click();
  }
  await wp.locator('#async-upload').setInputFiles(file, { timeout });
  await wp.locator('#html-upload').click();
  await expect.poll(() => currentAdminPath(tab), { timeout }).toMatch(/^\/wp-admin\/upload\.php/);
  const newest = wp.locator('[data-id], #the-list tr[id^="post-"]').first();
  await newest.waitFor({ state: 'attached', timeout: WP_ADMIN_TIMEOUT });
  const id = (await newest.getAttribute('data-id')) ?? (await newest.getAttribute('id'))?.replace('post-', '');
  return Number(id);
}

function attachmentIdFromHref(href: string): number {
  const match = /[?&](?:post|item)=(\d+)/.exec(href);
  if (!match) {
    throw new Error(`No attachment ID in the uploader's edit link: ${href}`);
  }
  return Number(match[1]);
}

function mimeTypeOf(fileName: string): string {
  const extension = fileName.split('.').pop()?.toLowerCase();
  const types: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    txt: 'text/plain',
    pdf: 'application/pdf',
    zip: 'application/zip',
  };
  return types[extension ?? ''] ?? 'application/octet-stream';
}

// ---------------------------------------------------------------------------------------------
// Plugins

/**
 * Plugins → Add New → Upload Plugin: installs a plugin zip, then activates it from the Plugins
 * screen. The installer's own "Activate Plugin" link has `target="_parent"`, which the sandboxed
 * WordPress frame may not follow (nothing happens on click), so a user takes the Plugins screen's
 * "Activate" link instead.
 */
export async function uploadAndActivatePlugin(tab: PlaygroundTab, zipBytes: Uint8Array, fileName = 'plugin.zip'): Promise<string> {
  await openAdminPage(tab, '/wp-admin/plugin-install.php?tab=upload');
  const wp = wpAdminFrame(tab);
  await wp.locator('#pluginzip').setInputFiles({ name: fileName, mimeType: 'application/zip', buffer: Buffer.from(zipBytes) }, { timeout: WP_ADMIN_TIMEOUT });
  await wp.locator('#install-plugin-submit').click();
  const installedActivateLink = wp.getByRole('link', { name: 'Activate Plugin' });
  await installedActivateLink.waitFor({ state: 'visible', timeout: WP_ADMIN_TIMEOUT });
  const plugin = new URL((await installedActivateLink.getAttribute('href')) ?? '', 'https://x/').searchParams.get('plugin');
  if (!plugin) {
    throw new Error('The installer did not name the installed plugin.');
  }

  await openAdminPage(tab, '/wp-admin/plugins.php');
  const row = wp.locator(`#the-list tr[data-plugin="${plugin}"]`);
  await row.locator('.activate a').click();
  await wp.locator(`#the-list tr.active[data-plugin="${plugin}"]`).waitFor({ state: 'attached', timeout: WP_ADMIN_TIMEOUT });
  return plugin;
}

/** Whether the Plugins screen (/wp-admin/plugins.php, freshly loaded) lists the plugin as active. */
export async function isPluginActive(tab: PlaygroundTab, slug: string): Promise<boolean> {
  await openAdminPage(tab, '/wp-admin/plugins.php');
  const wp = wpAdminFrame(tab);
  await wp.locator('#the-list').waitFor({ state: 'attached', timeout: WP_ADMIN_TIMEOUT });
  const row = wp.locator(`#the-list tr[data-slug="${slug}"]`);
  if ((await row.count()) === 0) {
    return false;
  }
  return ((await row.first().getAttribute('class')) ?? '').split(/\s+/).includes('active');
}

// ---------------------------------------------------------------------------------------------
// Read-back for assertions (through the page's client, not the UI)

/** How a test finds a post again: its title, or (an upload) its name. */
export type PostLookup = { readonly title: string } | { readonly name: string };

/** The ID the post has on `tab` now (0: none). Low IDs may have renumbered the one it was made with (docs/ids.md). */
export function postIdOf(tab: PlaygroundTab, by: PostLookup): Promise<number> {
  const query = 'title' in by ? `'title' => ${JSON.stringify(by.title)}` : `'name' => ${JSON.stringify(by.name)}`;
  return wpJson<number>(tab, `(int) (get_posts([${query}, 'post_type' => 'any', 'post_status' => ['publish', 'draft', 'pending', 'private', 'future', 'inherit']])[0]->ID ?? 0)`);
}

/** Every group ID is at least this (src/ids/ranges.ts RANGE_FLOOR): below it, an ID made before the group or a low one given back. */
const GROUP_IDS_FROM = 1_000_000_000;

/**
 * The post's ID once it stays: the same on every one of `tabs`, and with low IDs on (`lowIds`),
 * the low one the group gave it, as a person finds it on the Posts screen after a moment. A post
 * still open in a block editor keeps its first ID: leave the editor first.
 */
export async function settledPostId(tabs: readonly PlaygroundTab[], by: PostLookup, lowIds: boolean): Promise<number> {
  let id = 0;
  await expect
    .poll(
      async () => {
        const ids = await Promise.all(tabs.map((tab) => postIdOf(tab, by)));
        id = ids[0]!;
        return id > 0 && ids.every((each) => each === id) && (!lowIds || id < GROUP_IDS_FROM);
      },
      { timeout: WP_ADMIN_TIMEOUT, interval: 250 },
    )
    .toBe(true);
  return id;
}

/** `PRAGMA integrity_check` of the site's SQLite file, opened on its own (works on either driver). */
export function databaseIntegrity(tab: PlaygroundTab): Promise<string> {
  const database = `defined('DB_PATH') ? DB_PATH : (defined('FQDB') ? FQDB : WP_CONTENT_DIR . '/database/.ht.sqlite')`;
  return wpJson<string>(tab, `(new PDO('sqlite:' . (${database})))->query('PRAGMA integrity_check')->fetchColumn()`);
}

/**
 * The content tables (see `contentRows`) whose rows differ between two tabs, read from both in
 * the same moment: [] once they converged. Poll this, not one side against a snapshot of the
 * other taken once (the other side may still change: a renumbering arriving, say).
 */
export async function contentDifferences(a: PlaygroundTab, b: PlaygroundTab): Promise<string[]> {
  const [rowsA, rowsB] = await Promise.all([contentRows(a), contentRows(b)]);
  return Object.keys({ ...rowsA, ...rowsB }).flatMap((table) => (rowsA[table] === rowsB[table] ? [] : [`${table}: ${rowsA[table]} ≠ ${rowsB[table]}`]));
}

/**
 * Every row of WordPress's content tables (posts with revisions and autosaves, their meta, terms,
 * comments, users), the site's own URL replaced by a placeholder: two synced sites answer the same.
 * Per table, `rows:md5` so a difference says where.
 */
export function contentRows(tab: PlaygroundTab): Promise<Record<string, string>> {
  return wpJson<Record<string, string>>(
    tab,
    `(function () {
      global $wpdb;
      $site = untrailingslashit(home_url());
      $out = [];
      foreach (['posts', 'postmeta', 'terms', 'term_taxonomy', 'term_relationships', 'comments', 'commentmeta', 'users'] as $table) {
        $rows = $wpdb->get_results("SELECT * FROM {$wpdb->$table} ORDER BY 1, 2", ARRAY_N);
        $out[$table] = count($rows) . ':' . md5(str_replace($site, '{site}', json_encode($rows, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)));
      }
      return $out;
    })()`,
  );
}
