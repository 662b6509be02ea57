import { describe, expect, it } from 'vitest';
import type { RowChange } from '../../src/db/batch';
import { adminPathOf, describeChange, nameRow, type DescribableDelta } from '../../src/journal/describe-change';

const post = (id: number, row: Record<string, string | number>): RowChange => ({
  op: 'upsert',
  table: 'wp_posts',
  key: { ID: id },
  row: { ID: id, post_type: 'post', post_status: 'publish', post_title: 'Hello', post_date_gmt: '2026-12-04 10:00:00', post_modified_gmt: '2026-12-04 10:00:00', ...row },
});
const meta = (table: string, owner: string, ownerId: number, key: string): RowChange => ({
  op: 'upsert',
  table,
  key: { meta_id: 9 },
  row: { meta_id: 9, [owner]: ownerId, meta_key: key, meta_value: 'x' },
});
const option = (name: string, op: 'upsert' | 'delete' = 'upsert'): RowChange =>
  op === 'upsert'
    ? { op, table: 'wp_options', key: { option_name: name }, row: { option_name: name, option_value: 'v' } }
    : { op, table: 'wp_options', key: { option_name: name } };
const rows = (...changes: RowChange[]): DescribableDelta => ({ files: [], db: { rows: changes, ddl: [] } });

describe('a change as a person names it', () => {
  it('names a published post once, whatever meta, terms and revision rows come with it', () => {
    const described = describeChange(
      rows(
        post(1000000003, { post_title: 'Hello world, again' }),
        meta('wp_postmeta', 'post_id', 1000000003, '_thumbnail_id'),
        meta('wp_postmeta', 'post_id', 1000000003, '_edit_lock'),
        { op: 'upsert', table: 'wp_term_relationships', key: { object_id: 1000000003, term_taxonomy_id: 1 }, row: { object_id: 1000000003, term_taxonomy_id: 1 } },
        post(1000000004, { post_type: 'revision', post_parent: 1000000003, post_status: 'inherit' }),
      ),
    );
    expect(described).toEqual({ summary: 'Post “Hello world, again” published', subjects: ['Post “Hello world, again” published'] });
  });

  it('tells updates, drafts, trash, pages and media apart', () => {
    const summary = (change: RowChange) => describeChange(rows(change))?.summary;
    expect(summary(post(5, { post_modified_gmt: '2026-12-04 11:00:00' }))).toBe('Post “Hello” updated');
    expect(summary(post(5, { post_status: 'draft' }))).toBe('Post “Hello” saved as a draft');
    expect(summary(post(5, { post_status: 'trash' }))).toBe('Post “Hello” moved to the trash');
    expect(summary(post(5, { post_type: 'page', post_title: '' }))).toBe('Page (no title) published');
    expect(summary(post(5, { post_type: 'attachment', post_status: 'inherit', post_title: 'photo' }))).toBe('Media “photo” added');
    expect(summary({ op: 'delete', table: 'wp_posts', key: { ID: 5 } })).toBe('Post #5 deleted');
  });

  it('leaves what WordPress writes on its own to the technical lines', () => {
    expect(describeChange(rows(meta('wp_postmeta', 'post_id', 5, '_edit_lock'), option('rewrite_rules')))).toBeNull();
    // A term's post count, recounted alone.
    expect(describeChange(rows({ op: 'upsert', table: 'wp_term_taxonomy', key: { term_taxonomy_id: 1 }, row: { term_taxonomy_id: 1, term_id: 1, taxonomy: 'category', count: 3 } }))).toBeNull();
  });

  it('calls the editor’s placeholder post a new post, not “Auto Draft”', () => {
    expect(describeChange(rows(post(9, { post_status: 'auto-draft', post_title: 'Auto Draft' })))?.summary).toBe('New post started');
  });

  it('names settings, terms with their taxonomy, comments and users, most important first', () => {
    const described = describeChange(
      rows(
        option('blogname'),
        option('widget_block'),
        option('my_plugin_setting', 'delete'),
        { op: 'upsert', table: 'wp_term_taxonomy', key: { term_taxonomy_id: 7 }, row: { term_taxonomy_id: 7, term_id: 7, taxonomy: 'category' } },
        { op: 'upsert', table: 'wp_terms', key: { term_id: 7 }, row: { term_id: 7, name: 'News' } },
        { op: 'upsert', table: 'wp_comments', key: { comment_ID: 3 }, row: { comment_ID: 3, comment_author: 'Ann', comment_post_ID: 5, comment_approved: '0' } },
        { op: 'upsert', table: 'wp_users', key: { ID: 2 }, row: { ID: 2, user_login: 'editor' } },
      ),
    );
    expect(described?.subjects).toEqual([
      'Category “News” saved',
      'Comment by “Ann” on post #5 held for moderation',
      'User “editor” saved',
      'Site title changed',
      'Widgets changed',
      'Setting “my_plugin_setting” removed',
    ]);
    expect(described?.summary).toBe('Category “News” saved and 5 more changes');
  });

  it('names uploads by their original file, folded into the attachment saved with them, and plugins by folder', () => {
    const upload = (path: string) => ({ op: 'write' as const, path });
    expect(
      describeChange({
        files: [upload('/wordpress/wp-content/uploads/2026/12/photo.jpg'), upload('/wordpress/wp-content/uploads/2026/12/photo-300x200.jpg')],
        db: null,
      })?.subjects,
    ).toEqual(['File “photo.jpg” uploaded']);
    expect(
      describeChange({
        files: [upload('/wordpress/wp-content/uploads/2026/12/photo-scaled.jpg')],
        db: { rows: [post(8, { post_type: 'attachment', post_status: 'inherit', post_title: 'photo', guid: 'https://x/wp-content/uploads/2026/12/photo.jpg' })], ddl: [] },
      })?.subjects,
    ).toEqual(['Media “photo” added']);
    expect(
      describeChange({
        files: [upload('/wordpress/wp-content/plugins/hello-dolly/hello.php'), upload('/wordpress/wp-content/plugins/hello-dolly/readme.txt')],
        db: { rows: [option('active_plugins')], ddl: [{ table: 'wp_hello', sql: 'CREATE TABLE wp_hello (id INT)' }] },
      })?.subjects,
    ).toEqual(['Active plugins changed', 'Files of plugin “hello-dolly” changed', 'Table wp_hello created']);
    expect(describeChange({ files: [{ op: 'delete', path: '/wordpress/wp-content/themes/old/style.css' }, { op: 'delete', path: '/wordpress/wp-content/themes/old/index.php' }], db: null })?.summary).toBe(
      'Files of theme “old” deleted',
    );
  });

  it('names renumbered posts, terms and comments; leaves revisions, meta and options to the technical line; counts other tables', () => {
    const renumbered = (...renumber: NonNullable<NonNullable<DescribableDelta['db']>['renumber']>) => describeChange({ files: [], db: { rows: [], ddl: [], renumber } });
    const mapping = (table: string, high: number, low: number, title: string | null = null, postType: string | null = null) => ({ table, high, low, title, postType });
    expect(
      renumbered(
        mapping('wp_posts', 1000000003, 36, 'Hello', 'post'),
        mapping('wp_posts', 1000000004, 37, 'Hello', 'revision'),
        mapping('wp_postmeta', 1000000005, 80),
        mapping('wp_terms', 1000000006, 4, 'News'),
      ),
    ).toEqual({
      summary: 'Post “Hello” renumbered 1000000003 → 36 and 1 more change',
      subjects: ['Post “Hello” renumbered 1000000003 → 36', 'Term “News” renumbered 1000000006 → 4'],
    });
    expect(renumbered(mapping('wp_postmeta', 1000000005, 80), mapping('wp_options', 1000000007, 150))).toBeNull();
    expect(renumbered(mapping('wp_shop_orders', 1000000008, 12), mapping('wp_shop_orders', 1000000009, 13))?.summary).toBe('2 rows of wp_shop_orders renumbered to low IDs');
  });

  it('counts rows of tables WordPress does not have', () => {
    expect(describeChange(rows({ op: 'upsert', table: 'wp_shop_orders', key: { id: 1 }, row: { id: 1 } }))?.summary).toBe('1 row of wp_shop_orders changed');
  });

  it('names one row and the wp-admin page that shows it', () => {
    expect(nameRow(post(5, {}))).toBe('Post “Hello”');
    expect(nameRow(option('blogname'))).toBe('Site title');
    expect(adminPathOf(post(5, {}))).toBe('/wp-admin/post.php?post=5&action=edit');
    expect(adminPathOf(meta('wp_postmeta', 'post_id', 5, 'color'))).toBe('/wp-admin/post.php?post=5&action=edit');
    expect(adminPathOf(option('blogname'))).toBe('/wp-admin/options-general.php');
  });
});
