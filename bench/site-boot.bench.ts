import { test } from 'vitest';
import { bootNodeSite, forgetSnapshotsInMemory } from '../test/harness';
import { median, recordSection, timeMs } from './record';

/**
 * What every integration test pays per site: booting real WordPress in Node from the zip versus
 * from the installed snapshot, and the cost of the calls the sync engine makes most.
 */
test('Node site boot and client call costs', async () => {
  forgetSnapshotsInMemory();
  const url = (name: string) => `https://playground.wordpress.net/scope:bench-${name}/`;
  const fresh = await bootNodeSite({ wp: 'nightly', driver: 'ast', siteUrl: url('fresh'), install: 'fresh' });
  const freshBootMs = fresh.bootMs;
  await fresh.dispose();

  const snapshotBoots: number[] = [];
  for (let i = 0; i < 3; i++) {
    const site = await bootNodeSite({ wp: 'nightly', driver: 'ast', siteUrl: url(`snap-${i}`) });
    snapshotBoots.push(site.bootMs);
    if (i < 2) await site.dispose();
    else {
      const echo: number[] = [];
      const loaded: number[] = [];
      const front: number[] = [];
      await site.visit('/');
      for (let j = 0; j < 10; j++) {
        echo.push(await timeMs(() => site.client.run({ code: '<?php echo 1;' })));
        loaded.push(await timeMs(() => site.client.run({ code: "<?php require '/wordpress/wp-load.php';" })));
        front.push(await timeMs(() => site.visit('/')));
      }
      await site.dispose();
      const snapshotMs = median(snapshotBoots);
      recordSection('10-site-boot', 'Node harness: site boot and client calls (WordPress nightly, AST driver)', [
        { name: 'boot, installing from the zip', value: freshBootMs, unit: 'ms' },
        { name: 'boot from the installed snapshot (median of 3)', value: snapshotMs, unit: 'ms' },
        {
          name: 'snapshot boot as a share of a fresh install',
          value: snapshotMs / freshBootMs,
          unit: '×',
          baseline: 'install from the zip, same process',
        },
        { name: '`run()` echo (median of 10)', value: median(echo), unit: 'ms' },
        { name: '`run()` loading wp-load.php (median of 10)', value: median(loaded), unit: 'ms' },
        { name: 'GET / (median of 10)', value: median(front), unit: 'ms' },
      ]);
    }
  }
});
