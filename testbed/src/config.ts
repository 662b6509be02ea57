/**
 * Versions and asset URLs shared by the stand-in's page, worker and service worker. The files
 * behind these URLs are served by testbed/server.ts straight from node_modules.
 */

/**
 * PHP versions a page can ask for with `?php=`, as on the real site; only these are bundled, the
 * other builds @php-wasm/web knows are aliased away (see vite.config.ts).
 */
export const SUPPORTED_PHP_VERSIONS = ['8.3', '7.4', '8.4'] as const;
export type SupportedPhpVersion = (typeof SUPPORTED_PHP_VERSIONS)[number];
/** The real site's default. */
export const DEFAULT_PHP_VERSION: SupportedPhpVersion = '8.3';

export function normalizePhpVersion(requested: string | null | undefined): SupportedPhpVersion {
  const found = SUPPORTED_PHP_VERSIONS.find((v) => v === requested);
  return found ?? DEFAULT_PHP_VERSION;
}

/** WordPress builds of @wp-playground/wordpress-builds (minified zip + static assets folder). */
export const SUPPORTED_WP_VERSIONS = ['nightly', 'beta', '6.5', '6.4', '6.3', '6.2'] as const;
export type SupportedWpVersion = (typeof SUPPORTED_WP_VERSIONS)[number];
export const DEFAULT_WP_VERSION: SupportedWpVersion = 'nightly';

export function normalizeWpVersion(requested: string | null | undefined): SupportedWpVersion {
  const found = SUPPORTED_WP_VERSIONS.find((v) => v === requested);
  return found ?? DEFAULT_WP_VERSION;
}

export function wordPressZipUrl(version: string): string {
  return `/wordpress-builds/wp-${normalizeWpVersion(version)}.zip`;
}

/**
 * The SQLite driver a site runs: the current AST driver (sqlite-database-integration 3.x, as
 * bundled by @wp-playground/cli), or the legacy translator (2.1.x, in
 * @wp-playground/wordpress-builds) that older Playground releases ran.
 */
export type SqliteDriver = 'ast' | 'legacy';

export function sqliteZipUrl(driver: SqliteDriver): string {
  return driver === 'legacy'
    ? '/wordpress-builds/sqlite-database-integration-legacy.zip'
    : '/wordpress-builds/sqlite-database-integration.zip';
}

/**
 * `?build=older` emulates an older Playground release (the stand-in's own switch; the real site
 * has none): only `window.playground`, no Sites API, the legacy SQLite translator, a viewport
 * iframe with class `playground-viewport` and no id, `onMessage` hearing only the primary PHP
 * instance, and runtime rotation that loses what was written under `/internal`.
 */
export const OLDER_BUILD_QUERY = { name: 'build', value: 'older' } as const;

/**
 * Where the static assets a minified build lacks live, for a loaded WordPress version as
 * @wp-playground/wordpress reports it: `6.5`, `beta`, or `trunk` for an alpha (the nightly build).
 */
export function staticAssetsDirectoryFor(loadedVersion: string): string | undefined {
  const version = loadedVersion === 'trunk' ? 'nightly' : loadedVersion;
  return (SUPPORTED_WP_VERSIONS as readonly string[]).includes(version) ? `wp-${version}` : undefined;
}
