import browser, { type Runtime } from 'webextension-polyfill';
import { TAB_PORT_NAME, type TabToBackground } from '../src/protocol/runtime';

/**
 * The tab's line to the background. The service worker may be stopped at any time (its state is
 * persisted), which drops the port: the next report reconnects, waking the worker.
 */
export class BackgroundLink {
  private port: Runtime.Port | undefined;
  private last: TabToBackground | undefined;

  send(message: TabToBackground): void {
    this.last = message;
    try {
      this.connect().postMessage(message);
    } catch {
      // The worker went away between connect and post: one fresh try.
      this.port = undefined;
      this.connect().postMessage(message);
    }
  }

  /** Sends the latest report again, e.g. after the background restarted and asked. */
  resend(): void {
    if (this.last) this.send(this.last);
  }

  private connect(): Runtime.Port {
    if (this.port) return this.port;
    const port = browser.runtime.connect({ name: TAB_PORT_NAME });
    port.onDisconnect.addListener(() => {
      if (this.port === port) this.port = undefined;
    });
    this.port = port;
    return port;
  }
}
