import { isPathToSharedFS, proxyFileSystem, type PHP, type PHPRequestHandler } from '@php-wasm/universal';
import { bootWordPressAndRequestHandler } from '@wp-playground/wordpress';
import { dropInternalOnRotation } from '../../testbed/src/older-runtime-rotation';
import type { SiteClient } from '../../src/platform/site-client';
import { readArchive, sqliteDriverArtifact, wordPressArtifact } from './artifacts';
import type { BootNodeSiteOptions } from './boot-node-site';
import { closableClient } from './closable-client';
import { createComlinkLikeClient } from './comlink-like-client';
import { NodePlaygroundEndpoint } from './node-endpoint';
import { phpSource } from './php-scripts';
import { createRuntimeFactory } from './php-runtime';
import { captureSnapshot, restoreSnapshot, type WordPressSnapshot } from './snapshot';
import { dateCodeByContent, shareOpcache, warmOpcache } from './warm-opcache';

/**
 * One page load of a site: the worker's PHP instances, its endpoint and the client the page hands
 * out. A site's first boot makes one; a saved site's reload (see `NodeSite.reload`) closes it and
 * makes another from the document root it left behind.
 */

export const DOCUMENT_ROOT = '/wordpress';
const PLATFORM_MU_PLUGINS = '/internal/shared/mu-plugins';

/** Where the page's `/wordpress` comes from. */
export type WordPressSource =
  | { readonly kind: 'zip' }
  /** A snapshot of another site (stored URLs are rewritten at restore). */
  | { readonly kind: 'snapshot'; readonly snapshot: WordPressSnapshot }
  /** This site's own tree as a reload left it: written back byte for byte. */
  | { readonly kind: 'saved'; readonly tree: WordPressSnapshot };

export type InstanceChoice = 'primary' | 'secondaries' | 'all';

export interface SitePage {
  /** Works until the page closes (`close`); every call after that rejects. */
  readonly client: SiteClient;
  readonly endpoint: NodePlaygroundEndpoint;
  /** The php-wasm process id of the page's primary PHP runtime. */
  readonly processId: number;
  /** Call once the site is ready: with `rotation: 'older'`, what `/internal/shared` holds now is what rotations go back to. */
  watchRotations(): void;
  rotate(which: InstanceChoice): Promise<number>;
  /**
   * Closes the page as a reload does: the client stops working, calls made on it before end, and
   * `/wordpress` is read as the primary PHP holds it between requests. The runtimes are not
   * disposed yet (`dispose`).
   */
  close(): Promise<WordPressSnapshot>;
  dispose(): Promise<void>;
}

export type PageOptions = Pick<
  BootNodeSiteOptions,
  'wp' | 'driver' | 'autoLogin' | 'maxRequests' | 'phpInstances' | 'servePrimaryFirst' | 'messagesFrom' | 'rotation'
>;

export async function bootSitePage(options: PageOptions, siteUrl: string, source: WordPressSource, onRotated: () => void): Promise<SitePage> {
  const { wp, driver } = options;
  const runtime = createRuntimeFactory();
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
    sqliteIntegrationPluginZip: readArchive(sqliteDriverArtifact(driver).zipPath),
    ...wordPressFiles(source, siteUrl, wp),
  });

  late.handler = handler;
  if (options.servePrimaryFirst) servePrimaryFirst(handler);
  const primary = await handler.getPrimaryPhp();
  const siteKind = `${wp}/${driver}`;
  warmOpcache(primary, siteKind);
  keepSecondariesOnPrimaryFiles(primary, secondaries, sharedPaths);
  dateByContentOnRotation(primary);
  const endpoint = await NodePlaygroundEndpoint.attach(handler);
  late.endpoint = endpoint;
  for (const php of instancesThatRelay) endpoint.relayMessagesFrom(php);
  const { client, close: closeClient } = closableClient(createComlinkLikeClient(endpoint), 'This page was reloaded: its client is gone.');
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await closeClient();
    try {
      shareOpcache(endpoint.primaryPhp(), siteKind);
    } catch {
      // Only a speed-up: a page whose PHP broke (a failed boot being disposed) shares nothing.
    }
    await endpoint[Symbol.asyncDispose]();
    runtime.releaseProcessIds();
  };
  const processId = runtime.firstProcessId();
  if (processId === undefined) {
    await dispose();
    throw new Error('No PHP runtime was created.');
  }

  /** Runs `work` once each chosen instance is between two of its requests, holding them there. */
  const betweenRequests = async <T>(which: InstanceChoice, work: (php: PHP) => Promise<T>): Promise<T[]> => {
    const chosen = everyInstance.filter(({ isPrimary }) => which === 'all' || isPrimary === (which === 'primary'));
    const results: T[] = [];
    for (const { php } of chosen) {
      const release = await php.semaphore.acquire();
      try {
        results.push(await work(php));
      } finally {
        release();
      }
    }
    return results;
  };

  return {
    client,
    endpoint,
    processId,
    watchRotations() {
      if (options.rotation !== 'older') return;
      patchRotation = dropInternalOnRotation(endpoint.primaryPhp(), onRotated);
      for (const { php } of everyInstance) patchRotation(php);
    },
    async rotate(which) {
      // What php-wasm does at the start of a request once `maxRequests` were served: never in
      // the middle of one. The patched rotations above are own properties, called here too.
      const rotated = await betweenRequests(which, (php) => (php as unknown as { rotateRuntime(): Promise<void> }).rotateRuntime());
      return rotated.length;
    },
    async close() {
      await closeClient();
      // Hold every instance between requests at once: a secondary writes the primary's files too.
      const releases = await Promise.all(everyInstance.map(({ php }) => php.semaphore.acquire()));
      try {
        return captureSnapshot(endpoint.primaryPhp(), DOCUMENT_ROOT, { wp, driver, siteUrl });
      } finally {
        for (const release of releases) release();
      }
    },
    dispose,
  };
}

function wordPressFiles(source: WordPressSource, siteUrl: string, wp: PageOptions['wp']) {
  switch (source.kind) {
    case 'zip':
      return { wordPressZip: readArchive(wordPressArtifact(wp).zipPath) };
    case 'snapshot':
    case 'saved': {
      const tree = source.kind === 'snapshot' ? source.snapshot : source.tree;
      return {
        wordpressInstallMode: 'do-not-attempt-installing' as const,
        hooks: { beforeWordPressFiles: (php: PHP) => restoreSnapshot(php, DOCUMENT_ROOT, tree, siteUrl) },
      };
    }
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

/**
 * php-wasm's rotation copies every file into the new runtime, each dated now: for 2 seconds OPcache
 * would cache none of them (see file-times.ts). This dates them by their content instead.
 */
function dateByContentOnRotation(primary: PHP): void {
  const rotating = primary as unknown as { rotateRuntime(): Promise<void> };
  const rotate = rotating.rotateRuntime.bind(primary);
  rotating.rotateRuntime = async () => {
    await rotate();
    dateCodeByContent(primary);
  };
}

/** The pool's idle instances, the primary moved last: `getOrSpawnInstance` pops the last one. */
function servePrimaryFirst(handler: PHPRequestHandler): void {
  const manager = (handler as unknown as { instanceManager: { instances?: PHP[]; idleInstances?: PHP[]; getOrSpawnInstance?: () => Promise<PHP> } }).instanceManager;
  const original = manager.getOrSpawnInstance?.bind(manager);
  if (!original || !manager.idleInstances || !manager.instances) throw new Error('servePrimaryFirst: php-wasm’s instance pool changed shape');
  manager.getOrSpawnInstance = () => {
    const [primary] = manager.instances!;
    const idle = manager.idleInstances!;
    const at = primary === undefined ? -1 : idle.indexOf(primary);
    if (at >= 0 && at !== idle.length - 1) idle.push(...idle.splice(at, 1));
    return original();
  };
}
