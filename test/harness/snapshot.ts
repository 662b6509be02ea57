import type { PHP } from '@php-wasm/universal';
import type { SqliteDriverId, WordPressVersionId } from './artifacts';
import { mentionsSiteUrl, replaceSiteUrl, siteUrlBase } from './site-url';

/**
 * A freshly installed site's document root as bytes, so later sites skip the installer: files are
 * written back in `hooks.beforeWordPressFiles` and the site boots with
 * `wordpressInstallMode: 'do-not-attempt-installing'`.
 */
export interface WordPressSnapshot {
  readonly wp: WordPressVersionId;
  readonly driver: SqliteDriverId;
  /** The URL of the site the snapshot was taken from (stored URLs in it use this one). */
  readonly siteUrl: string;
  /** Directories relative to the document root, parents before children (empty ones included). */
  readonly directories: readonly string[];
  /** File bytes by path relative to the document root. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export function snapshotBytes(snapshot: WordPressSnapshot): number {
  let total = 0;
  for (const bytes of snapshot.files.values()) total += bytes.length;
  return total;
}

export function captureSnapshot(
  php: PHP,
  documentRoot: string,
  meta: Pick<WordPressSnapshot, 'wp' | 'driver' | 'siteUrl'>,
): WordPressSnapshot {
  const directories: string[] = [];
  const files = new Map<string, Uint8Array>();
  const walk = (relative: string) => {
    const absolute = relative ? `${documentRoot}/${relative}` : documentRoot;
    for (const name of php.listFiles(absolute).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      if (php.isDir(`${documentRoot}/${child}`)) {
        directories.push(child);
        walk(child);
      } else {
        files.set(child, php.readFileAsBuffer(`${documentRoot}/${child}`));
      }
    }
  };
  walk('');
  return { ...meta, directories, files };
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * A file's bytes for a site at `siteUrl`: text files that mention the snapshot's own URL get it
 * replaced (PHP-serialized content kept valid); everything else is returned as it is.
 */
function retargetFile(bytes: Uint8Array, fromBase: string, toBase: string): Uint8Array {
  if (fromBase === toBase || !Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).includes(new URL(fromBase).host)) {
    return bytes;
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return bytes;
  }
  return mentionsSiteUrl(text, fromBase) ? encoder.encode(replaceSiteUrl(text, fromBase, toBase)) : bytes;
}

/** Writes the snapshot into `documentRoot` of a PHP that has not loaded WordPress yet. */
export function restoreSnapshot(php: PHP, documentRoot: string, snapshot: WordPressSnapshot, siteUrl: string): void {
  const fromBase = siteUrlBase(snapshot.siteUrl);
  const toBase = siteUrlBase(siteUrl);
  php.mkdir(documentRoot);
  for (const directory of snapshot.directories) php.mkdir(`${documentRoot}/${directory}`);
  for (const [relative, bytes] of snapshot.files) {
    php.writeFile(`${documentRoot}/${relative}`, retargetFile(bytes, fromBase, toBase));
  }
}
