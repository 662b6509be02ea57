import type { PlaygroundClient } from '@wp-playground/client';

/**
 * The members of the page's Playground client that Playground Sync uses.
 *
 * Everything in the extension and in the Node test harness talks to a site through this shape:
 * in the browser it is the page's own Comlink client (`window.playgroundSites.getClient()` /
 * `window.playground`), in Node a real PHP WASM WordPress wrapped to look the same. As with
 * Comlink, properties are promises: always `await client.documentRoot`.
 */
export type SiteClient = Pick<
  PlaygroundClient,
  | 'run'
  | 'request'
  | 'writeFile'
  | 'readFileAsBuffer'
  | 'readFileAsText'
  | 'mkdir'
  | 'unlink'
  | 'mv'
  | 'rmdir'
  | 'listFiles'
  | 'isDir'
  | 'fileExists'
  | 'journalFSEvents'
  | 'replayFSJournal'
  | 'onMessage'
  | 'documentRoot'
  | 'absoluteUrl'
>;

export type { FilesystemOperation } from '@wp-playground/client';
