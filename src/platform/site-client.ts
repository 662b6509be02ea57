import type { FilesystemOperation, PlaygroundClient } from '@wp-playground/client';

export type { FilesystemOperation };

/** What Playground Sync reads from a PHP response: the page's `PHPResponse` satisfies it. */
export interface PhpResult {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly errors: string;
  readonly exitCode: number;
  readonly httpStatusCode: number;
  readonly headers: Record<string, string[]>;
}

type PageClient = PlaygroundClient;

/**
 * The members of the page's Playground client that Playground Sync uses.
 *
 * Everything in the extension and in the Node test harness talks to a site through this shape:
 * in the browser it is the page's own Comlink client (`window.playgroundSites.getClient()` /
 * `window.playground`) or a relay of it, in Node a real PHP WASM WordPress wrapped to look the
 * same. As with Comlink, properties are promises: always `await client.documentRoot`.
 */
export interface SiteClient {
  run(request: Parameters<PageClient['run']>[0]): Promise<PhpResult>;
  request(request: Parameters<PageClient['request']>[0]): Promise<PhpResult>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  readFileAsBuffer(path: string): Promise<Uint8Array>;
  readFileAsText(path: string): Promise<string>;
  mkdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mv(fromPath: string, toPath: string): Promise<void>;
  rmdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  listFiles(path: string, options?: { prependPath?: boolean }): Promise<string[]>;
  isDir(path: string): Promise<boolean>;
  fileExists(path: string): Promise<boolean>;
  journalFSEvents(root: string, callback: (op: FilesystemOperation) => void): Promise<() => unknown>;
  replayFSJournal(events: FilesystemOperation[]): Promise<void>;
  onMessage(listener: (data: string) => unknown): Promise<() => Promise<void>>;
  readonly documentRoot: Promise<string>;
  readonly absoluteUrl: Promise<string>;
}

// The page's own client must fit this shape unchanged: a compile-time check, no runtime cost.
type Assert<T extends true> = T;
export type PageClientFitsSiteClient = Assert<PageClient extends SiteClient ? true : false>;
