/**
 * The offline stand-in keeps the contract of https://playground.wordpress.net that Playground Sync
 * relies on. Chromium without the extension, real WordPress (PHP WASM) in two tabs.
 *
 *   npx vitest run --project e2e test/e2e/standin-contract.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, PLAYGROUND_URL, type LaunchedBrowser, type PlaygroundTab } from './browser';

/** The client members used below, as seen from page code (every call is async through Comlink). */
interface PhpResponse {
  text: string;
  errors: string;
  exitCode: number;
  httpStatusCode: number;
  headers: Record<string, string[]>;
  bytes: Uint8Array;
}
interface FsOp {
  operation: string;
  path: string;
  toPath?: string;
  nodeType: string;
  data?: Uint8Array;
}
interface Client {
  run(options: { code: string }): Promise<PhpResponse>;
  request(request: { url: string; method?: string; body?: string }): Promise<PhpResponse>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  readFileAsBuffer(path: string): Promise<Uint8Array>;
  readFileAsText(path: string): Promise<string>;
  mkdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mv(from: string, to: string): Promise<void>;
  rmdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  listFiles(path: string): Promise<string[]>;
  isDir(path: string): Promise<boolean>;
  fileExists(path: string): Promise<boolean>;
  journalFSEvents(root: string, callback: (op: FsOp) => void): Promise<() => void>;
  replayFSJournal(ops: FsOp[]): Promise<void>;
  onMessage(listener: (data: string) => string | void): Promise<() => Promise<void>>;
  addEventListener(type: string, listener: (event: { type: string }) => void): Promise<void>;
  goTo(path: string): Promise<void>;
  getCurrentURL(): Promise<string>;
  onNavigation(fn: (path: string) => void): Promise<void>;
  isReady(): Promise<void>;
  absoluteUrl: Promise<string>;
  scope: Promise<string>;
  documentRoot: Promise<string>;
  loadedWordPressVersion: Promise<string>;
}
interface SitesApi {
  isReady(): Promise<void>;
  getClient(): Client | undefined;
  list(): { slug: string; name: string; storage: string; isActive: boolean }[];
}
type PageWindow = { playground?: Client; playgroundSites?: SitesApi };

const TEST_DIR = '/wordpress/wp-content/pg-contract';

function wpFrame(page: Page) {
  return page.frames().find((frame) => new URL(frame.url()).pathname.startsWith('/scope:'));
}

describe('offline stand-in for playground.wordpress.net', () => {
  let browser: LaunchedBrowser;
  let first: PlaygroundTab;
  let second: PlaygroundTab;

  beforeAll(async () => {
    browser = await launchBrowser();
    first = await browser.openPlaygroundTab();
    second = await browser.openPlaygroundTab();
    console.info(`[stand-in] boot to wp-admin: first tab ${first.bootMs} ms, second tab ${second.bootMs} ms`);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lays out its frames like the real site, with PHP in a dedicated worker and a root service worker', async () => {
    for (const tab of [first, second]) {
      expect(tab.page.url()).toBe(PLAYGROUND_URL);
      const viewport = tab.page.locator('iframe.playground-viewport');
      expect(await viewport.count()).toBe(1);
      expect(new URL((await viewport.getAttribute('src')) ?? '', PLAYGROUND_URL).pathname).toBe('/remote.html');

      const remote = tab.page.frames().find((frame) => new URL(frame.url()).pathname === '/remote.html');
      expect(remote).toBeDefined();
      const wp = remote!.locator('iframe#wp');
      expect(await wp.count()).toBe(1);
      expect(await wp.getAttribute('sandbox')).toContain('allow-same-origin allow-scripts');

      const inner = wpFrame(tab.page);
      expect(inner?.parentFrame()).toBe(remote);
      expect(inner?.url()).toBe(`https://playground.wordpress.net/scope:${tab.scope}/wp-admin/`);
      expect(await inner!.locator('#wpadminbar').count()).toBe(1);
      // Static assets the minified build lacks were backfilled: wp-admin is styled.
      expect(await inner!.evaluate(() => getComputedStyle(document.querySelector('#adminmenuwrap')!).position)).not.toBe(
        'static',
      );

      const sw = await inner!.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return { controller: navigator.serviceWorker.controller?.scriptURL, scope: registration?.scope };
      });
      expect(sw).toEqual({ controller: 'https://playground.wordpress.net/sw.js', scope: 'https://playground.wordpress.net/' });

      const workers = tab.page.workers().map((worker) => new URL(worker.url()).pathname);
      expect(workers.some((path) => /^\/assets\/worker-[\w-]+\.js$/.test(path))).toBe(true);
      // PHP does not run in the page: the top frame has no PHP runtime global.
      expect(await tab.page.evaluate(() => 'PHPLoader' in window || 'FS' in window)).toBe(false);
    }
  });

  it('gives each tab its own scope, and each remote answers only its own scope', async () => {
    expect(first.scope).toMatch(/^[a-z0-9-]+$/);
    expect(second.scope).toMatch(/^[a-z0-9-]+$/);
    expect(first.scope).not.toBe(second.scope);
    expect(first.absoluteUrl).toBe(`https://playground.wordpress.net/scope:${first.scope}`);
    expect(second.absoluteUrl).toBe(`https://playground.wordpress.net/scope:${second.scope}`);

    // A script only the first site has: reachable at its scope, absent at the second's, from either
    // tab. PHP runs for all of these (a 404 too), so each one the first tab serves fires request.end.
    await first.page.evaluate(async () => {
      const w = window as unknown as PageWindow & { pgContractRequests?: number };
      const c = w.playgroundSites!.getClient()!;
      await c.writeFile('/wordpress/only-in-first.php', '<?php echo "first site";');
      w.pgContractRequests = 0;
      await c.addEventListener('request.end', () => {
        w.pgContractRequests = (w.pgContractRequests ?? 0) + 1;
      });
    });
    const requestsHandledByFirst = () =>
      first.page.evaluate(async () => {
        await new Promise((r) => setTimeout(r, 300));
        return (window as unknown as { pgContractRequests: number }).pgContractRequests;
      });
    const fetchFrom = (tab: PlaygroundTab, scope: string) =>
      tab.page.evaluate(async (url) => {
        const response = await fetch(url);
        return { status: response.status, body: await response.text() };
      }, `/scope:${scope}/only-in-first.php`);

    // The service worker broadcasts every request to every tab: only the scope's owner may answer.
    expect((await fetchFrom(second, second.scope)).status).toBe(404);
    expect((await fetchFrom(first, second.scope)).status).toBe(404);
    expect(await requestsHandledByFirst()).toBe(0);
    expect(await fetchFrom(second, first.scope)).toEqual({ status: 200, body: 'first site' });
    expect(await requestsHandledByFirst()).toBe(1);
  });

  it('exposes window.playgroundSites and window.playground like the real site', async () => {
    const result = await first.page.evaluate(async () => {
      const w = window as unknown as PageWindow;
      await w.playgroundSites!.isReady();
      const client = w.playgroundSites!.getClient();
      await client!.isReady();
      return {
        same: client === w.playground,
        list: w.playgroundSites!.list(),
        scope: await client!.scope,
        echo: (await client!.run({ code: '<?php echo 6 * 7;' })).text,
      };
    });
    expect(result.same).toBe(true);
    expect(result.scope).toBe(first.scope);
    expect(result.echo).toBe('42');
    expect(result.list).toHaveLength(1);
    expect(result.list[0]).toMatchObject({ slug: first.scope, storage: 'temporary', isActive: true });
    expect(result.list[0]!.name).toMatch(/\S/);
  });

  it('is not there at first paint: the Sites API appears a little later', async () => {
    const page = await browser.context.newPage();
    try {
      // Module scripts have run by DOMContentLoaded: a synchronous assignment would show there. Read
      // in the page at that moment (a round trip from here may come after the API on a loaded machine).
      await page.addInitScript(() => {
        document.addEventListener('DOMContentLoaded', () => {
          (window as unknown as { sitesAtDomReady?: boolean }).sitesAtDomReady = 'playgroundSites' in window;
        });
      });
      await page.goto(PLAYGROUND_URL, { waitUntil: 'domcontentloaded' });
      const atStart = await page.evaluate(() => (window as unknown as { sitesAtDomReady?: boolean }).sitesAtDomReady);
      await page.waitForFunction(() => 'playgroundSites' in window, undefined, { timeout: 30_000 });
      expect(atStart).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('runs PHP: output, warnings in errors, fatals reject', async () => {
    const result = await first.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const echo = await c.run({ code: '<?php echo "hello " . PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION;' });
      const warning = await c.run({ code: '<?php trigger_error("careful", E_USER_WARNING); echo "after";' });
      let fatal = 'resolved';
      try {
        await c.run({ code: '<?php throw new Exception("boom");' });
      } catch (error) {
        fatal = String(error);
      }
      const wp = await c.run({
        code: '<?php require "/wordpress/wp-load.php"; echo get_bloginfo("version"), "|", home_url("/");',
      });
      return {
        echo: [echo.text, echo.errors, echo.exitCode],
        warning: [warning.text, warning.errors],
        fatal,
        wp: wp.text,
      };
    });
    expect(result.echo).toEqual(['hello 8.3', '', 0]);
    expect(result.warning[0]).toContain('after');
    expect(result.warning[1]).toContain('careful');
    expect(result.fatal).toContain('boom');
    expect(result.wp).toMatch(new RegExp(`^6\\.\\d.*\\|https://playground\\.wordpress\\.net/scope:${first.scope}/$`));
  });

  it('request() is a logged-in WordPress page load', async () => {
    const result = await first.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const admin = await c.request({ url: '/wp-admin/' });
      const profile = await c.request({ url: '/wp-admin/profile.php' });
      return {
        status: admin.httpStatusCode,
        adminBar: admin.text.includes('id="wpadminbar"'),
        dashboard: admin.text.includes('<title>Dashboard'),
        user: /id="user_login"[^>]*value="([^"]+)"/.exec(profile.text)?.[1],
      };
    });
    expect(result).toEqual({ status: 200, adminBar: true, dashboard: true, user: 'admin' });
  });

  it('blocks WordPress from the network (pre_http_request) and serves missing static assets', async () => {
    const result = await first.page.evaluate(async (scope) => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const http = await c.run({
        code: `<?php require "/wordpress/wp-load.php";
          $r = wp_remote_get("https://api.wordpress.org/core/version-check/1.7/");
          echo is_wp_error($r) ? "blocked: " . $r->get_error_message() : "reached the network";`,
      });
      const css = await fetch(`/scope:${scope}/wp-includes/css/dashicons.min.css`);
      return { http: http.text, css: [css.status, css.headers.get('content-type'), (await css.text()).length] };
    }, first.scope);
    expect(result.http).toMatch(/^blocked: /);
    expect(result.css[0]).toBe(200);
    expect(result.css[1]).toContain('text/css');
    expect(result.css[2]).toBeGreaterThan(10_000);
  });

  it('reads and writes files: byte round trip, mkdir, listFiles, mv, unlink, rmdir, isDir, fileExists', async () => {
    const result = await first.page.evaluate(async (dir) => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const bytes = new Uint8Array(256 * 3);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
      await c.mkdir(`${dir}/files/nested/deeper`);
      await c.writeFile(`${dir}/files/bytes.bin`, bytes);
      const back = await c.readFileAsBuffer(`${dir}/files/bytes.bin`);
      await c.writeFile(`${dir}/files/nested/note.txt`, 'ünïcødé ✓');
      const text = await c.readFileAsText(`${dir}/files/nested/note.txt`);
      const listed = (await c.listFiles(`${dir}/files`)).sort();
      const phpSees = (await c.run({ code: `<?php echo md5_file("${dir}/files/bytes.bin");` })).text;
      await c.mv(`${dir}/files/nested/note.txt`, `${dir}/files/moved.txt`);
      const afterMv = [await c.fileExists(`${dir}/files/nested/note.txt`), await c.readFileAsText(`${dir}/files/moved.txt`)];
      await c.unlink(`${dir}/files/moved.txt`);
      const afterUnlink = await c.fileExists(`${dir}/files/moved.txt`);
      const dirs = [await c.isDir(`${dir}/files/nested`), await c.isDir(`${dir}/files/bytes.bin`)];
      await c.rmdir(`${dir}/files/nested`);
      const afterRmdir = await c.fileExists(`${dir}/files/nested/deeper`);
      let missing = 'no error';
      try {
        await c.readFileAsBuffer(`${dir}/files/nope.bin`);
      } catch (error) {
        missing = String(error);
      }
      return {
        same: back.length === bytes.length && back.every((b, i) => b === bytes[i]),
        backType: Object.prototype.toString.call(back),
        text,
        listed,
        phpSees,
        afterMv,
        afterUnlink,
        dirs,
        afterRmdir,
        missing,
      };
    }, TEST_DIR);
    expect(result.same).toBe(true);
    expect(result.backType).toBe('[object Uint8Array]');
    expect(result.text).toBe('ünïcødé ✓');
    expect(result.listed).toEqual(['bytes.bin', 'nested']);
    expect(result.phpSees).toMatch(/^[0-9a-f]{32}$/);
    expect(result.afterMv).toEqual([false, 'ünïcødé ✓']);
    expect(result.afterUnlink).toBe(false);
    expect(result.dirs).toEqual([true, false]);
    expect(result.afterRmdir).toBe(false);
    expect(result.missing).not.toBe('no error');
  });

  it('journals filesystem operations to a page callback and stops after unbinding', async () => {
    const ops = await first.page.evaluate(async (dir) => {
      const w = window as unknown as PageWindow;
      const c = w.playgroundSites!.getClient()!;
      const seen: FsOp[] = [];
      const root = `${dir}/journal`;
      const unbind = await c.journalFSEvents(`${root}/`, (op) => {
        seen.push({ operation: op.operation, path: op.path, toPath: op.toPath, nodeType: op.nodeType });
      });
      await c.mkdir(`${root}/sub`);
      await c.writeFile(`${root}/sub/a.txt`, 'one');
      await c.mv(`${root}/sub/a.txt`, `${root}/sub/b.txt`);
      await c.unlink(`${root}/sub/b.txt`);
      // A write from PHP during a page load reaches the journal too.
      await c.writeFile(
        '/internal/shared/mu-plugins/zz-contract-writer.php',
        `<?php if (isset($_GET['pg_contract_write'])) { file_put_contents('${root}/sub/from-php.txt', 'php'); }`,
      );
      await c.request({ url: '/?pg_contract_write=1' });
      await c.unlink('/internal/shared/mu-plugins/zz-contract-writer.php');
      await new Promise((r) => setTimeout(r, 300));
      const beforeUnbind = seen.length;
      await unbind();
      await c.writeFile(`${root}/sub/after-unbind.txt`, 'late');
      await new Promise((r) => setTimeout(r, 300));
      return { seen, beforeUnbind };
    }, TEST_DIR);
    const root = `${TEST_DIR}/journal`;
    const summary = ops.seen.map((op) => `${op.operation} ${op.path}${op.toPath ? ` -> ${op.toPath}` : ''}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        `CREATE ${root}/sub`,
        `CREATE ${root}/sub/a.txt`,
        `WRITE ${root}/sub/a.txt`,
        `RENAME ${root}/sub/a.txt -> ${root}/sub/b.txt`,
        `DELETE ${root}/sub/b.txt`,
        `WRITE ${root}/sub/from-php.txt`,
      ]),
    );
    expect(summary.indexOf(`CREATE ${root}/sub/a.txt`)).toBeLessThan(summary.indexOf(`DELETE ${root}/sub/b.txt`));
    expect(ops.seen.length).toBe(ops.beforeUnbind);
    expect(summary.some((line) => line.includes('after-unbind'))).toBe(false);
  });

  it('replays a journal recorded in one tab into the other', async () => {
    const root = `${TEST_DIR}/replay`;
    const recorded = await first.page.evaluate(async (root) => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const seen: FsOp[] = [];
      const unbind = await c.journalFSEvents(`${root}/`, (op) => seen.push({ ...op }));
      await c.mkdir(`${root}/dir`);
      await c.writeFile(`${root}/dir/file.txt`, 'replayed content');
      await new Promise((r) => setTimeout(r, 200));
      await unbind();
      // Journal entries carry no data: hydrate WRITEs from the source.
      for (const op of seen) {
        if (op.operation === 'WRITE') {
          op.data = await c.readFileAsBuffer(op.path);
        }
      }
      return seen.map((op) => ({ ...op, data: op.data ? Array.from(op.data) : undefined }));
    }, root);
    expect(recorded.map((op) => op.operation)).toEqual(expect.arrayContaining(['CREATE', 'WRITE']));

    const replayed = await second.page.evaluate(
      async ({ root, ops }) => {
        const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
        const before = await c.fileExists(`${root}/dir/file.txt`);
        // replayFSJournal needs an active journal subscription on the target.
        const unbind = await c.journalFSEvents(`${root}/`, () => {});
        await c.replayFSJournal(ops.map((op) => ({ ...op, data: op.data ? new Uint8Array(op.data) : undefined })));
        await unbind();
        return { before, after: await c.readFileAsText(`${root}/dir/file.txt`), isDir: await c.isDir(`${root}/dir`) };
      },
      { root, ops: recorded },
    );
    expect(replayed).toEqual({ before: false, after: 'replayed content', isDir: true });
  });

  it('delivers post_message_to_js from page requests (even before any run()) and from run() to onMessage', async () => {
    // A fresh tab: nothing has called run() yet, so nothing but the platform relays page messages.
    const tab = await browser.openPlaygroundTab();
    try {
      const result = await tab.page.evaluate(async () => {
        const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
        const received: string[] = [];
        const unsubscribe = await c.onMessage((data) => {
          received.push(data);
          return data.includes('"expects-reply"') ? 'reply from js' : undefined;
        });
        await c.writeFile(
          '/internal/shared/mu-plugins/zz-contract-messenger.php',
          `<?php
          add_action('init', function () {
            if (function_exists('post_message_to_js') && isset($_GET['pg_contract'])) {
              post_message_to_js(json_encode(['type' => 'pg-contract/request', 'uri' => $_SERVER['REQUEST_URI']]));
            }
          });`,
        );
        const page = await c.request({ url: '/?pg_contract=request' });
        const afterRequest = received.length;
        // A navigation of the WordPress frame (through the service worker) is a page request too.
        await c.goTo('/wp-admin/?pg_contract=navigation');
        await new Promise((r) => setTimeout(r, 300));
        const afterNavigation = received.length;
        const fromRun = await c.run({
          code: '<?php echo post_message_to_js(json_encode(["type" => "pg-contract/run", "expects-reply" => true]));',
        });
        await unsubscribe();
        await c.request({ url: '/?pg_contract=after-unsubscribe' });
        return { reply: fromRun.text, status: page.httpStatusCode, afterRequest, afterNavigation, received };
      });
      const messages = result.received.map((raw) => JSON.parse(raw) as { type: string; uri?: string });
      expect(result.status).toBe(200);
      expect(result.afterRequest).toBe(1);
      expect(messages[0]?.type).toBe('pg-contract/request');
      expect(messages[0]?.uri).toMatch(/\/\?pg_contract=request$/);
      expect(result.afterNavigation).toBeGreaterThanOrEqual(2);
      expect(messages.slice(1, result.afterNavigation).some((m) => m.uri?.endsWith('/wp-admin/?pg_contract=navigation'))).toBe(
        true,
      );
      expect(result.reply).toBe('reply from js');
      expect(messages.at(-1)).toEqual({ type: 'pg-contract/run', 'expects-reply': true });
      expect(messages.some((m) => m.uri?.includes('after-unsubscribe'))).toBe(false);
    } finally {
      await tab.page.close();
    }
  });

  it('emits worker events to addEventListener callbacks', async () => {
    const events = await first.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const seen: string[] = [];
      await c.addEventListener('request.end', (event) => seen.push(event.type));
      const before = seen.length;
      await c.request({ url: '/wp-login.php' });
      await new Promise((r) => setTimeout(r, 300));
      return { before, after: seen };
    });
    expect(events.before).toBe(0);
    expect(events.after).toContain('request.end');
  });

  it('navigates with goTo, reports getCurrentURL and onNavigation', async () => {
    const result = await second.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const paths: string[] = [];
      await c.onNavigation((path) => paths.push(path));
      const before = await c.getCurrentURL();
      await c.goTo('/wp-admin/options-general.php');
      const after = await c.getCurrentURL();
      await new Promise((r) => setTimeout(r, 800));
      return { before, after, paths };
    });
    expect(result.before).toBe('/wp-admin/');
    expect(result.after).toBe('/wp-admin/options-general.php');
    expect(result.paths).toContain('/wp-admin/options-general.php');
    expect(wpFrame(second.page)?.url()).toBe(`https://playground.wordpress.net/scope:${second.scope}/wp-admin/options-general.php`);
    expect(await wpFrame(second.page)!.locator('#blogname').count()).toBe(1);
  });

  it('reports documentRoot and loadedWordPressVersion', async () => {
    const info = await first.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      return {
        documentRoot: await c.documentRoot,
        loaded: await c.loadedWordPressVersion,
        wpVersion: (await c.run({ code: '<?php require "/wordpress/wp-includes/version.php"; echo $wp_version;' })).text,
      };
    });
    expect(info.documentRoot).toBe('/wordpress');
    // The default build is the nightly (an alpha): @wp-playground/wordpress reports it as "trunk".
    expect(info.wpVersion).toMatch(/-alpha-/);
    expect(info.loaded).toBe('trunk');
  });

  it('boots the WordPress version asked for with ?wp=6.5', async () => {
    const tab = await browser.openPlaygroundTab(`${PLAYGROUND_URL}?wp=6.5`);
    try {
      const info = await tab.page.evaluate(async () => {
        const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
        return {
          loaded: await c.loadedWordPressVersion,
          wpVersion: (await c.run({ code: '<?php require "/wordpress/wp-includes/version.php"; echo $wp_version;' })).text,
        };
      });
      expect(info).toEqual({ loaded: '6.5', wpVersion: '6.5.5' });
      expect(tab.scope).not.toBe(first.scope);
      const inner = wpFrame(tab.page)!;
      expect(await inner.evaluate(() => getComputedStyle(document.querySelector('#adminmenuwrap')!).position)).not.toBe(
        'static',
      );
    } finally {
      await tab.page.close();
    }
  });

  it('runs the PHP version asked for with ?php=7.4 (default 8.3)', async () => {
    const tab = await browser.openPlaygroundTab(`${PLAYGROUND_URL}?php=7.4`);
    try {
      const phpVersionOf = (page: Page) =>
        page.evaluate(async () => (await (window as unknown as PageWindow).playgroundSites!.getClient()!.run({ code: '<?php echo PHP_VERSION;' })).text);
      expect(await phpVersionOf(tab.page)).toMatch(/^7\.4\./);
      expect(await phpVersionOf(first.page)).toMatch(/^8\.3\./);
    } finally {
      await tab.page.close();
    }
  });

  it('boots a new temporary site on a new scope when a tab reloads', async () => {
    const marker = await second.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      await c.writeFile('/wordpress/wp-content/reload-marker.txt', 'before reload');
      const option = await c.run({
        code: '<?php require "/wordpress/wp-load.php"; update_option("pg_contract_marker", "kept?"); echo get_option("pg_contract_marker");',
      });
      return option.text;
    });
    expect(marker).toBe('kept?');

    const started = Date.now();
    await second.page.reload();
    const reloaded = await browser.waitForPlayground(second.page);
    console.info(`[stand-in] reload to wp-admin: ${Date.now() - started} ms`);
    expect(reloaded.scope).not.toBe(second.scope);
    expect(reloaded.scope).not.toBe(first.scope);
    const after = await second.page.evaluate(async () => {
      const c = (window as unknown as PageWindow).playgroundSites!.getClient()!;
      const option = await c.run({
        code: '<?php require "/wordpress/wp-load.php"; var_export(get_option("pg_contract_marker"));',
      });
      return {
        file: await c.fileExists('/wordpress/wp-content/reload-marker.txt'),
        option: option.text,
        scope: await c.scope,
      };
    });
    expect(after).toEqual({ file: false, option: 'false', scope: reloaded.scope });
    second = reloaded;
  });
});

interface SavedSitesApi extends SitesApi {
  saveInBrowser(): Promise<void>;
  setActiveSite(slug: string): Promise<void>;
}
type SavedSitesWindow = { playground?: Client; playgroundSites?: SavedSitesApi };

/** Runs in the page: the active client's answer to `code` (WordPress loaded first). */
function wpRun(page: Page, php: string): Promise<string> {
  return page.evaluate(async (body) => {
    const c = (window as unknown as SavedSitesWindow).playgroundSites!.getClient()!;
    return (await c.run({ code: `<?php require "/wordpress/wp-load.php"; ${body}` })).text;
  }, php);
}

/** Whether any file of the saved site's database directory in OPFS contains `text`. */
function opfsDatabaseHolds(page: Page, slug: string, text: string): Promise<boolean> {
  return page.evaluate(async ({ slug, text }) => {
    let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('sites');
    for (const name of [`site-${slug}`, 'wp-content', 'database']) {
      dir = await dir.getDirectoryHandle(name);
    }
    const needle = new TextEncoder().encode(text);
    for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (entry.kind !== 'file') continue;
      const bytes = new Uint8Array(await (await (entry as FileSystemFileHandle).getFile()).arrayBuffer());
      outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
        for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
        return true;
      }
    }
    return false;
  }, { slug, text });
}

function listSites(page: Page) {
  return page.evaluate(() => (window as unknown as SavedSitesWindow).playgroundSites!.list());
}

describe('saved sites and site switching on the stand-in, as on the real site', () => {
  let browser: LaunchedBrowser;
  let tab: PlaygroundTab;
  let savedSlug: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    tab = await browser.openPlaygroundTab();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('saves a temporary site in the browser: OPFS /sites/site-<slug>/ with wp-runtime.json, ?site-slug= in the URL', async () => {
    expect(await listSites(tab.page)).toEqual([expect.objectContaining({ slug: tab.scope, storage: 'temporary', isActive: true })]);
    await tab.page.evaluate(() => (window as unknown as SavedSitesWindow).playgroundSites!.saveInBrowser());
    savedSlug = tab.scope;
    expect(await listSites(tab.page)).toEqual([expect.objectContaining({ slug: savedSlug, storage: 'opfs', isActive: true })]);
    expect(new URL(tab.page.url()).searchParams.get('site-slug')).toBe(savedSlug);
    expect(await wpRun(tab.page, 'echo wp_insert_post(["post_title" => "Kept by OPFS", "post_status" => "publish"]) > 0 ? "ok" : "no";')).toBe('ok');
    const record = await tab.page.evaluate(async (slug) => {
      const c = (window as unknown as SavedSitesWindow).playgroundSites!.getClient()!;
      const inSite = JSON.parse(await c.readFileAsText('/wordpress/wp-runtime.json')) as { slug: string };
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle('sites')).getDirectoryHandle(`site-${slug}`);
      const inOpfs = JSON.parse(await (await (await dir.getFileHandle('wp-runtime.json')).getFile()).text()) as { slug: string };
      const wpConfig = await dir.getFileHandle('wp-config.php').then(() => true, () => false);
      return { inSite: inSite.slug, inOpfs: inOpfs.slug, wpConfig };
    }, savedSlug);
    expect(record).toEqual({ inSite: savedSlug, inOpfs: savedSlug, wpConfig: true });
    // The mount mirrors a request's writes to OPFS after it ends, as on the real site: a reload right
    // after a write can lose it there too, so the next test reloads once the post has reached OPFS.
    await expect.poll(() => opfsDatabaseHolds(tab.page, savedSlug, 'Kept by OPFS'), { timeout: 15_000 }).toBe(true);
  });

  it('reloads a saved site with its content (same scope, same posts)', async () => {
    await tab.page.reload();
    tab = await browser.waitForPlayground(tab.page);
    expect(tab.scope).toBe(savedSlug);
    expect(await listSites(tab.page)).toContainEqual(expect.objectContaining({ slug: savedSlug, storage: 'opfs', isActive: true }));
    expect(await wpRun(tab.page, 'echo count(get_posts(["title" => "Kept by OPFS", "post_status" => "publish"]));')).toBe('1');
  });

  it('opens a saved site with ?site-slug= in another tab, and switches a tab to it with setActiveSite (a new client)', async () => {
    await tab.page.close();
    const other = await browser.openPlaygroundTab(`${PLAYGROUND_URL}?site-slug=${savedSlug}`);
    expect(other.scope).toBe(savedSlug);
    expect(await wpRun(other.page, 'echo count(get_posts(["title" => "Kept by OPFS", "post_status" => "publish"]));')).toBe('1');
    await other.page.close();

    const switching = await browser.openPlaygroundTab();
    expect(switching.scope).not.toBe(savedSlug);
    const switched = await switching.page.evaluate(async (slug) => {
      const w = window as unknown as SavedSitesWindow;
      const before = w.playgroundSites!.getClient();
      await w.playgroundSites!.setActiveSite(slug);
      await w.playgroundSites!.isReady();
      const after = w.playgroundSites!.getClient()!;
      return { replaced: before !== after, global: w.playground === after, scope: await after.scope };
    }, savedSlug);
    expect(switched).toEqual({ replaced: true, global: true, scope: savedSlug });
    expect(new URL(switching.page.url()).searchParams.get('site-slug')).toBe(savedSlug);
    expect(await listSites(switching.page)).toEqual([expect.objectContaining({ slug: savedSlug, storage: 'opfs', isActive: true })]);
    await switching.page.frameLocator('#playground-viewport').frameLocator('#wp').locator('#wpadminbar').first().waitFor({ state: 'attached' });
    expect(await wpRun(switching.page, 'echo count(get_posts(["title" => "Kept by OPFS", "post_status" => "publish"]));')).toBe('1');
  });
});

/** Two page requests at once, each asking onMessage through post_message_to_js: which were heard. */
async function concurrentMessages(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const c = (window as unknown as PageWindow).playground!;
    let arrived = 0;
    let release: () => void = () => {};
    const both = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Holds the first request until the second arrived too, so both run at once (on two PHP
    // instances); a request whose message never arrives lets the first go after a while.
    const listener = async (data: string) => {
      if (!data.includes('pg-contract-hold')) return undefined;
      arrived += 1;
      if (arrived >= 2) release();
      await Promise.race([both, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      return 'heard';
    };
    // Comlink awaits a listener's promise: the client's type says `string | void`.
    const unsubscribe = await c.onMessage(listener as unknown as (data: string) => string);
    await c.writeFile(
      '/wordpress/pg-contract-hold.php',
      `<?php $r = post_message_to_js(json_encode(['type' => 'pg-contract-hold'])); echo $r === 'heard' ? 'heard' : 'unheard: ' . var_export($r, true);`,
    );
    const answers = await Promise.all([c.request({ url: '/pg-contract-hold.php' }), c.request({ url: '/pg-contract-hold.php' })]);
    await unsubscribe();
    return answers.map((answer) => answer.text).sort();
  });
}

/**
 * Writes under /internal/shared and /wordpress, then runs `run()` until the /internal marker is
 * gone (at most `limit` times): what an older build's runtime rotation keeps.
 */
async function runUntilInternalLost(page: Page, limit: number) {
  return page.evaluate(async (limit) => {
    const c = (window as unknown as PageWindow).playground!;
    await c.mkdir('/internal/shared/pg-contract');
    await c.writeFile('/internal/shared/pg-contract/marker.txt', 'written after boot');
    await c.writeFile('/internal/shared/preload/zz-pg-contract.php', '<?php // a client preload');
    await c.writeFile('/wordpress/wp-content/pg-rotation-marker.txt', 'in the document root');
    await c.run({ code: '<?php require "/wordpress/wp-load.php"; update_option("pg_rotation_marker", "in the database");' });
    let runs = 0;
    while (runs < limit && (await c.fileExists('/internal/shared/pg-contract/marker.txt'))) {
      await c.run({ code: '<?php echo 1;' });
      runs += 1;
    }
    const admin = await c.request({ url: '/wp-admin/' });
    return {
      runs,
      internalMarker: await c.fileExists('/internal/shared/pg-contract/marker.txt'),
      clientPreload: await c.fileExists('/internal/shared/preload/zz-pg-contract.php'),
      bootMuPlugin: await c.fileExists('/internal/shared/mu-plugins/0-offline-network.php'),
      documentRootFile: await c.readFileAsText('/wordpress/wp-content/pg-rotation-marker.txt'),
      option: (await c.run({ code: '<?php require "/wordpress/wp-load.php"; echo get_option("pg_rotation_marker");' })).text,
      admin: [admin.httpStatusCode, admin.text.includes('id="wpadminbar"')],
    };
  }, limit);
}

describe('the stand-in’s older build (?build=older) against the current one', () => {
  let browser: LaunchedBrowser;
  let older: PlaygroundTab;
  let current: PlaygroundTab;

  beforeAll(async () => {
    browser = await launchBrowser();
    older = await browser.openPlaygroundTab(`${PLAYGROUND_URL}?build=older`);
    current = await browser.openPlaygroundTab();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('older: the viewport iframe has class playground-viewport and no id, and there is no Sites API', async () => {
    const viewport = (tab: PlaygroundTab) =>
      tab.page.evaluate(() => {
        const frames = [...document.querySelectorAll('iframe.playground-viewport')];
        return { count: frames.length, id: frames[0]?.id, sites: 'playgroundSites' in window, client: 'playground' in window };
      });
    expect(await viewport(older)).toEqual({ count: 1, id: '', sites: false, client: true });
    expect(await viewport(current)).toEqual({ count: 1, id: 'playground-viewport', sites: true, client: true });
  });

  it('older: post_message_to_js reaches onMessage from the primary PHP instance only; current: from both of its instances', async () => {
    expect(await concurrentMessages(older.page)).toEqual(['heard', "unheard: ''"]);
    expect(await concurrentMessages(current.page)).toEqual(['heard', 'heard']);
  });

  it('older: a runtime rotation within 400 requests per instance loses what was written under /internal, nothing else', async () => {
    const result = await runUntilInternalLost(older.page, 1_000);
    console.info(`[stand-in] older build: /internal lost after ${result.runs} run() calls`);
    expect(result.runs).toBeGreaterThan(0);
    // Two instances with their own counts: sequential calls land on one of them.
    expect(result.runs).toBeLessThanOrEqual(800);
    expect(result).toMatchObject({
      internalMarker: false,
      clientPreload: false,
      bootMuPlugin: true,
      documentRootFile: 'in the document root',
      option: 'in the database',
      admin: [200, true],
    });
  });

  it('current: a runtime rotation keeps everything', async () => {
    const result = await runUntilInternalLost(current.page, 801);
    expect(result).toMatchObject({
      runs: 801,
      internalMarker: true,
      clientPreload: true,
      bootMuPlugin: true,
      documentRootFile: 'in the document root',
      option: 'in the database',
      admin: [200, true],
    });
  });
});
