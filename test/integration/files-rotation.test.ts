import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDatabasePath } from '../../src/files/database-path';
import { Exclusions } from '../../src/files/exclusions';
import { FileRecorder } from '../../src/files/recorder';
import { bootNodeSite, type NodeSite } from '../harness';

/**
 * A real runtime rotation (php-wasm recreates the PHP runtime after `maxRequests` and copies the
 * whole filesystem through the journaled FS functions): every file is reported again, and none
 * of it may reach the peer.
 */
const ROOT = '/wordpress';
let site: NodeSite;
let recorder: FileRecorder;

beforeAll(async () => {
  site = await bootNodeSite({ wp: '6.5', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:files-rotation/', maxRequests: 4 });
  recorder = await FileRecorder.start(site.client, {
    root: ROOT,
    exclusions: Exclusions.forSite(ROOT, await findDatabasePath(site.client, ROOT)),
  });
});

afterAll(async () => {
  await recorder?.stop();
  await site?.dispose();
});

describe('file recorder across a runtime rotation', () => {
  it('re-reported files are no change, and changes after the rotation are still recorded', async () => {
    const before = recorder.stats;
    for (let request = 0; request < 6; request++) {
      const response = await site.client.run({ code: '<?php echo 1;' });
      expect(response.errors).toBe('');
    }
    const batch = await recorder.takeBatch();
    const reported = recorder.stats.trackedEvents - before.trackedEvents;
    console.log(`[files] rotation: ${reported} journal events on synced paths, ${recorder.stats.reads - before.reads} reads`);
    // The synced tree of a fresh site (its themes and plugins, about 450 files; WordPress core is not synced): the rotation did re-report it.
    expect(reported).toBeGreaterThan(300);
    expect(batch.changes).toEqual([]);

    const after = await site.client.run({ code: `<?php file_put_contents('/wordpress/wp-content/after-rotation.txt', 'still here');` });
    expect(after.errors).toBe('');
    expect((await recorder.takeBatch()).changes.map((change) => `${change.op} ${change.path}`)).toEqual([
      'write wp-content/after-rotation.txt',
    ]);
  });
});
