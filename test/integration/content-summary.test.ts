import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContentSummary } from '../../src/site/content-summary';
import { ALL_COMBINATIONS, bootNodeSite, type NodeSite } from '../harness';

/** What the popup shows when two sites to pair differ, read from real WordPress. */
describe.each(ALL_COMBINATIONS)('content summary on WordPress $wp, $driver driver', ({ driver, wp }) => {
  let a: NodeSite;
  let b: NodeSite;

  beforeAll(async () => {
    a = await bootNodeSite({ driver, wp, siteUrl: 'https://playground.wordpress.net/scope:summary-a/' });
    b = await bootNodeSite({ driver, wp, siteUrl: 'https://playground.wordpress.net/scope:summary-b/' });
  });
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('gives two fresh sites on other URLs the same digest, and counts what a fresh install holds', async () => {
    const [first, second] = await Promise.all([readContentSummary(a.client), readContentSummary(b.client)]);
    expect(first.digest).toBe(second.digest);
    expect(first).toMatchObject({ posts: 1, pages: 2, comments: 1, users: 1, media: 0, plugins: [] });
    expect(first.theme).toMatch(/^twenty/);
  });

  it('tells sites apart once one has a new post, and counts it', async () => {
    await b.client.run({
      code: `<?php require '/wordpress/wp-load.php';
        wp_insert_post(['post_title' => 'Only on B', 'post_status' => 'publish', 'post_content' => 'b']);`,
    });
    const [first, second] = await Promise.all([readContentSummary(a.client), readContentSummary(b.client)]);
    expect(second.posts).toBe(first.posts + 1);
    expect(second.digest).not.toBe(first.digest);
  });
});
