import type { BlobStore, Exclusions, FileContentReader, FileRecorder } from '../../files';
import type { SiteClient } from '../../platform/site-client';

/** The site a peer runs on, and what it reads and records it with (one of each per site). */
export interface PeerSite {
  readonly client: SiteClient;
  /** The site's URL, without a trailing slash. */
  readonly siteUrl: string;
  /** The document root (/wordpress). */
  readonly root: string;
  readonly recorder: FileRecorder;
  readonly exclusions: Exclusions;
  /** Where big files' bytes wait, on their way out or in. */
  readonly store: BlobStore;
  readonly reader: FileContentReader;
}
