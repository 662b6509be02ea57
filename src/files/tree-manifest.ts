/** What a site's tree holds, as far as sync is concerned: paths relative to the synced root. */
export interface FileState {
  readonly size: number;
  readonly sha256: string;
}

export interface TreeManifest {
  readonly files: ReadonlyMap<string, FileState>;
  readonly directories: ReadonlySet<string>;
}
