/**
 * remote.html of the offline stand-in: registers the service worker, spawns the PHP worker and
 * re-exposes its API to the parent window over Comlink, with the members that take callbacks and
 * the web-client mixin (goTo, getCurrentURL, onNavigation, progress bar) defined here, as the
 * real site's remote does.
 */
import type { FilesystemOperation } from '@php-wasm/fs-journal';
import type { MessageListener, PHPRequest, PHPResponse } from '@php-wasm/universal';
import { consumeAPI, exposeAPI, setupPostMessageRelay, spawnPHPWorkerThread } from '@php-wasm/web';
import { responseTo } from '@php-wasm/web-service-worker';
import { OLDER_BUILD_QUERY } from './config';
import workerPath from './worker.ts?worker&url';

/** The worker endpoint's members this frame calls itself. Everything else is piped through. */
interface WorkerApi {
  boot(options: { scope: string } & Record<string, unknown>): Promise<void>;
  isReady(): Promise<void>;
  isConnected(): Promise<void>;
  absoluteUrl: Promise<string>;
  request(request: PHPRequest): Promise<PHPResponse>;
  pathToInternalUrl(path: string): Promise<string>;
  internalUrlToPath(url: string): Promise<string>;
  onMessage(listener: MessageListener): Promise<() => Promise<void>>;
  onDownloadProgress(listener: (event: CustomEvent) => void): Promise<void>;
  journalFSEvents(root: string, callback: (op: FilesystemOperation) => void): Promise<() => void>;
  replayFSJournal(events: FilesystemOperation[]): Promise<void>;
  addEventListener(type: string, listener: (event: unknown) => void): Promise<void>;
  removeEventListener(type: string, listener: (event: unknown) => void): Promise<void>;
  [method: string]: unknown;
}

interface ProgressOptions {
  caption?: string;
  progress?: number;
  isIndefinite?: boolean;
  visible?: boolean;
}

interface ServiceWorkerCall {
  method?: string;
  args?: unknown[];
  scope?: string;
  requestId?: number;
}

const origin = self.location.origin;
const query = new URL(document.location.href).searchParams;

function createProgressBar(): { element: HTMLElement; set(options: ProgressOptions): void; destroy(): void } {
  const element = document.createElement('div');
  element.className = 'progress-bar';
  const fill = document.createElement('div');
  fill.className = 'progress-bar__fill';
  const caption = document.createElement('div');
  caption.className = 'progress-bar__caption';
  element.append(fill, caption);
  return {
    element,
    set(options) {
      if (typeof options.progress === 'number') {
        fill.style.width = `${Math.max(0, Math.min(100, options.progress))}%`;
      }
      if (typeof options.caption === 'string') {
        caption.textContent = options.caption;
      }
      element.hidden = options.visible === false;
    },
    destroy() {
      element.remove();
    },
  };
}

async function bootRemote(): Promise<void> {
  if (!navigator.serviceWorker) {
    throw new Error('Service workers are not available: Playground needs HTTPS.');
  }
  await navigator.serviceWorker.register('/sw.js', { type: 'module', updateViaCache: 'none' });

  const bar = query.has('progressbar') ? createProgressBar() : undefined;
  if (bar) {
    document.body.prepend(bar.element);
  }

  const worker = consumeAPI<WorkerApi>(await spawnPHPWorkerThread(new URL(workerPath, origin).toString()));
  const wpFrame = document.querySelector<HTMLIFrameElement>('#wp');
  if (!wpFrame) {
    throw new Error('remote.html has no #wp iframe');
  }

  const remoteApi = {
    // Members that take callbacks must be defined here: Comlink can't forward them through the
    // generic pass-through to the worker.
    async onDownloadProgress(listener: (event: CustomEvent) => void) {
      return worker.onDownloadProgress(listener);
    },
    async onMessage(listener: MessageListener) {
      return await worker.onMessage(listener);
    },
    async journalFSEvents(root: string, callback: (op: FilesystemOperation) => void) {
      return await worker.journalFSEvents(root, callback);
    },
    async replayFSJournal(events: FilesystemOperation[]) {
      return await worker.replayFSJournal(events);
    },
    async addEventListener(type: string, listener: (event: unknown) => void) {
      return await worker.addEventListener(type, listener);
    },
    async removeEventListener(type: string, listener: (event: unknown) => void) {
      return await worker.removeEventListener(type, listener);
    },

    async setProgress(options: ProgressOptions) {
      if (!bar) {
        throw new Error('Progress bar not available');
      }
      bar.set(options);
    },
    async setLoaded() {
      if (!bar) {
        throw new Error('Progress bar not available');
      }
      bar.destroy();
    },
    async setIframeSandboxFlags(flags: string[]) {
      wpFrame.setAttribute('sandbox', flags.join(' '));
    },

    /** Calls `fn(path)` when the WordPress frame navigates. No way to unsubscribe. */
    async onNavigation(fn: (path: string) => void) {
      let lastPath: string | undefined;
      const report = async (href: string) => {
        const path = await worker.internalUrlToPath(href);
        if (path !== lastPath) {
          lastPath = path;
          fn(path);
        }
      };
      window.addEventListener('message', (event) => {
        if (event.source !== wpFrame.contentWindow) {
          return;
        }
        try {
          const data = typeof event.data === 'string' ? JSON.parse(event.data) : event.data;
          if (data?.type === 'playground-url-change' && typeof data.url === 'string') {
            void report(data.url);
          }
        } catch {
          // Not a JSON message: not ours.
        }
      });
      wpFrame.addEventListener('load', () => {
        setTimeout(() => {
          try {
            void report(wpFrame.contentWindow?.location.href ?? wpFrame.src);
          } catch {
            // An isolated document hides its location.
          }
        }, 0);
      });
      setInterval(() => {
        try {
          void report(wpFrame.contentWindow?.location.href || wpFrame.src);
        } catch {
          // An isolated document hides its location.
        }
      }, 500);
    },

    /** Navigates the WordPress frame to a site path; resolves once it loaded. */
    async goTo(requestedPath: string) {
      let path = requestedPath.startsWith('/') ? requestedPath : `/${requestedPath}`;
      if (path === '/wp-admin') {
        path = '/wp-admin/';
      }
      const newUrl = await worker.pathToInternalUrl(path);
      const loaded = new Promise<void>((resolve) => {
        wpFrame.addEventListener('load', () => resolve(), { once: true });
      });
      if (newUrl === wpFrame.src && wpFrame.contentWindow) {
        try {
          wpFrame.contentWindow.location.href = newUrl;
          await loaded;
          return;
        } catch {
          // Fall back to setting src.
        }
      }
      wpFrame.src = newUrl;
      await loaded;
    },

    /** The WordPress frame's current site path, e.g. `/wp-admin/`. */
    async getCurrentURL() {
      let url = '';
      try {
        url = wpFrame.contentWindow?.location.href ?? '';
      } catch {
        // An isolated document hides its location.
      }
      if (!url || url === 'about:blank') {
        url = wpFrame.src;
      }
      return await worker.internalUrlToPath(url);
    },

    async boot(options: { scope: string } & Record<string, unknown>) {
      await worker.boot({
        ...options,
        sqliteDriver: query.get('sqlite') === 'legacy' ? 'legacy' : 'ast',
        olderBuild: query.get(OLDER_BUILD_QUERY.name) === OLDER_BUILD_QUERY.value,
      });

      // Answer the service worker's requests for this site's scope only: it broadcasts every
      // request to every tab.
      navigator.serviceWorker.addEventListener('message', (event: MessageEvent<ServiceWorkerCall>) => {
        void answerServiceWorker(event, options.scope);
      });
      navigator.serviceWorker.startMessages();
      await navigator.serviceWorker.ready;

      try {
        await worker.isReady();
        setupPostMessageRelay(wpFrame, new URL(await worker.absoluteUrl).origin);
        setApiReady();
      } catch (error) {
        setApiError(error as Error);
        throw error;
      }
    },
  };

  async function answerServiceWorker(event: MessageEvent<ServiceWorkerCall>, scope: string): Promise<void> {
    const { method, args = [], scope: targetScope, requestId } = event.data ?? {};
    if (targetScope !== scope || typeof method !== 'string' || typeof requestId !== 'number') {
      return;
    }
    const source = event.source as ServiceWorker | null;
    if (!source) {
      return;
    }
    if (method === 'request') {
      let reply: { httpStatusCode: number; headers: Record<string, string[]>; bytes: Uint8Array };
      try {
        const response = await worker.request(args[0] as PHPRequest);
        reply = { httpStatusCode: response.httpStatusCode, headers: response.headers, bytes: response.bytes };
      } catch (error) {
        reply = {
          httpStatusCode: 500,
          headers: { 'content-type': ['text/plain; charset=utf-8'] },
          bytes: new TextEncoder().encode(`Playground request failed: ${String(error)}`),
        };
      }
      source.postMessage(responseTo(requestId, reply));
      return;
    }
    const member = worker[method];
    const result = typeof member === 'function' ? await (member as (...a: unknown[]) => unknown)(...args) : undefined;
    source.postMessage(responseTo(requestId, result));
  }

  await worker.isConnected();
  const [setApiReady, setApiError] = exposeAPI(remoteApi, worker);
}

bootRemote().catch((error: unknown) => {
  console.error('Playground remote failed to boot', error);
  document.body.dataset.bootError = String(error);
});
