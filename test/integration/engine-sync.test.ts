import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_COMBINATIONS,
  expectConverged,
  failuresIn,
  inWordPress,
  startPair,
  stopPair,
  syncUntilQuiet,
  type EnginePair,
} from './engine-support';

/**
 * The core scenario through the whole engine between two real WordPress sites, on every driver
 * and WordPress version: capture, ID shards, deltas over a JSON link, ordered transactional
 * apply, acks. Convergence is judged on table contents and files.
 */

describe.each(ALL_COMBINATIONS)('sync engine between two WordPress $wp sites on the $driver driver', (combination) => {
  let pair: EnginePair;
  let postId = 0;

  beforeAll(async () => {
    pair = await startPair(combination, 'engine', { lowIds: false });
  });
  afterAll(() => stopPair(pair));

  it('replicates a post with meta, a term and a comment, with the same IDs on both sites', async () => {
    postId = await inWordPress<number>(
      pair.a,
      `$id = wp_insert_post(['post_title' => 'From A', 'post_status' => 'publish', 'post_content' => 'See ' . home_url('/about/')]);
       add_post_meta($id, 'color', 'blue');
       wp_set_post_terms($id, ['synced'], 'post_tag');
       wp_insert_comment(['comment_post_ID' => $id, 'comment_content' => 'First!']);
       $result = $id;`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.b,
        `$p = get_post(${postId}); $result = [$p->post_title, get_post_meta(${postId}, 'color', true), $p->post_content,
         wp_get_post_tags(${postId}, ['fields' => 'names']), get_comments(['post_id' => ${postId}, 'fields' => 'ids'])];`,
      ),
    ).toMatchObject(['From A', 'blue', `See ${pair.b.siteUrl}about/`, ['synced'], [expect.any(Number)]]);
  });

  it('replicates edits made on B: title, meta, a second term, a reply', async () => {
    await inWordPress(
      pair.b,
      `wp_update_post(['ID' => ${postId}, 'post_title' => 'Edited on B']);
       update_post_meta(${postId}, 'color', 'green');
       wp_set_post_terms(${postId}, ['edited'], 'post_tag', true);
       $parent = get_comments(['post_id' => ${postId}, 'fields' => 'ids'])[0];
       wp_insert_comment(['comment_post_ID' => ${postId}, 'comment_parent' => $parent, 'comment_content' => 'Reply']);`,
    );
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await inWordPress(pair.a, `$result = [get_the_title(${postId}), get_post_meta(${postId}, 'color', true)];`)).toEqual([
      'Edited on B',
      'green',
    ]);
  });

  it('replicates trashing, then deleting the post with its meta, terms and comments', async () => {
    await inWordPress(pair.a, `wp_trash_post(${postId});`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await inWordPress(pair.b, `$result = get_post_status(${postId});`)).toBe('trash');

    await inWordPress(pair.b, `wp_delete_post(${postId}, true);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.a,
        `global $wpdb; $result = [get_post(${postId}), (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->postmeta WHERE post_id = ${postId}"),
         (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->comments WHERE comment_post_ID = ${postId}")];`,
      ),
    ).toEqual([null, 0, 0]);
  });

  it('replicates a user with meta, and options added, updated and deleted', async () => {
    const userId = await inWordPress<number>(
      pair.a,
      `$id = wp_insert_user(['user_login' => 'editor1', 'user_pass' => 'secret', 'user_email' => 'e1@example.com', 'role' => 'editor']);
       update_user_meta($id, 'favourite', 'tea');
       add_option('engine_added', 'one'); add_option('engine_doomed', 'x');
       update_option('blogname', 'Synced blog');
       $result = $id;`,
    );
    await syncUntilQuiet(pair);
    await inWordPress(pair.b, `update_option('engine_added', ['two' => home_url('/x/')]); delete_option('engine_doomed');`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(
      await inWordPress(
        pair.a,
        `$u = get_userdata(${userId}); $result = [$u->user_login, $u->roles, get_user_meta(${userId}, 'favourite', true),
         get_option('engine_added'), get_option('engine_doomed', 'gone'), get_option('blogname')];`,
      ),
    ).toEqual(['editor1', ['editor'], 'tea', { two: `${pair.a.siteUrl}x/` }, 'gone', 'Synced blog']);
  });

  it('keeps posts inserted on both sites at the same moment apart, with meta on the right post', async () => {
    const insert = (site: EnginePair['a'], title: string) =>
      inWordPress<[number, string]>(
        site,
        `$id = wp_insert_post(['post_title' => '${title}', 'post_status' => 'draft']);
         add_post_meta($id, 'origin', '${title}');
         $result = [$id, get_post_meta($id, 'origin', true)];`,
      );
    const [fromA, fromB] = await Promise.all([insert(pair.a, 'Concurrent A'), insert(pair.b, 'Concurrent B')]);
    expect(fromA[0]).not.toBe(fromB[0]);
    expect([fromA[1], fromB[1]]).toEqual(['Concurrent A', 'Concurrent B']);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    for (const site of [pair.a, pair.b]) {
      expect(
        await inWordPress(
          site,
          `$result = [get_the_title(${fromA[0]}), get_post_meta(${fromA[0]}, 'origin', true), get_the_title(${fromB[0]}), get_post_meta(${fromB[0]}, 'origin', true)];`,
        ),
      ).toEqual(['Concurrent A', 'Concurrent A', 'Concurrent B', 'Concurrent B']);
    }
  });

  it('replicates a plugin folder written on B, bytes and all', async () => {
    await pair.b.client.mkdir('/wordpress/wp-content/plugins/engine-demo');
    await pair.b.client.writeFile('/wordpress/wp-content/plugins/engine-demo/engine-demo.php', '<?php /* Plugin Name: Engine demo */');
    await pair.b.client.writeFile('/wordpress/wp-content/plugins/engine-demo/blob.bin', new Uint8Array([0, 255, 1, 254]));
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.a.client.readFileAsBuffer('/wordpress/wp-content/plugins/engine-demo/blob.bin')).toEqual(
      new Uint8Array([0, 255, 1, 254]),
    );
  });

  it('journals what was sent and applied, without failures, and leaves nothing pending', () => {
    expect(failuresIn(pair.journal)).toEqual([]);
    const applied = (kind: string) =>
      pair.journal.some((entry) => entry.direction === 'received' && entry.kind === kind && entry.status === 'applied');
    expect([applied('rows'), applied('files')]).toEqual([true, true]);
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });
});
