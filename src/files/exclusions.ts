import { isSameOrInside, parentOf, relativeToRoot } from './paths';

/**
 * A path (relative to the synced root) that never syncs:
 * - `directory`: the directory and everything inside it;
 * - `file`: exactly that file;
 * - `file-prefix`: files whose path starts with it (a database file and its `-journal`, `-wal`, `-shm`).
 */
export interface ExclusionRule {
  readonly kind: 'directory' | 'file' | 'file-prefix';
  readonly path: string;
  readonly why: string;
}

/**
 * Files Playground itself keeps inside the document root of a site: never synced, never
 * overwritten or deleted by a full-state copy. A saved site's directory in OPFS is mounted at
 * `/wordpress`, so its records show up there (WordPress/wordpress-playground:
 * `website/src/lib/state/opfs/opfs-site-storage.ts`, `opfs-blueprint-bundle-storage.ts`,
 * `@wp-playground/storage` `OPFS_SITE_METADATA_FILENAME`; `remote/src/lib/playground-worker-endpoint.ts`).
 */
export const PLAYGROUND_OWN_FILES: readonly ExclusionRule[] = [
  {
    kind: 'file',
    path: 'wp-runtime.json',
    why: "Playground's record of a saved site (slug, name, storage, blueprint); without it the site vanishes from the site manager",
  },
  { kind: 'file', path: 'playground-site-metadata.json', why: "the same record under its earlier name (2024 builds)" },
  { kind: 'directory', path: 'blueprint-bundle', why: 'the Blueprint bundle Playground keeps beside a saved site' },
  {
    kind: 'file',
    path: 'wordpress-remote-asset-paths',
    why: "the minified WordPress build's list of static assets the service worker fetches on demand: belongs to the build a site booted",
  },
];

const CORE_WHY = 'WordPress itself, as the Playground build this tab booted has it: each member runs its own version';

/**
 * WordPress core: every member keeps the WordPress its tab booted, so members on different
 * versions can sync (content, plugins, themes, uploads and wp-config.php do sync). The list is
 * the files and folders a WordPress release puts in the document root, plus `.default_theme`,
 * which Playground's builds add beside them.
 */
export const WORDPRESS_CORE: readonly ExclusionRule[] = [
  ...['wp-admin', 'wp-includes'].map((path) => ({ kind: 'directory' as const, path, why: CORE_WHY })),
  ...[
    'index.php',
    'license.txt',
    'readme.html',
    'wp-activate.php',
    'wp-blog-header.php',
    'wp-comments-post.php',
    'wp-config-sample.php',
    'wp-cron.php',
    'wp-links-opml.php',
    'wp-load.php',
    'wp-login.php',
    'wp-mail.php',
    'wp-settings.php',
    'wp-signup.php',
    'wp-trackback.php',
    'xmlrpc.php',
    '.default_theme',
  ].map((path) => ({ kind: 'file' as const, path, why: CORE_WHY })),
];

/** What never syncs on any site. The database's own location is added at runtime. */
export const STATIC_EXCLUSIONS: readonly ExclusionRule[] = [
  ...WORDPRESS_CORE,
  {
    kind: 'directory',
    path: 'wp-content/database',
    why: 'SQLite database directory (rows sync separately); covers .ht.sqlite*, db-path.php and the randomized .ht.<hex>/ of plugin 3.1+',
  },
  { kind: 'directory', path: 'wp-content/upgrade', why: 'temporary unpacking area of updates and installs' },
  { kind: 'directory', path: 'wp-content/upgrade-temp-backup', why: 'rollback copies kept during updates' },
  { kind: 'directory', path: 'wp-content/cache', why: 'caches are rebuilt per site' },
  { kind: 'file', path: 'wp-content/debug.log', why: 'per-site log' },
  ...PLAYGROUND_OWN_FILES,
];

/**
 * Where this engine keeps what an apply may have to put back, and its journal fences: inside
 * `wp-content/upgrade` (excluded above), so on the same filesystem as what it moves aside, and
 * never synced.
 */
export const ENGINE_SCRATCH_AREA = 'wp-content/upgrade/playground-sync';

/** Directories a database file may sit in without that directory itself being excluded. */
const SHARED_DIRECTORIES = new Set(['', 'wp-content']);

/**
 * The rules for a database found at runtime (`DB_PATH` on plugin 3.1+, `FQDB` before): the file
 * and its side files, and its directory unless that is the root or wp-content itself. Nothing
 * when the database lives outside the synced root.
 */
export function databaseExclusions(root: string, databasePath: string): ExclusionRule[] {
  const file = relativeToRoot(root, databasePath);
  if (file === null) return [];
  const rules: ExclusionRule[] = [
    { kind: 'file-prefix', path: file, why: 'the SQLite database file found at runtime, with its -journal/-wal/-shm' },
  ];
  const directory = parentOf(file) ?? '';
  if (!SHARED_DIRECTORIES.has(directory)) {
    rules.push({ kind: 'directory', path: directory, why: 'the directory of the database found at runtime' });
  }
  return rules;
}

/** Answers "does this relative path sync?" for a fixed rule list. */
export class Exclusions {
  constructor(readonly rules: readonly ExclusionRule[]) {}

  static forSite(root: string, databasePath: string | null, extra: readonly ExclusionRule[] = []): Exclusions {
    return new Exclusions([
      ...STATIC_EXCLUSIONS,
      ...(databasePath ? databaseExclusions(root, databasePath) : []),
      ...extra,
    ]);
  }

  /** The rule that excludes `path`, if any. */
  ruleFor(path: string): ExclusionRule | undefined {
    return this.rules.find((rule) => {
      switch (rule.kind) {
        case 'directory':
          return isSameOrInside(path, rule.path);
        case 'file':
          return path === rule.path;
        case 'file-prefix':
          return path.startsWith(rule.path) && !path.slice(rule.path.length).includes('/');
      }
    });
  }

  isExcluded(path: string): boolean {
    return this.ruleFor(path) !== undefined;
  }
}
