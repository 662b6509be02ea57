/**
 * Launches Debian's Chromium under Playwright against the offline stand-in for
 * playground.wordpress.net (or the real site with `online: true`), optionally with an unpacked
 * extension loaded. Used by the end-to-end tests and the demo script.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { PLAYGROUND_ORIGIN, standInChromiumArgs, startStandIn, type StandIn } from '../../testbed/server';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const PLAYGROUND_URL = `${PLAYGROUND_ORIGIN}/`;

export interface LaunchOptions {
  /** Unpacked extension folder (e.g. `dist/`) to load. */
  extensionPath?: string;
  /** Defaults to true. Pass `!hasDisplay()` for a visible window when a display exists. */
  headless?: boolean;
  /** A running stand-in to use; otherwise one is started (and stopped by close()). */
  standIn?: StandIn;
  /** Use the real https://playground.wordpress.net instead of the stand-in. */
  online?: boolean;
  /** Extra Chromium flags. */
  args?: string[];
  /** Milliseconds to wait for WordPress to render in a new tab (default 180 s). */
  bootTimeout?: number;
}

export interface PlaygroundTab {
  page: Page;
  /** The site's scope (= slug), read from `client.scope`. */
  scope: string;
  /** `await client.absoluteUrl`, e.g. `https://playground.wordpress.net/scope:<slug>`. */
  absoluteUrl: string;
  /** Milliseconds from navigation to wp-admin rendered in `#wp`. */
  bootMs: number;
}

export interface LaunchedBrowser {
  context: BrowserContext;
  /** The stand-in in use (undefined online). */
  standIn: StandIn | undefined;
  /** Opens https://playground.wordpress.net/ in a new tab; resolves once wp-admin rendered in `#wp`. */
  openPlaygroundTab(url?: string): Promise<PlaygroundTab>;
  /** Waits until the tab's site is ready (after a goto or reload) and describes it. */
  waitForPlayground(page: Page, timeout?: number): Promise<PlaygroundTab>;
  /** The loaded extension's service worker. */
  extensionServiceWorker(): Promise<Worker>;
  /** The loaded extension's id (its service worker URL's host). */
  extensionId(): Promise<string>;
  /** Opens `chrome-extension://<id>/<path>` (e.g. `popup/index.html`) as a page. */
  openExtensionPage(path: string): Promise<Page>;
  /** Closes Chromium, removes its profile and HOME, and stops the stand-in if it started it. */
  close(): Promise<void>;
}

/** The minimal shape of the page globals the stand-in and the real site set on the top window. */
interface PageClient {
  scope: Promise<string> | string;
  absoluteUrl: Promise<string> | string;
  isReady(): Promise<void>;
}
interface PageGlobals {
  playground?: PageClient;
  playgroundSites?: { isReady(): Promise<void>; getClient(): PageClient | undefined };
}

/** True when a visible browser window can be shown. */
/** What a Playground page's "Leave site?" question is answered (the extension asks while a change has not synced yet), and how often it was asked. */
const leaving = new WeakMap<Page, { answer: 'leave' | 'stay'; asked: number }>();

/**
 * Answers a page's "Leave site?" question (beforeunload) as a person would: `leave` (the default of
 * every Playground tab, so a reload or a close in a test goes ahead) or `stay`. Other dialogs are
 * dismissed, as Playwright does by default.
 */
export function answerLeaving(page: Page, answer: 'leave' | 'stay'): void {
  const known = leaving.get(page);
  if (known) {
    known.answer = answer;
    return;
  }
  const state = { answer, asked: 0 };
  leaving.set(page, state);
  page.on('dialog', (dialog) => {
    if (dialog.type() !== 'beforeunload') return void dialog.dismiss().catch(() => undefined);
    state.asked += 1;
    void (state.answer === 'leave' ? dialog.accept() : dialog.dismiss()).catch(() => undefined);
  });
}

/** How many times the page asked "Leave site?" so far. */
export function timesAskedToLeave(page: Page): number {
  return leaving.get(page)?.asked ?? 0;
}

export function hasDisplay(): boolean {
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const online = options.online ?? false;
  const ownsStandIn = !online && !options.standIn;
  const standIn = online ? undefined : (options.standIn ?? (await startStandIn()));
  const bootTimeout = options.bootTimeout ?? 180_000;
  const scratch = mkdtempSync(join(tmpdir(), 'pg-sync-chromium-'));
  const home = join(scratch, 'home');
  const profile = join(scratch, 'profile');

  const args = [...BASE_ARGS];
  if (standIn) {
    args.push(...standInChromiumArgs(standIn));
  }
  let extensionDir: string | undefined;
  if (options.extensionPath) {
    extensionDir = isAbsolute(options.extensionPath) ? options.extensionPath : resolve(options.extensionPath);
    args.push(`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`);
  }
  args.push(...(options.args ?? []));

  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: options.headless ?? true,
      ignoreDefaultArgs: ['--disable-extensions'],
      env: { ...process.env, HOME: home },
      args,
      viewport: { width: 1280, height: 800 },
    });
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (ownsStandIn) {
      await standIn?.close();
    }
    throw error;
  }

  async function extensionServiceWorker(): Promise<Worker> {
    if (!extensionDir) {
      throw new Error('No extension was loaded (launchBrowser without extensionPath).');
    }
    const isExtension = (worker: Worker) => worker.url().startsWith('chrome-extension://');
    const existing = context.serviceWorkers().find(isExtension);
    if (existing) {
      return existing;
    }
    return await context.waitForEvent('serviceworker', { predicate: isExtension, timeout: 30_000 });
  }

  async function extensionId(): Promise<string> {
    return new URL((await extensionServiceWorker()).url()).host;
  }

  async function waitForPlayground(page: Page, timeout = bootTimeout): Promise<PlaygroundTab> {
    const started = Date.now();
    const wp = page.frameLocator('iframe.playground-viewport').frameLocator('#wp');
    await wp.locator('#wpadminbar').first().waitFor({ state: 'attached', timeout });
    const info = await page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      // A current build has the Sites API (it appears shortly after the client); an older one
      // (the stand-in's ?build=older) only window.playground.
      const deadline = Date.now() + 2_000;
      while (!w.playgroundSites && !(w.playground && Date.now() > deadline)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (w.playgroundSites) await w.playgroundSites.isReady();
      else await w.playground!.isReady();
      const client = w.playgroundSites?.getClient() ?? w.playground;
      if (!client) {
        throw new Error('No Playground client on the page.');
      }
      return { scope: String(await client.scope), absoluteUrl: String(await client.absoluteUrl) };
    });
    return { page, ...info, bootMs: Date.now() - started };
  }

  async function openPlaygroundTab(url = PLAYGROUND_URL): Promise<PlaygroundTab> {
    const page = await context.newPage();
    answerLeaving(page, 'leave');
    const started = Date.now();
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const tab = await waitForPlayground(page);
    return { ...tab, bootMs: Date.now() - started };
  }

  async function openExtensionPage(path: string): Promise<Page> {
    const id = await extensionId();
    const page = await context.newPage();
    await page.goto(`chrome-extension://${id}/${path.replace(/^\/+/, '')}`);
    return page;
  }

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      try {
        await context.close();
      } finally {
        rmSync(scratch, { recursive: true, force: true });
        if (ownsStandIn) {
          await standIn?.close();
        }
      }
    })();
    return closing;
  }

  return {
    context,
    standIn,
    openPlaygroundTab,
    waitForPlayground,
    extensionServiceWorker,
    extensionId,
    openExtensionPage,
    close,
  };
}

/** What most journeys start from: two Playground tabs and the popup beside them, as wide as Chrome shows it. */
export interface TwoTabsAndPopup {
  readonly tabA: PlaygroundTab;
  readonly tabB: PlaygroundTab;
  readonly popup: Page;
}

export async function openTwoTabsAndPopup(browser: LaunchedBrowser): Promise<TwoTabsAndPopup> {
  const tabA = await browser.openPlaygroundTab();
  const tabB = await browser.openPlaygroundTab();
  const popup = await browser.openExtensionPage('popup/index.html');
  await popup.setViewportSize({ width: 420, height: 900 });
  return { tabA, tabB, popup };
}
