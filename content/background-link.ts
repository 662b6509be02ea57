import browser, { type Runtime } from 'webextension-polyfill';
import { TAB_PORT_NAME, type TabToBackground } from '../src/protocol/runtime';

/**
 * The tab's line to the background. The service worker may be stopped at any time (its state is
 * persisted), which drops the port: the next message reconnects, waking the worker, and
 * `onReconnect` tells it again what it may have missed (the site, unacknowledged changes).
 */
export class BackgroundLink {
  private port: Runtime.Port | undefined;
  private connectedBefore = false;

  constructor(
    private readonly onReconnect: () => void = () => undefined,
    /** What the background posts down the port (envelopes from the paired tab); not yet validated. */
    private readonly onMessage: (message: unknown) => void = () => undefined,
  ) {}

  send(message: TabToBackground): void {
    try {
      this.connect().postMessage(message);
    } catch {
      // The worker went away between connect and post: one fresh try.
      this.port = undefined;
      this.connect().postMessage(message);
    }
  }

  private connect(): Runtime.Port {
    if (this.port) return this.port;
    const port = browser.runtime.connect({ name: TAB_PORT_NAME });
    port.onDisconnect.addListener(() => {
      if (this.port === port) this.port = undefined;
    });
    port.onMessage.addListener((message: unknown) => this.onMessage(message));
    this.port = port;
    if (this.connectedBefore) queueMicrotask(this.onReconnect);
    this.connectedBefore = true;
    return port;
  }
}
