import type { TestLink } from './test-link';

/**
 * Delivers a TestLink's messages as they are sent, as a transport would, instead of when a test
 * calls `settle()`: each side's messages in the order they were sent, one at a time, the sides
 * side by side (each member is a tab of its own). A delivery starts on a later turn of the event
 * loop, never inside the sender's call. A receiver's error is kept and thrown by `idle()`.
 */
export class PromptDelivery {
  private readonly delivering = new Map<string, Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly link: TestLink) {
    link.onQueued = (to) => this.deliverTo(to);
  }

  /** Whether every message sent so far was handled. */
  get quiet(): boolean {
    return this.delivering.size === 0 && this.link.pending === 0;
  }

  /** Resolves once nothing is being delivered; throws what a receiver threw meanwhile. */
  async idle(): Promise<void> {
    while (this.delivering.size > 0) await Promise.all(this.delivering.values());
    if (this.failure) throw this.failure.error;
  }

  /** Back to deliveries on `settle()` only. */
  async stop(): Promise<void> {
    this.link.onQueued = null;
    await this.idle();
  }

  private deliverTo(to: string): void {
    if (this.delivering.has(to)) return;
    const delivery = (async () => {
      await Promise.resolve();
      try {
        while (this.link.queuedFor(to).length > 0) await this.link.deliverSome(to, 1);
      } catch (error) {
        this.failure ??= { error };
      } finally {
        // In the same turn as the last check of the queue: a message queued later starts a delivery of its own.
        this.delivering.delete(to);
      }
    })();
    this.delivering.set(to, delivery);
  }
}
