import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteDriverId } from '../harness';
import { ACROSS_VERSIONS_RULES } from './db-support';
import { failuresIn, inWordPress } from './engine-support';
import { TestGroup } from './group-support';

/**
 * A sync group whose members run different WordPress versions (6.5 and nightly, which is 6.7
 * alpha here), as a plugin developer's test matrix has them: each member keeps its own WordPress
 * through copies, joins and restores, and everything else (rows, uploads, plugins) syncs.
 */

const wordpressOf = (group: TestGroup, member: string) =>
  inWordPress<string>(group.site(member), `require ABSPATH . WPINC . '/version.php'; $result = $wp_version . ' db ' . get_option('db_version');`);
const titlesOn = (group: TestGroup, member: string) =>
  inWordPress<string[]>(group.site(member), `$result = array_map(fn ($p) => $p->post_title, get_posts(['numberposts' => -1, 'orderby' => 'title', 'order' => 'ASC', 's' => 'Made under']));`);
const publish = (group: TestGroup, member: string, title: string) =>
  inWordPress<number>(group.site(member), `$result = wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);`);

const OWN_WORDPRESS = { old: /^6\.5\.5 db 57155$/, nightly: /^6\.7-alpha-\d+ db 57155$/ };

describe.each<SqliteDriverId>(['ast', 'legacy'])('a sync group across WordPress versions, %s driver', (driver) => {
  // Members named by the WordPress they run; the group's own combination is nightly.
  const group = new TestGroup({ driver, wp: 'nightly' }, `versions-${driver}`);

  beforeAll(async () => {
    await group.boot('nightly-1');
    await group.boot('old-1', { wp: '6.5' });
    await publish(group, 'nightly-1', 'Made under nightly before the group');
    // The 6.5 site takes the nightly one's content, and keeps its own WordPress.
    await group.create(['nightly-1', 'old-1'], 'nightly-1', true);
    await group.untilCopied('old-1');
  });
  afterAll(() => group.stop());

  it('copies the kept site to a member on another version, which keeps its own WordPress', async () => {
    await group.sync();
    await group.expectConverged(ACROSS_VERSIONS_RULES);
    expect(await wordpressOf(group, 'nightly-1')).toMatch(OWN_WORDPRESS.nightly);
    expect(await wordpressOf(group, 'old-1')).toMatch(OWN_WORDPRESS.old);
    expect(await titlesOn(group, 'old-1')).toEqual(['Made under nightly before the group']);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  it('takes posts, an upload and a plugin file both ways', async () => {
    await publish(group, 'nightly-1', 'Made under nightly');
    await publish(group, 'old-1', 'Made under 6.5');
    await group.site('old-1').client.mkdir('/wordpress/wp-content/plugins/matrix-check');
    await group.site('old-1').client.writeFile('/wordpress/wp-content/plugins/matrix-check/matrix-check.php', '<?php // runs on every version');
    const upload = new Uint8Array(300 * 1024).map((_, index) => (index * 7) % 253);
    await group.site('nightly-1').client.mkdir('/wordpress/wp-content/uploads/matrix');
    await group.site('nightly-1').client.writeFile('/wordpress/wp-content/uploads/matrix/matrix.bin', upload);
    await group.sync();
    await group.expectConverged(ACROSS_VERSIONS_RULES);
    for (const member of ['nightly-1', 'old-1']) {
      expect(await titlesOn(group, member)).toEqual(['Made under 6.5', 'Made under nightly', 'Made under nightly before the group']);
    }
    expect(await group.site('old-1').client.readFileAsBuffer('/wordpress/wp-content/uploads/matrix/matrix.bin')).toEqual(upload);
    expect(await group.site('nightly-1').client.readFileAsText('/wordpress/wp-content/plugins/matrix-check/matrix-check.php')).toBe('<?php // runs on every version');
    expect(await wordpressOf(group, 'nightly-1')).toMatch(OWN_WORDPRESS.nightly);
    expect(await wordpressOf(group, 'old-1')).toMatch(OWN_WORDPRESS.old);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  it('keeps core files and the database version of each member to itself', async () => {
    // A patched core file (a developer trying a fix) and an upgrade's database version stay where they were made.
    const versionFile = '/wordpress/wp-includes/version.php';
    const oldVersionFile = await group.site('old-1').client.readFileAsText(versionFile);
    await group.site('nightly-1').client.writeFile('/wordpress/wp-includes/matrix-patch.php', '<?php // a local patch');
    await inWordPress(group.site('nightly-1'), `update_option('db_version', 57156); update_option('blogdescription', 'Set under nightly');`);
    await group.sync();
    expect(await group.site('old-1').client.fileExists('/wordpress/wp-includes/matrix-patch.php')).toBe(false);
    expect(await group.site('old-1').client.readFileAsText(versionFile)).toBe(oldVersionFile);
    expect(await inWordPress<string>(group.site('old-1'), `$result = get_option('db_version') . ' ' . get_option('blogdescription');`)).toBe('57155 Set under nightly');
    await inWordPress(group.site('nightly-1'), `update_option('db_version', 57155);`);
    await group.site('nightly-1').client.unlink('/wordpress/wp-includes/matrix-patch.php');
    await group.sync();
    expect(failuresIn(group.journal)).toEqual([]);
  });

  it('adds a member on yet another version, and restores a member from one on another version', async () => {
    await group.boot('old-2', { wp: '6.5' });
    await group.join('old-2', 'nightly-1');
    await group.untilCopied('old-2');
    await publish(group, 'old-2', 'Made under 6.5 by the newcomer');
    await group.sync();
    await group.expectConverged(ACROSS_VERSIONS_RULES);
    expect(await wordpressOf(group, 'old-2')).toMatch(OWN_WORDPRESS.old);

    // The nightly member's page reloads: a fresh nightly site, restored from a 6.5 member's copy.
    await group.restore('nightly-1', 'old-2');
    await group.untilCopied('nightly-1');
    await publish(group, 'nightly-1', 'Made under nightly after the reload');
    await group.sync();
    await group.expectConverged(ACROSS_VERSIONS_RULES);
    expect(await wordpressOf(group, 'nightly-1')).toMatch(OWN_WORDPRESS.nightly);
    expect(await titlesOn(group, 'old-1')).toEqual([
      'Made under 6.5',
      'Made under 6.5 by the newcomer',
      'Made under nightly',
      'Made under nightly after the reload',
      'Made under nightly before the group',
    ]);
    expect(failuresIn(group.journal)).toEqual([]);
  });
});
