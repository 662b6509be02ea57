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
    return { what: `${TABLE_NAMES[rule.table]}: ${namesUpTo(names)}`, why: rule.why };
  });
  const tables = {
    what: [...LOCAL_ONLY.tablePrefixes.map((prefix) => `${prefix}…`), ...LOCAL_ONLY.tables].join(', '),
    why: "The database engine's own tables (SQLite's and the WordPress SQLite driver's) and Playground Sync's bookkeeping.",
  };
  // Rules with one reason (WordPress core's files and folders) are one line.
  const pathsByWhy = new Map<string, string[]>();
  for (const rule of STATIC_EXCLUSIONS) {
    const paths = pathsByWhy.get(rule.why) ?? [];
    paths.push(rule.kind === 'directory' ? `${rule.path}/` : rule.path);
    pathsByWhy.set(rule.why, paths);
  }
  const files = [...pathsByWhy].map(([why, paths]) => ({ what: namesUpTo(paths), why: why.charAt(0).toUpperCase() + why.slice(1) }));
  return [
    { title: 'Database rows', items: rows },
    { title: 'Database tables', items: [tables] },
    { title: 'Files', items: files },
  ];
}

function namesUpTo(names: readonly string[]): string {
  const more = names.length > NAMES_SHOWN ? ` +${names.length - NAMES_SHOWN} more` : '';
  return names.slice(0, NAMES_SHOWN).join(', ') + more;
}
