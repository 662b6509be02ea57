import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIECE_BYTES, SITE_MESSAGE_MAX_BYTES, SPOOL_ROOT, SiteMessageTooLargeError, runBounded } from '../../src/platform/bounded-run';
import { bootNodeSite, type NodeSite } from '../harness';
import { measureSiteMessages } from '../site-messages';

/**
 * PHP runs whose input or answer is long go between the extension and the site in pieces: on a
 * real site, every call stays under 256 KiB and the caller gets back exactly what PHP printed.
 */

let site: NodeSite;

beforeAll(async () => {
  site = await bootNodeSite({ wp: 'nightly', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:bounded-run/' });
});

afterAll(async () => {
  await site?.[Symbol.asyncDispose]();
});

const spoolLeft = async () => ((await site.client.isDir(SPOOL_ROOT)) ? await site.client.listFiles(SPOOL_ROOT) : []);

describe('a bounded PHP run', () => {
  it('answers a 3 MB output byte for byte through calls of at most 256 KiB, and leaves no piece behind', async () => {
    const { client, log } = measureSiteMessages(site.client);
    // Every byte value, in a pattern that shows a misplaced piece.
    const response = await runBounded(client, { code: `<?php for ($i = 0; $i < 3 * 1048576; $i += 256) echo chr(($i >> 8) & 255), str_repeat(chr($i % 251), 255);` });
    expect(response.bytes.byteLength).toBe(3 * 1048576);
    for (let at = 0; at < response.bytes.byteLength; at += 256) {
      expect(response.bytes[at]).toBe((at >> 8) & 255);
      expect(response.bytes[at + 255]).toBe(at % 251);
    }
    expect(log.over(SITE_MESSAGE_MAX_BYTES)).toEqual([]);
    expect(log.messages.filter(([what]) => what.startsWith('readFileAsBuffer'))).toHaveLength(Math.ceil((3 * 1048576) / PIECE_BYTES));
    expect(await spoolLeft()).toEqual([]);
  });

  it('answers a short output as it is, without pieces', async () => {
    const { client, log } = measureSiteMessages(site.client);
    const response = await runBounded(client, { code: '<?php echo "hello";' });
    expect(response.text).toBe('hello');
    expect(log.messages.map(([what]) => what)).toEqual(['run request', 'run answer']);
  });

  it('joins a 1 MB input written in pieces before the script reads it, and removes the pieces', async () => {
    const { client, log } = measureSiteMessages(site.client);
    const input = new Uint8Array(1048576 + 7).map((_, index) => (index * 7) % 256);
    const path = '/tmp/bounded-run-input.bin';
    const response = await runBounded(client, {
      code: `<?php echo hash_file('sha256', getenv('INPUT')), ' ', filesize(getenv('INPUT')), ' ', count(glob(getenv('INPUT') . '.piece-*'));`,
      env: { INPUT: path },
      inputs: [{ path, data: input }],
    });
    const expected = Buffer.from(await crypto.subtle.digest('SHA-256', input)).toString('hex');
    expect(response.text).toBe(`${expected} ${input.byteLength} 0`);
    expect(log.over(SITE_MESSAGE_MAX_BYTES)).toEqual([]);
    expect(log.messages.filter(([what]) => what.startsWith('writeFile'))).toHaveLength(Math.ceil(input.byteLength / PIECE_BYTES));
  });

  it("keeps the script's own output buffers working, and what prints after the output ended", async () => {
    const response = await runBounded(site.client, {
      code: `<?php
ob_start(); echo 'swallowed'; ob_end_clean();
ob_start(); echo str_repeat('a', 300000); $inner = ob_get_clean();
echo 'kept:', strlen($inner), ':', $inner;
register_shutdown_function(function () { while (ob_get_level() > 0) ob_end_flush(); echo ':after'; });`,
    });
    expect(response.text).toBe(`kept:300000:${'a'.repeat(300000)}:after`);
    expect(await spoolLeft()).toEqual([]);
  });

  it('drops what a script cleaned away at the outermost level, pieces included', async () => {
    const response = await runBounded(site.client, {
      code: `<?php echo str_repeat('x', 500000); while (ob_get_level() > 0) ob_end_clean(); echo 'clean';`,
    });
    expect(response.text).toBe('clean');
    expect(await spoolLeft()).toEqual([]);
  });

  it('refuses a request that would itself be one message over 256 KiB, before running anything', async () => {
    const { client, log } = measureSiteMessages(site.client);
    await expect(runBounded(client, { code: '<?php echo 1;', env: { BIG: 'x'.repeat(SITE_MESSAGE_MAX_BYTES) } })).rejects.toThrow(SiteMessageTooLargeError);
    expect(log.messages).toEqual([]);
  });
});
