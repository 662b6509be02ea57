import { ChangeFeed, installCapture } from '../../db';
import { BlobStore, Exclusions, FileRecorder, findDatabasePath, SizeAwareReader } from '../../files';
import type { SiteClient } from '../../platform/site-client';
import { reinstallEngine } from '../engine-files';
import type { PeerSite } from './peer-site';

export interface OpenSiteOptions {
  readonly client: SiteClient;
  readonly peerId: string;
  /** A saved site that reloaded while syncing: its outbox keeps the rows captured before (see rejoin.ts). */
  readonly resume: boolean;
}

/** What the site tells before the peer that listens exists (the peer is wired to them once it does). */
export interface SiteSignals {
  /** Batches wait in the site's outbox. */
  readonly onRowsWaiting: () => void;
  /** Files changed and settle. */
  readonly onFilesRecorded: () => void;
  /** Blobs of files no delta will carry. */
  readonly onUnsentBlobs: (names: readonly string[]) => void;
  readonly onDrainError: (cause: string) => void;
  readonly onRejected: (error: string, source: string) => void;
}

/**
 * Makes a site ready to sync: listens for its drains, installs capture (or puts the engine back on
 * a resumed site), and starts recording its files. Blobs of an earlier page's deltas are cleared:
 * that page's outbox and fetches are gone.
 */
export async function openPeerSite(options: OpenSiteOptions, signals: SiteSignals): Promise<{ site: PeerSite; feed: ChangeFeed }> {
  const { client, peerId } = options;
  // Listening comes before capture, so no drain's signal is missed.
  const feed = await ChangeFeed.listen(client, {
    peerId,
    onSignal: signals.onRowsWaiting,
    onDrainError: signals.onDrainError,
    onRejected: signals.onRejected,
  });
  const [absoluteUrl, root] = await Promise.all([client.absoluteUrl, client.documentRoot]);
  const siteUrl = absoluteUrl.replace(/\/+$/, '');
  if (options.resume) await reinstallEngine(client, { peerId, siteUrl });
  else await installCapture(client, { peerId, siteUrl, discardOutbox: true });
  const exclusions = Exclusions.forSite(root, await findDatabasePath(client, root));
  const files = readerOf(client);
  const store = BlobStore.forSite(files, root);
  await store.clear();
  const reader = new SizeAwareReader(files, store);
  const recorder = await FileRecorder.start(
    { ...files, journalFSEvents: (path, callback) => client.journalFSEvents(path, callback) },
    { root, exclusions, reader, onUnsentBlobs: signals.onUnsentBlobs, onTracked: signals.onFilesRecorded },
  );
  return { site: { client, siteUrl, root, recorder, exclusions, store, reader }, feed };
}

/** The members the recorder reads through, as plain calls (no `bind` on a Comlink proxy). */
function readerOf(client: SiteClient) {
  return {
    readFileAsBuffer: (path: string) => client.readFileAsBuffer(path),
    fileExists: (path: string) => client.fileExists(path),
    listFiles: (path: string, options?: { prependPath?: boolean }) => client.listFiles(path, options),
    isDir: (path: string) => client.isDir(path),
    run: (request: Parameters<SiteClient['run']>[0]) => client.run(request),
    // The recorder's journal fences: a file of its own in the engine's scratch area.
    writeFile: (path: string, data: string | Uint8Array) => client.writeFile(path, data),
    mkdir: (path: string) => client.mkdir(path),
    unlink: (path: string) => client.unlink(path),
    rmdir: (path: string, options?: { recursive?: boolean }) => client.rmdir(path, options),
  };
}
