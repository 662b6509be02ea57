/// <reference lib="webworker" />
/**
 * The PHP worker of the offline stand-in: a dedicated Web Worker that boots PHP + WordPress and
 * exposes a PHPWorker endpoint to remote.html over Comlink, like the real site's
 * `playground-worker-endpoint-blueprints` worker. Built only from published packages.
 */
import type { FilesystemOperation } from '@php-wasm/fs-journal';
import { journalFSEvents, replayFSJournal } from '@php-wasm/fs-journal';
import { setURLScope } from '@php-wasm/scopes';
import type { PHP, PHPRequestHandler } from '@php-wasm/universal';
import {
  PHPResponse,
  PHPWorker,
  isPathToSharedFS,
  proxyFileSystem,
  sandboxedSpawnHandlerFactory,
} from '@php-wasm/universal';
import { createDirectoryHandleMountHandler, exposeAPI, loadWebRuntime, type DirectoryHandleMount } from '@php-wasm/web';
import { directoryHandleFromMountDevice, type MountDevice } from '@wp-playground/storage';
import type { WordPressInstallMode } from '@wp-playground/wordpress';
import {
  bootRequestHandler,
  bootWordPress,
  getFileNotFoundActionForWordPress,
  getLoadedWordPressVersion,
} from '@wp-playground/wordpress';
import { normalizePhpVersion, sqliteZipUrl, staticAssetsDirectoryFor, wordPressZipUrl, type SqliteDriver, type SupportedPhpVersion } from './config';
import { dropInternalOnRotation } from './older-runtime-rotation';
import offlineNetworkMuPlugin from './mu-plugins/0-offline-network.php?raw';
import playgroundWebMuPlugin from './mu-plugins/1-playground-web.php?raw';

// spawnPHPWorkerThread() resolves once the worker says it started.
self.postMessage('worker-script-started');

/** The origin WordPress is served from; the site URL is this plus `/scope:<slug>`. */
const wordPressSiteUrl = self.location.origin;

/** What the website (startPlaygroundWeb) passes to `boot()`. Unknown fields are ignored. */
export interface WorkerBootOptions {
  scope: string;
  wpVersion?: string;
  phpVersion?: string;
  sapiName?: string;
  wordpressInstallMode?: WordPressInstallMode;
  withNetworking?: boolean;
  /** A saved site's directory (OPFS), mounted at `/wordpress` before WordPress boots, as on the real site. */
  mounts?: MountDescriptor[];
  /** The stand-in's own option (see `OLDER_BUILD_QUERY`). */
  sqliteDriver?: SqliteDriver;
  /**
   * The stand-in's own option (see `OLDER_BUILD_QUERY`): behave like older builds, whose
   * `onMessage` listeners hear only the primary PHP instance and whose runtime rotation loses
   * what was written under `/internal` (see `older-runtime-rotation.ts`).
   */
  olderBuild?: boolean;
}

export interface MountDescriptor {
  mountpoint: string;
  device: MountDevice;
  initialSyncDirection: 'opfs-to-memfs' | 'memfs-to-opfs';
}

function randomSecret(length = 40): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#%^&*()-_=+[]{}<>~';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

async function fetchAsFile(url: string, name: string): Promise<File> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
  }
  return new File([await response.arrayBuffer()], name);
}

class StandInWorkerEndpoint extends PHPWorker {
  booted = false;
  scope: string | undefined;
  requestedWordPressVersion: string | undefined;
  loadedWordPressVersion: string | undefined;
  private handler: PHPRequestHandler | undefined;
  private knownRemoteAssetPaths = new Set<string>();
  private opfsMounts = new Map<string, DirectoryHandleMount>();
  private olderBuild = false;
  private primaryPhp: PHP | undefined;
  /** Every PHP instance of the site, for the older build's rotation (set up once the site booted). */
  private readonly instances: PHP[] = [];
  private patchRotation: ((php: PHP) => void) | undefined;

  async boot({
    scope,
    wpVersion = 'nightly',
    phpVersion,
    sapiName = 'cli',
    wordpressInstallMode = 'download-and-install',
    sqliteDriver = 'ast',
    mounts = [],
    olderBuild = false,
  }: WorkerBootOptions): Promise<void> {
    if (this.booted) {
      throw new Error('Playground already booted');
    }
    this.booted = true;
    this.scope = scope;
    this.requestedWordPressVersion = wpVersion;
    this.olderBuild = olderBuild;
    try {
      const siteUrl = setURLScope(wordPressSiteUrl, scope).toString();
      // Start both downloads before PHP boots; bootWordPress awaits them when it needs them.
      const wordPressZip = fetchAsFile(wordPressZipUrl(wpVersion), 'wp.zip');
      const sqliteZip = fetchAsFile(sqliteZipUrl(sqliteDriver), 'sqlite.zip');
      const requestHandler = await this.createRequestHandler(siteUrl, sapiName, normalizePhpVersion(phpVersion));
      for (const mount of mounts) {
        await this.mountOpfs(mount);
      }
      await bootWordPress(requestHandler, {
        siteUrl,
        wordpressInstallMode,
        wordPressZip,
        sqliteIntegrationPluginZip: sqliteZip,
        constants: {
          WP_DEBUG: true,
          WP_DEBUG_LOG: true,
          WP_DEBUG_DISPLAY: false,
          AUTH_KEY: randomSecret(),
          SECURE_AUTH_KEY: randomSecret(),
          LOGGED_IN_KEY: randomSecret(),
          NONCE_KEY: randomSecret(),
          AUTH_SALT: randomSecret(),
          SECURE_AUTH_SALT: randomSecret(),
          LOGGED_IN_SALT: randomSecret(),
          NONCE_SALT: randomSecret(),
        },
      });
      await this.finalizeAfterBoot(requestHandler);
      setApiReady();
    } catch (error) {
      setApiError(error as Error);
      throw error;
    }
  }

  private async createRequestHandler(siteUrl: string, sapiName: string, phpVersion: SupportedPhpVersion): Promise<PHPRequestHandler> {
    const sitePathname = new URL(siteUrl).pathname;
    const knownRemoteAssetPaths = this.knownRemoteAssetPaths;
    const requestHandler: PHPRequestHandler = await bootRequestHandler({
      siteUrl,
      phpVersion,
      sapiName,
      createPhpRuntime: async () => await loadWebRuntime(phpVersion),
      // Networking is off, as on the real site without `?networking=yes`.
      phpIniEntries: {
        allow_url_fopen: '0',
        disable_functions: 'curl_exec,curl_multi_exec',
      },
      spawnHandler: sandboxedSpawnHandlerFactory,
      // No maxPhpInstances: the client's default (2 in 3.1.x) serves concurrent requests, as on the real site.
      onPHPInstanceCreated: async (php: PHP, { isPrimary }) => {
        // Every instance rotates after 400 requests (bootRequestHandler set that up).
        this.instances.push(php);
        this.patchRotation?.(php);
        if (isPrimary) {
          this.primaryPhp = php;
        } else {
          // Secondary instances see the primary's files, as on the real site.
          const shared = ['/tmp', requestHandler.documentRoot, '/internal/shared', '/internal/symlinks'];
          await proxyFileSystem(
            await requestHandler.getPrimaryPhp(),
            php,
            shared.filter((path) => !isPathToSharedFS(php, path)),
          );
        }
        // PHP's post_message_to_js reaches onMessage listeners from page requests too, not only
        // from run(): PHPWorker attaches its relay only to instances it acquires itself.
        // (Older builds relayed only the primary's: see registerWorkerListeners.)
        this.registerWorkerListeners(php);
      },
      createFiles: {
        '/internal/shared/mu-plugins': {
          '0-offline-network.php': offlineNetworkMuPlugin,
          '1-playground-web.php': playgroundWebMuPlugin,
        },
      },
      getFileNotFoundAction(relativeUri: string) {
        const siteRelativePath = relativeUri.startsWith(sitePathname)
          ? relativeUri.substring(sitePathname.length)
          : relativeUri;
        if (!knownRemoteAssetPaths.has(siteRelativePath)) {
          return getFileNotFoundActionForWordPress(siteRelativePath);
        }
        // A static asset the minified build lacks: the service worker fetches it from the
        // static assets directory of the server.
        return {
          type: 'response',
          response: new PHPResponse(
            404,
            { 'x-backfill-from': ['remote-host'], 'x-file-type': ['static'] },
            new TextEncoder().encode('404 File not found'),
          ),
        };
      },
    });
    const primaryPhp = await requestHandler.getPrimaryPhp();
    primaryPhp.requestHandler ??= requestHandler;
    await this.setPrimaryPHP(primaryPhp);
    this.__internal_setRequestHandler(requestHandler);
    this.handler = requestHandler;
    return requestHandler;
  }

  /** Older builds relayed `post_message_to_js` and events of the primary instance only: a secondary's got `''`. */
  protected override registerWorkerListeners(php: PHP): void {
    if (this.olderBuild && php !== this.primaryPhp) return;
    super.registerWorkerListeners(php);
  }

  private async finalizeAfterBoot(requestHandler: PHPRequestHandler): Promise<void> {
    const primaryPhp = await requestHandler.getPrimaryPhp();
    if (this.olderBuild) {
      this.patchRotation = dropInternalOnRotation(primaryPhp);
      for (const php of this.instances) this.patchRotation(php);
    }
    this.loadedWordPressVersion = await getLoadedWordPressVersion(requestHandler);
    const listPath = `${requestHandler.documentRoot}/wordpress-remote-asset-paths`;
    if (primaryPhp.isFile(listPath)) {
      for (const line of primaryPhp.readFileAsText(listPath).split('\n')) {
        if (line.trim() !== '') {
          this.knownRemoteAssetPaths.add('/' + line.replace(/^\/+/, ''));
        }
      }
    }
    this.__internal_setRequestHandler(requestHandler);
  }

  protected override getRequestHandler(required?: true): PHPRequestHandler;
  protected override getRequestHandler(required: false): PHPRequestHandler | undefined;
  protected override getRequestHandler(required = true): PHPRequestHandler | undefined {
    const handler = super.getRequestHandler(false) ?? this.handler;
    if (handler || !required) {
      return handler;
    }
    throw new Error('Playground worker is not connected to a request handler.');
  }

  /** Read by the service worker to find where a site's missing static assets live. */
  async getWordPressModuleDetails(): Promise<{ majorVersion?: string; staticAssetsDirectory?: string }> {
    return {
      majorVersion: this.loadedWordPressVersion ?? this.requestedWordPressVersion,
      staticAssetsDirectory: this.loadedWordPressVersion
        ? staticAssetsDirectoryFor(this.loadedWordPressVersion)
        : undefined,
    };
  }

  /** A temporary site keeps everything in MEMFS; a saved one mirrors `/wordpress` to OPFS. */
  async hasOpfsMount(mountpoint: string): Promise<boolean> {
    return this.opfsMounts.has(mountpoint);
  }

  /**
   * Mounts an OPFS directory like the real worker: its files are copied into MEMFS (or MEMFS into
   * it, when a temporary site is saved), then every change is mirrored to it as requests end.
   */
  async mountOpfs(options: MountDescriptor): Promise<void> {
    if (this.opfsMounts.has(options.mountpoint)) {
      throw new Error(`OPFS mount already exists at "${options.mountpoint}".`);
    }
    const handle = await directoryHandleFromMountDevice(options.device);
    let mounted: DirectoryHandleMount | undefined;
    await this.requirePHP().mount(
      options.mountpoint,
      createDirectoryHandleMountHandler(handle, {
        initialSync: { direction: options.initialSyncDirection },
        onMount(mount) {
          mounted = mount;
        },
      }),
    );
    if (!mounted) {
      throw new Error(`Could not create an OPFS mount at "${options.mountpoint}".`);
    }
    this.opfsMounts.set(options.mountpoint, mounted);
  }

  async flushOpfs(mountpoint: string): Promise<void> {
    const mount = this.opfsMounts.get(mountpoint);
    if (!mount) {
      throw new Error(`No OPFS mount found at "${mountpoint}".`);
    }
    await mount.flush();
  }

  async journalFSEvents(root: string, callback: (op: FilesystemOperation) => void): Promise<() => void> {
    return journalFSEvents(this.requirePHP(), root, callback);
  }

  async replayFSJournal(events: FilesystemOperation[]): Promise<void> {
    replayFSJournal(this.requirePHP(), events);
  }

  private requirePHP(): PHP {
    const php = this.__internal_getPHP();
    if (!php) {
      throw new Error('PHP has not booted yet.');
    }
    return php;
  }
}

const [setApiReady, setApiError] = exposeAPI(new StandInWorkerEndpoint());
