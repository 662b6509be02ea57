import type { Cell, RowChange, SchemaChange } from '../db/batch';

/**
 * A change as a person would name it ("Post “Hello” published"), read from the rows and files a
 * delta carries: the journal's people-facing line. Rows of one WordPress object (a post, its meta,
 * its terms, its revision) make one subject; what WordPress writes on its own (edit locks, rewrite
 * rules) makes none, so a delta of only that is left to the technical lines.
 */
export interface ChangeDescription {
  /** The first subject's sentence, and how many more there are. */
  readonly summary: string;
  /** One sentence per subject, most important first. */
  readonly subjects: readonly string[];
}

interface Subject {
  rank: number;
  /** "Post “Hello”" */
  noun: string;
  verb: string;
}

interface FileLike {
  readonly op: 'write' | 'delete' | 'rename' | 'mkdir';
  readonly path: string;
}

/** A high ID the numberer renumbered (docs/ids.md), with what names its row. */
interface RenumberingLike {
  readonly table: string;
  readonly high: number;
  readonly low: number;
  readonly title?: string | null;
  readonly postType?: string | null;
}

/** What a delta holds, as `describeChange` reads it. */
export interface DescribableDelta {
  readonly files: readonly FileLike[];
  readonly db: { readonly rows: readonly RowChange[]; readonly ddl: readonly SchemaChange[]; readonly renumber?: readonly RenumberingLike[] } | null;
}

const RANK = { content: 0, term: 1, comment: 2, user: 3, setting: 4, file: 5, schema: 6, other: 7 } as const;

const POST_NOUNS: Record<string, string> = {
  post: 'Post',
  page: 'Page',
  attachment: 'Media',
  nav_menu_item: 'Menu item',
  wp_navigation: 'Navigation menu',
  wp_block: 'Pattern',
  wp_template: 'Template',
  wp_template_part: 'Template part',
  wp_global_styles: 'Global styles',
  wp_font_family: 'Font',
  wp_font_face: 'Font face',
  customize_changeset: 'Customizer changes',
};

const TAXONOMY_NOUNS: Record<string, string> = { category: 'Category', post_tag: 'Tag', nav_menu: 'Menu', post_format: 'Post format' };

/** Meta WordPress writes on its own while a person edits: not a change anyone made. */
const HOUSEKEEPING_META = new Set(['_edit_lock', '_edit_last', '_encloseme', '_pingme', '_wp_trash_meta_status', '_wp_trash_meta_time']);

/** Options WordPress keeps up to date on its own. */
const HOUSEKEEPING_OPTIONS = new Set([
  'rewrite_rules',
  'recently_activated',
  'recovery_keys',
  'can_compress_scripts',
  'db_upgraded',
  'fresh_site',
  'recently_edited',
  'user_count',
  'finished_updating_comment_type',
  'wp_force_deactivated_plugins',
  '_wp_suggested_policy_text_has_changed',
  'dismissed_update_core',
  'auto_updater.lock',
  'core_updater.lock',
  'theme_switched',
  'https_detection_errors',
]);

const OPTION_NOUNS: Record<string, string> = {
  blogname: 'Site title',
  blogdescription: 'Tagline',
  active_plugins: 'Active plugins',
  template: 'Theme',
  stylesheet: 'Theme',
  sidebars_widgets: 'Widgets',
  permalink_structure: 'Permalink settings',
  show_on_front: 'Homepage settings',
  page_on_front: 'Homepage settings',
  page_for_posts: 'Homepage settings',
  siteurl: 'Site address',
  home: 'Site address',
  admin_email: 'Administration email',
  nav_menu_options: 'Menu settings',
  site_icon: 'Site icon',
};

const TITLE_MAX = 60;

/** Which core table `table` is ("posts" for wp_posts and wp_2_posts), or null for any other. */
function coreTable(table: string): string | null {
  const match = /^(?:.*_)?(posts|postmeta|options|terms|term_taxonomy|term_relationships|termmeta|comments|commentmeta|users|usermeta|links)$/.exec(table);
  return match ? match[1]! : null;
}

function text(cell: Cell | undefined): string | null {
  return typeof cell === 'string' ? cell : typeof cell === 'number' ? String(cell) : null;
}

function quoted(title: string | null, fallback: string): string {
  const clean = (title ?? '').replace(/\s+/g, ' ').trim();
  if (!clean) return fallback;
  return `“${clean.length > TITLE_MAX ? `${clean.slice(0, TITLE_MAX - 1)}…` : clean}”`;
}

function postVerb(row: Record<string, Cell>): string {
  const status = text(row.post_status);
  if (status === 'trash') return 'moved to the trash';
  if (status === 'draft') return 'saved as a draft';
  const created = text(row.post_date_gmt) !== null && text(row.post_date_gmt) === text(row.post_modified_gmt);
  if (text(row.post_type) === 'attachment') return created ? 'added' : 'updated';
  if (status === 'publish') return created ? 'published' : 'updated';
  if (status === 'future') return 'scheduled';
  if (status === 'private') return created ? 'published privately' : 'updated';
  return 'saved';
}

/** One delta's subjects, keyed by the object they are about. */
class Subjects {
  private readonly byKey = new Map<string, Subject>();
  /** A term's taxonomy noun ("Category"), wherever its term_taxonomy row comes in the delta. */
  private readonly termNouns = new Map<string, string>();

  set(key: string, subject: Subject): void {
    this.byKey.set(key, subject);
  }

  /** A subject for `key` unless one is there already (the object's own row says more). */
  mention(key: string, subject: () => Subject): void {
    if (!this.byKey.has(key)) this.byKey.set(key, subject());
  }

  nameTerm(termId: string, noun: string): void {
    this.termNouns.set(`term:${termId}`, noun);
  }

  sentences(): string[] {
    return this.named().map((subject) => `${subject.noun} ${subject.verb}`);
  }

  /** The subjects with their nouns final, most important first. */
  named(): Subject[] {
    return [...this.byKey]
      .map(([key, subject]) => {
        const noun = this.termNouns.get(key);
        return noun ? { ...subject, noun: subject.noun.replace(/^Term\b/, noun) } : subject;
      })
      .sort((a, b) => a.rank - b.rank);
  }
}

function describePostRow(subjects: Subjects, row: Record<string, Cell>, id: string): void {
  const type = text(row.post_type) ?? 'post';
  if (type === 'revision') {
    // A revision is the post it belongs to being saved.
    const parent = text(row.post_parent);
    if (parent) subjects.mention(`post:${parent}`, () => ({ rank: RANK.content, noun: `Post #${parent}`, verb: 'updated' }));
    return;
  }
  if (type === 'oembed_cache' || type === 'user_request') return;
  const noun = POST_NOUNS[type] ?? `${type.replace(/[_-]+/g, ' ')}`;
  if (text(row.post_status) === 'auto-draft') {
    // The editor's placeholder ("Auto Draft") for a post not written yet.
    subjects.set(`post:${id}`, { rank: RANK.content, noun: `New ${noun.toLowerCase()}`, verb: 'started' });
    return;
  }
  const name = type === 'wp_global_styles' ? '' : ` ${quoted(text(row.post_title), '(no title)')}`;
  subjects.set(`post:${id}`, { rank: RANK.content, noun: `${noun}${name}`, verb: postVerb(row) });
}

function describeRow(subjects: Subjects, change: RowChange, table: string): void {
  const row = change.op === 'upsert' ? change.row : {};
  const keyText = Object.values(change.key).map((cell) => text(cell) ?? '?').join(', ');
  const deleted = change.op === 'delete';
  switch (table) {
    case 'posts':
      if (deleted) subjects.set(`post:${keyText}`, { rank: RANK.content, noun: `Post #${keyText}`, verb: 'deleted' });
      else describePostRow(subjects, row, keyText);
      return;
    case 'postmeta': {
      const post = text(row.post_id);
      const metaKey = text(row.meta_key);
      if (!post || (metaKey !== null && HOUSEKEEPING_META.has(metaKey))) return;
      subjects.mention(`post:${post}`, () => ({ rank: RANK.content, noun: `Post #${post}`, verb: 'updated' }));
      return;
    }
    case 'term_relationships': {
      const post = text(change.key.object_id);
      if (post) subjects.mention(`post:${post}`, () => ({ rank: RANK.content, noun: `Post #${post}`, verb: 'updated' }));
      return;
    }
    case 'terms':
      subjects.set(`term:${keyText}`, {
        rank: RANK.term,
        noun: deleted ? `Term #${keyText}` : `Term ${quoted(text(row.name), `#${keyText}`)}`,
        verb: deleted ? 'deleted' : 'saved',
      });
      return;
    case 'term_taxonomy': {
      const term = text(row.term_id);
      const taxonomy = text(row.taxonomy);
      if (!term || !taxonomy) return;
      // Alone (without its term's row) it is WordPress recounting the term's posts: no subject of its own.
      subjects.nameTerm(term, TAXONOMY_NOUNS[taxonomy] ?? 'Term');
      return;
    }
    case 'termmeta': {
      const term = text(row.term_id);
      if (term) subjects.mention(`term:${term}`, () => ({ rank: RANK.term, noun: `Term #${term}`, verb: 'updated' }));
      return;
    }
    case 'comments': {
      if (deleted) {
        subjects.set(`comment:${keyText}`, { rank: RANK.comment, noun: `Comment #${keyText}`, verb: 'deleted' });
        return;
      }
      const author = text(row.comment_author);
      const status = text(row.comment_approved);
      const verb = status === 'spam' ? 'marked as spam' : status === 'trash' ? 'moved to the trash' : status === '0' ? 'held for moderation' : 'saved';
      subjects.set(`comment:${keyText}`, {
        rank: RANK.comment,
        noun: `Comment${author ? ` by ${quoted(author, '')}` : ''} on post #${text(row.comment_post_ID) ?? '?'}`,
        verb,
      });
      return;
    }
    case 'commentmeta': {
      const comment = text(row.comment_id);
      if (comment) subjects.mention(`comment:${comment}`, () => ({ rank: RANK.comment, noun: `Comment #${comment}`, verb: 'updated' }));
      return;
    }
    case 'users':
      subjects.set(`user:${keyText}`, {
        rank: RANK.user,
        noun: deleted ? `User #${keyText}` : `User ${quoted(text(row.user_login), `#${keyText}`)}`,
        verb: deleted ? 'deleted' : 'saved',
      });
      return;
    case 'usermeta': {
      const user = text(row.user_id);
      if (user) subjects.mention(`user:${user}`, () => ({ rank: RANK.user, noun: `User #${user}`, verb: 'updated' }));
      return;
    }
    case 'options': {
      const name = text(row.option_name) ?? text(change.key.option_name);
      if (name === null) {
        subjects.mention('options', () => ({ rank: RANK.setting, noun: 'Settings', verb: deleted ? 'removed' : 'changed' }));
        return;
      }
      if (HOUSEKEEPING_OPTIONS.has(name)) return;
      const noun = optionNoun(name);
      subjects.mention(`option:${noun}`, () => ({ rank: RANK.setting, noun, verb: deleted ? 'removed' : 'changed' }));
      return;
    }
    case 'links':
      subjects.set(`link:${keyText}`, { rank: RANK.other, noun: `Link ${quoted(text(row.link_name), `#${keyText}`)}`, verb: deleted ? 'deleted' : 'saved' });
      return;
  }
}

function optionNoun(name: string): string {
  if (OPTION_NOUNS[name]) return OPTION_NOUNS[name];
  if (name.startsWith('widget_')) return 'Widgets';
  if (name.startsWith('theme_mods_')) return 'Customizer settings';
  return `Setting “${name}”`;
}

/** An upload's original file for one of its generated sizes ("photo-300x200.jpg" → "photo.jpg"). */
function uploadName(path: string): string {
  const name = path.split('/').pop() ?? path;
  return name.replace(/-(?:\d+x\d+|scaled|rotated|e\d{10,})(?=\.[^.]+$)/g, '');
}

function describeFiles(subjects: Subjects, files: readonly FileLike[], attachmentNames: ReadonlySet<string>): void {
  const groups = new Map<string, { noun: string; rank: number; ops: Set<string> }>();
  for (const change of files) {
    if (change.op === 'mkdir') continue;
    const parts = change.path.replace(/^\/?wordpress\//, '').split('/');
    let key: string;
    let noun: string;
    if (parts[0] === 'wp-content' && parts[1] === 'uploads') {
      const name = uploadName(change.path);
      if (attachmentNames.has(name)) continue;
      key = `upload:${name}`;
      noun = `File “${name}”`;
    } else if (parts[0] === 'wp-content' && (parts[1] === 'plugins' || parts[1] === 'themes') && parts.length > 3) {
      key = `${parts[1]}:${parts[2]}`;
      noun = `Files of ${parts[1] === 'plugins' ? 'plugin' : 'theme'} “${parts[2]}”`;
    } else if (parts[0] === 'wp-content' && parts[1] === 'languages') {
      key = 'languages';
      noun = 'Translations';
    } else {
      key = `file:${change.path}`;
      noun = `File ${change.path.replace(/^\/?wordpress\//, '')}`;
    }
    const group = groups.get(key) ?? { noun, rank: RANK.file, ops: new Set<string>() };
    group.ops.add(change.op);
    groups.set(key, group);
  }
  for (const [key, group] of groups) {
    const verb = group.ops.size === 1 && group.ops.has('delete') ? 'deleted' : key.startsWith('upload:') && !group.ops.has('delete') ? 'uploaded' : 'changed';
    subjects.mention(key, () => ({ rank: group.rank, noun: group.noun, verb }));
  }
}

function describeSchema(subjects: Subjects, ddl: readonly SchemaChange[]): void {
  for (const change of ddl) {
    const statement = change.sql.trim().slice(0, 20).toUpperCase();
    const verb = statement.startsWith('CREATE') ? 'created' : statement.startsWith('DROP') ? 'dropped' : 'changed';
    subjects.mention(`table:${change.table}`, () => ({ rank: RANK.schema, noun: `Table ${change.table}`, verb }));
  }
}

/** The nouns of the rows the journal names when they are renumbered (their title or name is sent along). */
const RENUMBERED_NOUNS: Record<string, { rank: number; noun: string }> = {
  posts: { rank: RANK.content, noun: 'Post' },
  terms: { rank: RANK.term, noun: 'Term' },
  comments: { rank: RANK.comment, noun: 'Comment by' },
  users: { rank: RANK.user, noun: 'User' },
  links: { rank: RANK.other, noun: 'Link' },
};

/**
 * "Post “Hello” renumbered 1000000003 → 36". Revisions and WordPress's rows without a name (meta,
 * options) are left to the technical line; rows of tables WordPress does not have are counted.
 */
function describeRenumbering(subjects: Subjects, mappings: readonly RenumberingLike[]): void {
  const unnamed = new Map<string, number>();
  for (const mapping of mappings) {
    const table = coreTable(mapping.table);
    const kind = table ? RENUMBERED_NOUNS[table] : undefined;
    if (!table) unnamed.set(mapping.table, (unnamed.get(mapping.table) ?? 0) + 1);
    if (!kind || mapping.postType === 'revision') continue;
    const noun = table === 'posts' ? (POST_NOUNS[mapping.postType ?? 'post'] ?? (mapping.postType ?? 'post').replace(/[_-]+/g, ' ')) : kind.noun;
    subjects.set(`renumbered:${mapping.table}:${mapping.high}`, {
      rank: kind.rank,
      noun: `${noun} ${quoted(mapping.title ?? null, `#${mapping.low}`)}`,
      verb: `renumbered ${mapping.high} → ${mapping.low}`,
    });
  }
  for (const [table, count] of unnamed) {
    subjects.set(`renumbered:${table}`, { rank: RANK.other, noun: `${count} row${count === 1 ? '' : 's'} of ${table}`, verb: 'renumbered to low IDs' });
  }
}

/** How a person would name what `delta` did, or null when it holds only what WordPress writes on its own. */
export function describeChange(delta: DescribableDelta): ChangeDescription | null {
  const subjects = new Subjects();
  const rows = delta.db?.rows ?? [];
  const otherTables = new Map<string, number>();
  for (const change of rows) {
    const table = coreTable(change.table);
    if (table) describeRow(subjects, change, table);
    else otherTables.set(change.table, (otherTables.get(change.table) ?? 0) + 1);
  }
  for (const [table, count] of otherTables) {
    subjects.mention(`table:${table}`, () => ({ rank: RANK.other, noun: `${count} row${count === 1 ? '' : 's'} of ${table}`, verb: 'changed' }));
  }
  describeSchema(subjects, delta.db?.ddl ?? []);
  describeFiles(subjects, delta.files, attachmentFileNames(rows));
  describeRenumbering(subjects, delta.db?.renumber ?? []);
  const sentences = subjects.sentences();
  if (sentences.length === 0) return null;
  const more = sentences.length - 1;
  return { summary: more === 0 ? sentences[0]! : `${sentences[0]} and ${more} more change${more === 1 ? '' : 's'}`, subjects: sentences };
}

/** What one row is about, as a person names it ("Post “Hello”"), or null for a row WordPress writes on its own. */
export function nameRow(change: RowChange): string | null {
  const table = coreTable(change.table);
  if (!table) return `Row of ${change.table}`;
  const subjects = new Subjects();
  describeRow(subjects, change, table);
  return subjects.named()[0]?.noun ?? null;
}

/** The wp-admin page that shows what `change` is about, when there is one. */
export function adminPathOf(change: RowChange): string | null {
  const table = coreTable(change.table);
  const row = change.op === 'upsert' ? change.row : {};
  if (table === 'posts') {
    const id = text(change.key.ID);
    const type = text(row.post_type);
    if (!id || type === 'revision' || type === 'nav_menu_item') return type === 'nav_menu_item' ? '/wp-admin/nav-menus.php' : null;
    return `/wp-admin/post.php?post=${encodeURIComponent(id)}&action=edit`;
  }
  if (table === 'postmeta' && text(row.post_id)) return `/wp-admin/post.php?post=${encodeURIComponent(text(row.post_id)!)}&action=edit`;
  if (table === 'comments') return `/wp-admin/comment.php?action=editcomment&c=${encodeURIComponent(text(change.key.comment_ID) ?? '')}`;
  if (table === 'users') return `/wp-admin/user-edit.php?user_id=${encodeURIComponent(text(change.key.ID) ?? '')}`;
  if (table === 'terms' || table === 'term_taxonomy') return '/wp-admin/edit-tags.php';
  if (table === 'options') return '/wp-admin/options-general.php';
  return null;
}

/** The file names of the attachments a delta saves: their uploads are the attachment, not a subject of their own. */
function attachmentFileNames(rows: readonly RowChange[]): Set<string> {
  const names = new Set<string>();
  for (const change of rows) {
    if (change.op !== 'upsert') continue;
    const table = coreTable(change.table);
    if (table === 'posts' && text(change.row.post_type) === 'attachment') {
      const guid = text(change.row.guid);
      if (guid) names.add(uploadName(guid));
    }
    if (table === 'postmeta' && text(change.row.meta_key) === '_wp_attached_file') {
      const file = text(change.row.meta_value);
      if (file) names.add(uploadName(file));
    }
  }
  return names;
}
