import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import type { NodeSite } from '../harness';
import { bigSiteSize, bootBigSiteAndFreshSite, copyAOntoB, POSTS, UPLOADS, type CopyRun } from './big-site';
import { expectConverged, failuresIn, inWordPress, syncUntilQuiet } from './engine-support';

/**
 * A big site pairs by full copy (issue 11): 100 MB+ of uploads in thousands of files and tens of
 * thousands of rows on A, a fresh B asks for everything, installs it, and both go on live.
 */

describe('a 100 MB site with tens of thousands of rows pairs by full copy (WordPress nightly, AST driver)', () => {
  let a: NodeSite;
  let b: NodeSite;
  let run: CopyRun;

  beforeAll(async () => {
    ({ a, b } = await bootBigSiteAndFreshSite('copy-big'));
    run = await copyAOntoB(a, b);
  }, 600_000);
  afterAll(async () => {
    await run?.peerA.stop();
    await run?.peerB.stop();
    await a?.dispose();
    await b?.dispose();
  });

  it('copies every upload and row onto B in messages of at most 256 KiB', async () => {
    expect(run.copies).toEqual([undefined]);
    expect(failuresIn(run.journal)).toEqual([]);
    const onA = await bigSiteSize(a);
    expect(onA.uploads).toBe(UPLOADS);
    expect(onA.uploadBytes).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    expect(onA.posts).toBe(POSTS);
    expect(await bigSiteSize(b)).toEqual(onA);
    expect(Math.max(...run.link.log.map(({ json }) => json.length))).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    await expectConverged({ a, b });
  });

  it('goes on live both ways after the copy', async () => {
    await inWordPress(a, `wp_insert_post(['post_title' => 'Copy big: from A', 'post_status' => 'publish']);`);
    await inWordPress(b, `wp_insert_post(['post_title' => 'Copy big: from B', 'post_status' => 'publish']);`);
    await syncUntilQuiet(run);
    for (const site of [a, b]) {
      expect(await inWordPress<string[]>(site, `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_title LIKE 'Copy big: %' ORDER BY post_title");`)).toEqual([
        'Copy big: from A',
        'Copy big: from B',
      ]);
    }
    expect(failuresIn(run.journal)).toEqual([]);
  });
});
