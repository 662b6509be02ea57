import { STATIC_EXCLUSIONS } from '../src/files/exclusions';
import { LOCAL_ONLY, type KeyRule } from '../src/sync/local-only';

export interface LocalOnlyItem {
  /** What stays local, as the site names it (option names, a folder). */
  readonly what: string;
  readonly why: string;
}

export interface LocalOnlyGroup {
  readonly title: string;
  readonly items: readonly LocalOnlyItem[];
}

const TABLE_NAMES: Record<KeyRule['table'], string> = {
  options: 'Options',
  sitemeta: 'Network options (multisite)',
  usermeta: 'User meta',
  postmeta: 'Post meta',
};

/** At most this many names per rule; the rest are counted ("+4 more"). */
const NAMES_SHOWN = 8;

/**
 * What never syncs, with the reasons, from the very lists capture, replay and the file recorder
 * use (src/sync/local-only.ts, src/files/exclusions.ts): what the popup's "What does not sync" shows.
 */
export function localOnlyGroups(): LocalOnlyGroup[] {
  const rows = LOCAL_ONLY.rows.map((rule) => {
    const names = [...rule.exact, ...rule.prefixes.map((prefix) => `${prefix}…`), ...rule.suffixes.map((suffix) => `…${suffix}`)];
    const shown = names.slice(0, NAMES_SHOWN).join(', ');
    const more = names.length > NAMES_SHOWN ? ` +${names.length - NAMES_SHOWN} more` : '';
    return { what: `${TABLE_NAMES[rule.table]}: ${shown}${more}`, why: rule.why };
  });
  const tables = {
    what: [...LOCAL_ONLY.tablePrefixes.map((prefix) => `${prefix}…`), ...LOCAL_ONLY.tables].join(', '),
    why: "The database engine's own tables (SQLite's and the WordPress SQLite driver's) and Playground Sync's bookkeeping.",
  };
  const files = STATIC_EXCLUSIONS.map((rule) => ({
    what: rule.kind === 'directory' ? `${rule.path}/` : rule.path,
    why: rule.why.charAt(0).toUpperCase() + rule.why.slice(1),
  }));
  return [
    { title: 'Database rows', items: rows },
    { title: 'Database tables', items: [tables] },
    { title: 'Files', items: files },
  ];
}
