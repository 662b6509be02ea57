import * as v from 'valibot';
import type { PhpResult, SiteClient } from '../../src/platform/site-client';
import { sqliteDriverArtifact, wordPressArtifact, type SqliteDriverId, type WordPressVersionId } from './artifacts';
import { runHarnessScript } from './php-scripts';
import { retargetSiteUrl } from './retarget-site-url';
import { bootSitePage, DOCUMENT_ROOT, type SitePage } from './site-page';
import { captureSnapshot } from './snapshot';
import { findSnapshot, rememberSnapshot, type SnapshotSource } from './snapshot-cache';

const SQLITE_PLUGIN_DIR = '/internal/shared/sqlite-database-integration';

export interface BootNodeSiteOptions {
  readonly wp: WordPressVersionId;
  readonly driver: SqliteDriverId;
  /** e.g. `https://playground.wordpress.net/scope:node-a/`; each site needs its own. */
  readonly siteUrl: string;
  /**
   * `auto` (default): from the in-memory snapshot, else the on-disk one, else install from the
   * zip (and snapshot that). `fresh`: always install from the zip (and refresh the snapshots).
   */
  readonly install?: 'auto' | 'fresh';
  /**
   * Log this user in on the first page visit, as playground.wordpress.net does by default
   * (`login: true`): the platform mu-plugin `1-auto-login.php` acts on the
   * `PLAYGROUND_AUTO_LOGIN_AS_USER` constant, which the `login` blueprint step defines. `false`
   * keeps visitors anonymous. Default `'admin'`.
   */
  readonly autoLogin?: string | false;
  /** Requests (run() included) before PHP's runtime is rotated. Default 100 000: not within a test. */
  readonly maxRequests?: number;
  /**
   * PHP instances serving the site, sharing one filesystem and one SQLite file as on the real
   * site (secondary instances reach the primary's files through PROXYFS, where file locks do
   * nothing). Default 2, the client's default: requests that overlap run on different instances.
   */
  readonly phpInstances?: number;
  /**
   * Benchmarks only: an idle primary serves the next request. php-wasm hands out the instance
   * that finished last, so which one serves is chance, and a secondary (files through PROXYFS)
   * serves about a fifth slower. Default false, as php-wasm does.
   */
  readonly servePrimaryFirst?: boolean;
  /**
   * Which instances relay `post_message_to_js` to `onMessage` listeners: `all` (current
   * Playground) or `primary` (older builds: a secondary instance's message gets '' back).
   */
  readonly messagesFrom?: 'all' | 'primary';
  /**
   * `older`: a rotation loses what was written under `/internal/shared` since boot, as in older
   * Playground builds (and the stand-in's `?build=older`; see `older-runtime-rotation.ts`).
   * Default `current`: everything survives a rotation.
   */
  readonly rotation?: 'current' | 'older';
}

export interface SiteFacts {
  readonly wordpressVersion: string;
  readonly wpdbClass: string;
  /** `get_class($wpdb->get_driver())` (AST) or `get_class($wpdb->dbh)` (legacy). */
  readonly driverClass: string;
  /** The `Version:` header of the SQLite plugin that was loaded. */
  readonly sqlitePluginVersion: string;
  /** Found at runtime: DB_PATH (plugin 3.1+), else FQDB. */
  readonly databasePath: string;
  readonly journalMode: string;
}

export interface VisitResult {
  /** The last response (after redirects). */
  readonly response: PhpResult;
  /** The URL that answered last. */
  readonly url: string;
  /** Every URL redirected to, in order. */
  readonly redirects: readonly string[];
}

export interface NodeSite extends AsyncDisposable {
  /**
   * The page-client shape the extension uses; every member behaves as on the real site. A reload
   * replaces it: the client read before stops working, as a closed page's does.
   */
  readonly client: SiteClient;
  /** The site URL with a trailing slash. */
  readonly siteUrl: string;
  readonly wp: WordPressVersionId;
  readonly driver: SqliteDriverId;
  /** The php-wasm process id of the site's primary PHP runtime (a new one after a reload). */
  readonly processId: number;
  readonly bootedFrom: 'zip' | SnapshotSource;
  readonly bootMs: number;
  readonly facts: SiteFacts;
  /** An absolute URL on this site: `url('/wp-admin/')` → `https://…/scope:x/wp-admin/`. */
  url(path?: string): string;
  /**
   * Loads a page like the site's browser frame: `client.request()` with the site's cookie store,
   * following redirects inside the site. The first visit logs in (see `autoLogin`), so
   * `visit('/wp-admin/')` answers with the Dashboard.
   */
  visit(path: string, init?: { method?: 'GET' | 'POST'; body?: string | Record<string, string> }): Promise<VisitResult>;
  /** Puts the database back to what it was right after boot (writes the file back; < 1 ms). */
  resetDatabase(): Promise<void>;
  /** Runtime rotations so far (counted with `rotation: 'older'` only). */
  readonly rotations: number;
  /**
   * Rotates the PHP runtime of some of the site's instances now, as php-wasm does on its own after
   * `maxRequests` requests: each waits for the request it is running, if any, while the others go
   * on. `secondaries`: every instance but the primary that exists so far (requests that overlapped
   * made them). With `rotation: 'older'` each rotation drops `/internal/shared` as well. Answers how
   * many instances rotated.
   */
  rotate(which?: 'primary' | 'secondaries' | 'all'): Promise<number>;
  /**
   * Reloads the page of a saved site (OPFS): `/wordpress`, the database file in it included, is
   * kept byte for byte as the primary PHP holds it between requests (requests already running
   * end first; calls on the old client made from now on reject); everything else goes with the
   * old page: the PHP runtimes, `/internal` (the platform's files come back as at first boot, a
   * client's do not), the request cookies, and `client` itself, which is replaced. Nothing is
   * installed or rewritten: the site URL stays the same. Options are those of the first boot.
   */
  reload(): Promise<void>;
  /** Reloads so far. */
  readonly reloads: number;
  dispose(): Promise<void>;
}

const ExpectedFactsSchema = v.strictObject({
  wordpressVersion: v.string(),
  wpdbClass: v.string(),
  driverClass: v.string(),
  databasePath: v.string(),
  journalMode: v.string(),
});

function withTrailingSlash(url: string): string {
  const parsed = new URL(url);
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}

function pluginVersion(loadPhp: string): string {
  return /^\s*\*\s*Version:\s*(\S+)/m.exec(loadPhp)?.[1] ?? 'unknown';
}

export async function bootNodeSite(options: BootNodeSiteOptions): Promise<NodeSite> {
  const started = performance.now();
  const siteUrl = withTrailingSlash(options.siteUrl);
  const { wp, driver } = options;
  const wordpress = wordPressArtifact(wp);
  const sqlite = sqliteDriverArtifact(driver);
  const found = options.install === 'fresh' ? null : await findSnapshot(wp, driver);
  let rotations = 0;
  let reloads = 0;
  const countRotation = () => {
    rotations += 1;
  };
  let page: SitePage = await bootSitePage(options, siteUrl, found ? { kind: 'snapshot', snapshot: found.snapshot } : { kind: 'zip' }, countRotation);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await page.dispose();
  };

  try {
    const { client } = page;
    if (found) {
      await retargetSiteUrl(client, found.snapshot.siteUrl, siteUrl);
    } else {
      await rememberSnapshot(captureSnapshot(page.endpoint.primaryPhp(), DOCUMENT_ROOT, { wp, driver, siteUrl }));
    }
    const answer = await runHarnessScript(client, 'site-facts');
    const facts: SiteFacts = {
      ...v.parse(ExpectedFactsSchema, answer.result),
      sqlitePluginVersion: pluginVersion(await client.readFileAsText(`${SQLITE_PLUGIN_DIR}/load.php`)),
    };
    if (facts.wordpressVersion !== wordpress.expectedVersion || facts.sqlitePluginVersion !== sqlite.expectedPluginVersion) {
      throw new Error(
        `Unexpected artifacts: WordPress ${facts.wordpressVersion} (expected ${wordpress.expectedVersion}), ` +
          `SQLite plugin ${facts.sqlitePluginVersion} (expected ${sqlite.expectedPluginVersion})`,
      );
    }
    const databaseBaseline = await client.readFileAsBuffer(facts.databasePath);
    page.watchRotations();

    const url = (path = '/') => new URL(path.replace(/^\/+/, ''), siteUrl).toString();
    const insideSite = (target: string) => target.startsWith(siteUrl) || `${target}/` === siteUrl;

    const site: NodeSite = {
      get client() {
        return page.client;
      },
      siteUrl,
      wp,
      driver,
      get processId() {
        return page.processId;
      },
      bootedFrom: found?.source ?? 'zip',
      bootMs: performance.now() - started,
      facts,
      url,
      async visit(path, init = {}) {
        let current = /^https?:/.test(path) ? path : url(path);
        let request: Parameters<SiteClient['request']>[0] = { url: current, method: init.method ?? 'GET', body: init.body };
        const redirects: string[] = [];
        for (;;) {
          const response = await page.client.request(request);
          const location = response.headers['location']?.[0];
          if (response.httpStatusCode < 300 || response.httpStatusCode > 399 || !location) {
            return { response, url: current, redirects };
          }
          const next = new URL(location, current).toString();
          if (!insideSite(next)) return { response, url: current, redirects };
          if (redirects.length >= 10) throw new Error(`Too many redirects: ${redirects.join(' → ')}`);
          redirects.push(next);
          current = next;
          const keepMethod = response.httpStatusCode === 307 || response.httpStatusCode === 308;
          request = keepMethod ? { ...request, url: next } : { url: next, method: 'GET' };
        }
      },
      async resetDatabase() {
        const { client: current } = page;
        for (const suffix of ['-journal', '-wal', '-shm']) {
          if (await current.fileExists(facts.databasePath + suffix)) await current.unlink(facts.databasePath + suffix);
        }
        await current.writeFile(facts.databasePath, databaseBaseline);
      },
      get rotations() {
        return rotations;
      },
      rotate(which = 'all') {
        return page.rotate(which);
      },
      async reload() {
        if (disposed) throw new Error(`${siteUrl} was disposed: nothing to reload.`);
        const closing = page;
        const tree = await closing.close();
        await closing.dispose();
        page = await bootSitePage(options, siteUrl, { kind: 'saved', tree }, countRotation);
        page.watchRotations();
        reloads += 1;
      },
      get reloads() {
        return reloads;
      },
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
    return site;
  } catch (error) {
    await dispose();
    throw error;
  }
}
