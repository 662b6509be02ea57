import { describe, expect, it } from 'vitest';
import { Exclusions, STATIC_EXCLUSIONS, databaseExclusions } from '../../src/files/exclusions';

describe('file exclusions', () => {
  const ast302 = Exclusions.forSite('/wordpress', '/wordpress/wp-content/database/.ht.sqlite');

  it.each([
    'wp-content/database',
    'wp-content/database/.ht.sqlite',
    'wp-content/database/.ht.sqlite-journal',
    'wp-content/database/db-path.php',
    'wp-content/database/.ht.3fa9c1/.ht.sqlite-wal',
    'wp-content/upgrade/plugin-1234/plugin.php',
    'wp-content/upgrade-temp-backup/plugins/x/x.php',
    'wp-content/cache/page.html',
    'wp-content/debug.log',
    'wp-runtime.json',
    'playground-site-metadata.json',
    'blueprint-bundle/blueprint.json',
    'wordpress-remote-asset-paths',
    'wp-includes/version.php',
    'wp-admin/index.php',
    'wp-login.php',
    'index.php',
    '.default_theme',
  ])('never syncs %s', (path) => {
    expect(ast302.isExcluded(path)).toBe(true);
  });

  it.each([
    'wp-content/databases/x.txt',
    'wp-content/upgrades.txt',
    'wp-content/plugins/cache/cache.php',
    'wp-content/debug.log.txt',
    'wp-content/uploads/2026/11/photo.png',
    'wp-config.php',
    'wp-content/index.php',
    'wp-content/themes/twentytwentyfour/style.css',
    'my-index.php',
    'wp-content/wp-runtime.json',
    'wp-content/plugins/x/blueprint-bundle/x.json',
  ])('syncs %s', (path) => {
    expect(ast302.isExcluded(path)).toBe(false);
  });

  it('excludes a randomized database directory found at runtime, wherever it is', () => {
    const elsewhere = Exclusions.forSite('/wordpress', '/wordpress/wp-content/private-db/.ht.a1b2/.ht.sqlite');
    expect(elsewhere.isExcluded('wp-content/private-db/.ht.a1b2/.ht.sqlite-shm')).toBe(true);
    expect(elsewhere.isExcluded('wp-content/private-db/.ht.a1b2')).toBe(true);
    expect(elsewhere.isExcluded('wp-content/private-db/other.txt')).toBe(false);
  });

  it('a database file sitting directly in wp-content excludes the file and its side files, not wp-content', () => {
    const rules = databaseExclusions('/wordpress', '/wordpress/wp-content/site.sqlite');
    expect(rules.map((rule) => rule.kind)).toEqual(['file-prefix']);
    const exclusions = new Exclusions(rules);
    expect(exclusions.isExcluded('wp-content/site.sqlite-journal')).toBe(true);
    expect(exclusions.isExcluded('wp-content/plugins/x.php')).toBe(false);
  });

  it('a database outside the root adds nothing', () => {
    expect(databaseExclusions('/wordpress', '/internal/db/.ht.sqlite')).toEqual([]);
    expect(databaseExclusions('/wordpress', '/wordpress-old/db/.ht.sqlite')).toEqual([]);
  });

  it('every rule says why and takes extra rules from the engine', () => {
    expect(STATIC_EXCLUSIONS.every((rule) => rule.why.length > 0)).toBe(true);
    const withEngine = Exclusions.forSite('/wordpress', null, [{ kind: 'directory', path: 'wp-content/pg-sync', why: 'engine files' }]);
    expect(withEngine.ruleFor('wp-content/pg-sync/in-1.json')?.why).toBe('engine files');
  });
});
