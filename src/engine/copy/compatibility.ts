import type { SiteFacts } from './site-facts';
import { CopyRefusal, type CopyMeta } from './site-copy';

/**
 * Why a site cannot take a copy as it is, or null when it can. A database file only works
 * under the WordPress that wrote it (schema upgrades run on version changes) and the SQLite
 * driver that wrote it (the AST driver keeps its own information-schema tables). PHP versions
 * may differ: WordPress runs one site's files and database on any PHP it supports (the reason
 * to sync tabs across a PHP matrix).
 */
export function refusalFor(meta: CopyMeta, target: SiteFacts): CopyRefusal | null {
  if (meta.wordpressVersion !== target.wordpressVersion) {
    return new CopyRefusal(
      'version-mismatch',
      `The source runs WordPress ${meta.wordpressVersion} and this site WordPress ${target.wordpressVersion}: both must run the same version`,
    );
  }
  if (meta.databaseDriver !== target.databaseDriver) {
    return new CopyRefusal(
      'driver-mismatch',
      `The source's database is run by ${meta.databaseDriver} and this site's by ${target.databaseDriver}: both must use the same SQLite driver`,
    );
  }
  if (meta.sqliteDriverVersion !== null && target.sqliteDriverVersion !== null && meta.sqliteDriverVersion !== target.sqliteDriverVersion) {
    return new CopyRefusal(
      'driver-mismatch',
      `The source uses SQLite integration ${meta.sqliteDriverVersion} and this site ${target.sqliteDriverVersion}: both must use the same version`,
    );
  }
  return null;
}
