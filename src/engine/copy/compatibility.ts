import type { SiteFacts } from './site-facts';
import { CopyRefusal, type CopyMeta } from './site-copy';

/**
 * Why a site cannot take a copy as it is, or null when it can. A database file only works under
 * the SQLite driver that wrote it (the AST driver keeps its own information-schema tables).
 * WordPress and PHP versions may differ: WordPress core never travels in a copy (each member
 * keeps the one its tab booted, see `WORDPRESS_CORE`), WordPress runs on any PHP it supports, and
 * a database older than the target's WordPress is upgraded once installed (`installCopy`).
 */
export function refusalFor(meta: CopyMeta, target: SiteFacts): CopyRefusal | null {
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
