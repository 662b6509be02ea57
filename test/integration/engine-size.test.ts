import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES } from '../../src/files/blob-store';
import { MAX_WIRE_MESSAGE_BYTES } from '../../src/sync/framing';
import { expectConverged, failuresIn, inWordPress, startPair, stopPair, syncUntilQuiet, type Combination, type EnginePair } from './engine-support';

/**
 * Changes bigger than one message (issue 11): a big upload travels as a blob the receiver pulls
 * in chunks of at most MAX_WIRE_MESSAGE_BYTES over a link that duplicates, reorders and delays
 * them, arrives whole, and the changes made meanwhile on both sides arrive too.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
];

const sha256Of = (pair: EnginePair, side: 'a' | 'b', path: string) =>
  inWordPress<string | null>(side === 'a' ? pair.a : pair.b, `$file = WP_CONTENT_DIR . '/uploads/' . ${JSON.stringify(path)}; $result = file_exists($file) ? hash_file('sha256', $file) : null;`);

const titlesLike = (pair: EnginePair, side: 'a' | 'b', pattern: string) =>
  inWordPress<string[]>(
    side === 'a' ? pair.a : pair.b,
    `global $wpdb; $result = $wpdb->get_col($wpdb->prepare("SELECT post_title FROM $wpdb->posts WHERE post_title LIKE %s AND post_type <> 'revision' ORDER BY post_title", '${pattern}'));`,
  );

describe.each(COMBINATIONS)('changes bigger than one message, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(combination, 'size', { faults: { duplicate: 0.2, reorder: 0.3, delay: 0.2 }, seed: 11 });
  });
  afterAll(() => stopPair(pair));

  it('sends a 12 MB upload as a blob in chunks of at most 256 KiB, and it arrives byte for byte with the edits made meanwhile', async () => {
    const mark = pair.link.log.length;
    await inWordPress(
      pair.a,
      `$upload = wp_upload_bits('big-archive.zip', null, random_bytes(12 * 1024 * 1024));
if (!empty($upload['error'])) throw new Exception($upload['error']);
wp_insert_attachment(['post_title' => 'Size: big archive', 'post_mime_type' => 'application/zip', 'post_status' => 'inherit'], $upload['file']);
$result = $upload['file'];`,
    );
    await pair.peerA.flush();
    // Both sites go on working while the frames are on their way.
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'Size: B during the transfer', 'post_status' => 'publish']);`);
    await pair.link.deliverSome('b', 20);
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Size: A after the upload', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);

    const path = `${new Date().getUTCFullYear()}/${String(new Date().getUTCMonth() + 1).padStart(2, '0')}/big-archive.zip`;
    const onA = await sha256Of(pair, 'a', path);
    expect(onA).toMatch(/^[0-9a-f]{64}$/);
    expect(await sha256Of(pair, 'b', path)).toBe(onA);
    for (const side of ['a', 'b'] as const) {
      expect(await titlesLike(pair, side, 'Size: %')).toEqual(['Size: A after the upload', 'Size: B during the transfer', 'Size: big archive']);
    }
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
    expect([pair.peerA.pendingCount, pair.peerB.pendingCount]).toEqual([0, 0]);

    const sent = pair.link.log.slice(mark);
    const largest = Math.max(...sent.map(({ json }) => Buffer.byteLength(json, 'utf8')));
    expect(largest).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
    // A big file is a blob the receiver pulls in chunks, not a framed delta.
    const kinds = sent.map(({ json }) => (JSON.parse(json) as { kind: string }).kind);
    expect(kinds.filter((kind) => kind === 'blob-chunk').length).toBeGreaterThanOrEqual(Math.ceil((12 * 1024 * 1024) / BLOB_CHUNK_BYTES));
    expect(kinds.filter((kind) => kind === 'frame')).toEqual([]);
  });
  it('leaves out a file name the other site cannot take, says so once, and syncs everything else', async () => {
    const mark = pair.journal.length;
    const odd = 'wp-content/uploads/odd\\\\name.txt';
    await inWordPress(
      pair.a,
      `wp_mkdir_p(WP_CONTENT_DIR . '/uploads');
file_put_contents(ABSPATH . ${JSON.stringify(odd)}, 'odd one');
file_put_contents(WP_CONTENT_DIR . '/uploads/fine-name.txt', 'fine one');
wp_insert_post(['post_title' => 'Size: next to the odd name', 'post_status' => 'publish']);`,
    );
    await syncUntilQuiet(pair);
    await inWordPress(pair.a, `file_put_contents(ABSPATH . ${JSON.stringify(odd)}, 'odd two');`);
    await syncUntilQuiet(pair);

    expect(await inWordPress(pair.b, `$result = file_get_contents(WP_CONTENT_DIR . '/uploads/fine-name.txt');`)).toBe('fine one');
    expect(await inWordPress(pair.b, `$result = file_exists(ABSPATH . ${JSON.stringify(odd)});`)).toBe(false);
    expect(await titlesLike(pair, 'b', 'Size: next to%')).toEqual(['Size: next to the odd name']);
    const skipped = failuresIn(pair.journal.slice(mark));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ kind: 'files', summary: expect.stringMatching(/^Not synced: the paired site cannot take this file name/) });
    expect([pair.peerA.pendingCount, pair.peerB.pendingCount]).toEqual([0, 0]);

    // Renamed to a name that syncs, it arrives.
    await inWordPress(pair.a, `rename(ABSPATH . ${JSON.stringify(odd)}, WP_CONTENT_DIR . '/uploads/renamed-name.txt');`);
    await syncUntilQuiet(pair);
    expect(await inWordPress(pair.b, `$result = file_get_contents(WP_CONTENT_DIR . '/uploads/renamed-name.txt');`)).toBe('odd two');
    await expectConverged(pair);
    expect(failuresIn(pair.journal.slice(mark))).toHaveLength(1);
  });
});
