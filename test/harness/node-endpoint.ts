import { journalFSEvents, replayFSJournal, type FilesystemOperation } from '@php-wasm/fs-journal';
import { PHPWorker, type PHP, type PHPRequestHandler } from '@php-wasm/universal';

/**
 * The Node counterpart of Playground's worker endpoint (`PlaygroundWorkerEndpoint` in the remote
 * package): the same `PHPWorker` base class the page's client talks to, plus the two journal
 * methods the real endpoint adds, bound to the primary PHP exactly as there.
 */
export class NodePlaygroundEndpoint extends PHPWorker {
  private constructor(requestHandler: PHPRequestHandler) {
    super(requestHandler);
  }

  static async attach(requestHandler: PHPRequestHandler): Promise<NodePlaygroundEndpoint> {
    const endpoint = new NodePlaygroundEndpoint(requestHandler);
    const primary = await requestHandler.getPrimaryPhp();
    primary.requestHandler ??= requestHandler;
    await endpoint.setPrimaryPHP(primary);
    // The worker relays `post_message_to_js()` only from PHP instances it has registered, which
    // `PHPWorker` does lazily on the first `run()`. Register the primary now so page requests
    // reach `onMessage` listeners from the start (secondaries: see bootNodeSite's `messagesFrom`).
    endpoint.registerWorkerListeners(primary);
    return endpoint;
  }

  /** Relays this instance's `post_message_to_js()` to `onMessage` listeners (and its events). */
  relayMessagesFrom(php: PHP): void {
    this.registerWorkerListeners(php);
  }

  primaryPhp(): PHP {
    const php = this.__internal_getPHP();
    if (!php) throw new Error('The endpoint has no primary PHP.');
    return php;
  }

  async journalFSEvents(root: string, callback: (op: FilesystemOperation) => void): Promise<() => unknown> {
    return journalFSEvents(this.primaryPhp(), root, callback);
  }

  async replayFSJournal(events: FilesystemOperation[]): Promise<void> {
    replayFSJournal(this.primaryPhp(), events);
  }
}
