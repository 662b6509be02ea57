import { isPathToSharedFS, proxyFileSystem, type PHP, type PHPRequestHandler } from '@php-wasm/universal';
import { bootWordPressAndRequestHandler } from '@wp-playground/wordpress';
import * as v from 'valibot';
import { dropInternalOnRotation } from '../../testbed/src/older-runtime-rotation';
import type { PhpResult, SiteClient } from '../../src/platform/site-client';
import {
  readArchive,
  sqliteDriverArtifact,
  wordPressArtifact,
  type SqliteDriverId,
  type WordPressVersionId,
} from './artifacts';
import { createComlinkLikeClient } from './comlink-like-client';
import { NodePlaygroundEndpoint } from './node-endpoint';
import { phpSource, runHarnessScript } from './php-scripts';
import { createRuntimeFactory } from './php-runtime';
import { retargetSiteUrl } from './retarget-site-url';
import { captureSnapshot, restoreSnapshot, type WordPressSnapshot } from './snapshot';
import { findSnapshot, rememberSnapshot, type SnapshotSource } from './snapshot-cache';

const DOCUMENT_ROOT = '/wordpress';
const PLATFORM_MU_PLUGINS = '/internal/shared/mu-plugins';
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
  /** The page-client shape the extension uses; every member behaves as on the real site. */
  readonly client: SiteClient;
  /** The site URL with a trailing slash. */
  readonly siteUrl: string;
  readonly wp: WordPressVersionId;
  readonly driver: SqliteDriverId;
  /** The php-wasm process id of the site's primary PHP runtime. */
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
  const runtime = createRuntimeFactory();
  const found = options.install === 'fresh' ? null : await findSnapshot(wp, driver);
  const snapshot: WordPressSnapshot | undefined = found?.snapshot;
  const autoLogin = options.autoLogin ?? 'admin';
  const maxRequests = options.maxRequests ?? 100_000;
  // Instances created before the endpoint exists are registered once it does.
  const instancesThatRelay: PHP[] = [];
  const late: { endpoint?: NodePlaygroundEndpoint; handler?: PHPRequestHandler } = {};
  // As Playground's worker does: a secondary instance works on the primary's files.
  const sharedPaths = ['/tmp', DOCUMENT_ROOT, '/internal/shared', '/internal/symlinks'];
  const secondaries: PHP[] = [];
  const shareFilesWithPrimary = async (php: PHP) => {
    const primary = await late.handler!.getPrimaryPhp();
    await proxyFileSystem(primary, php, sharedPaths.filter((path) => !isPathToSharedFS(php, path)));
    secondaries.push(php);
  };
  /** Every instance, relaying or not, in order of creation (the primary first). */
  const everyInstance: { readonly php: PHP; readonly isPrimary: boolean }[] = [];
  let patchRotation: ((php: PHP) => void) | undefined;
  let rotations = 0;

  const handler = await bootWordPressAndRequestHandler({
    siteUrl,
    documentRoot: DOCUMENT_ROOT,
    phpVersion: '8.3',
    maxPhpInstances: options.phpInstances ?? 2,
    sapiName: 'cli',
    createPhpRuntime: runtime.createPhpRuntime,
    onPHPInstanceCreated: async (php, { isPrimary }) => {
      php.enableRuntimeRotation({ recreateRuntime: runtime.createPhpRuntime, maxRequests });
      if (!isPrimary) await shareFilesWithPrimary(php);
      everyInstance.push({ php, isPrimary });
      patchRotation?.(php);
      if (!isPrimary && options.messagesFrom === 'primary') return;
      if (late.endpoint) late.endpoint.relayMessagesFrom(php);
      else instancesThatRelay.push(php);
    },
    constants: autoLogin === false ? {} : { PLAYGROUND_AUTO_LOGIN_AS_USER: autoLogin },
    createFiles: {
      [PLATFORM_MU_PLUGINS]: { '0-pg-harness-no-network.php': phpSource('no-network') },
    },
    sqliteIntegrationPluginZip: readArchive(sqlite.zipPath),
    ...(snapshot
      ? {
          wordpressInstallMode: 'do-not-attempt-installing' as const,
          hooks: { beforeWordPressFiles: (php) => restoreSnapshot(php, DOCUMENT_ROOT, snapshot, siteUrl) },
        }
      : { wordPressZip: readArchive(wordpress.zipPath) }),
  });

  late.handler = handler;
  keepSecondariesOnPrimaryFiles(await handler.getPrimaryPhp(), secondaries, sharedPaths);
  const endpoint = await NodePlaygroundEndpoint.attach(handler);
  late.endpoint = endpoint;
  for (const php of instancesThatRelay) endpoint.relayMessagesFrom(php);
  const client = createComlinkLikeClient(endpoint);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await endpoint[Symbol.asyncDispose]();
    runtime.releaseProcessIds();
  };

  try {
    if (snapshot) {
      await retargetSiteUrl(client, snapshot.siteUrl, siteUrl);
    } else {
      await rememberSnapshot(captureSnapshot(endpoint.primaryPhp(), DOCUMENT_ROOT, { wp, driver, siteUrl }));
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
    if (options.rotation === 'older') {
      patchRotation = dropInternalOnRotation(endpoint.primaryPhp(), () => {
        rotations += 1;
      });
      for (const { php } of everyInstance) patchRotation(php);
    }
    const processId = runtime.firstProcessId();
    if (processId === undefined) throw new Error('No PHP runtime was created.');

    const url = (path = '/') => new URL(path.replace(/^\/+/, ''), siteUrl).toString();
    const insideSite = (target: string) => target.startsWith(siteUrl) || `${target}/` === siteUrl;

    const site: NodeSite = {
      client,
      siteUrl,
      wp,
      driver,
      processId,
      bootedFrom: found?.source ?? 'zip',
      bootMs: performance.now() - started,
      facts,
      url,
      async visit(path, init = {}) {
        let current = /^https?:/.test(path) ? path : url(path);
        let request: Parameters<SiteClient['request']>[0] = { url: current, method: init.method ?? 'GET', body: init.body };
        const redirects: string[] = [];
        for (;;) {
          const response = await client.request(request);
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
        for (const suffix of ['-journal', '-wal', '-shm']) {
          if (await client.fileExists(facts.databasePath + suffix)) await client.unlink(facts.databasePath + suffix);
        }
        await client.writeFile(facts.databasePath, databaseBaseline);
      },
      get rotations() {
        return rotations;
      },
      async rotate(which = 'all') {
        const chosen = everyInstance.filter(({ isPrimary }) => which === 'all' || isPrimary === (which === 'primary'));
        for (const { php } of chosen) {
          // What php-wasm does at the start of a request once `maxRequests` were served: never
          // in the middle of one. The patched rotations above are own properties, called here too.
          const release = await php.semaphore.acquire();
          try {
            await (php as unknown as { rotateRuntime(): Promise<void> }).rotateRuntime();
          } finally {
            release();
          }
        }
        return chosen.length;
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

/**
 * php-wasm's PROXYFS mounts hold the primary's Emscripten FS object: once the primary rotates its
 * runtime (a new FS holding a copy of the files), secondaries would go on reading and writing the
 * discarded one, and the site's instances would no longer share files or the database. The site
 * keeps one filesystem across rotations, so this points every secondary at the new one.
 */
function keepSecondariesOnPrimaryFiles(primary: PHP, secondaries: readonly PHP[], paths: readonly string[]): void {
  type Emscripten = { FS: { mount(type: unknown, options: unknown, path: string): void; unmount(path: string): void }; PROXYFS: unknown };
  const runtimeOf = (php: PHP) => (php as unknown as Record<symbol, Emscripten>)[Object.getOwnPropertySymbols(php)[0]!]!;
  // Private in php-wasm's types; the request path calls `this.rotateRuntime()`, so an own property replaces the prototype's.
  const rotating = primary as unknown as { rotateRuntime(): Promise<void> };
  const rotate = rotating.rotateRuntime.bind(primary);
  rotating.rotateRuntime = async () => {
    await rotate();
    const primaryFs = runtimeOf(primary).FS;
    for (const secondary of secondaries) {
      const runtime = runtimeOf(secondary);
      for (const path of paths) {
        try {
          runtime.FS.unmount(path);
        } catch {
          continue; // Not a proxied path on this instance.
        }
        runtime.FS.mount(runtime.PROXYFS, { root: path, fs: primaryFs }, path);
      }
    }
  };
}
