import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES } from '../../src/files/blob-store';
import { expectConverged, failuresIn, inWordPress, startPair, stopPair, syncUntilQuiet, type EnginePair } from './engine-support';

/**
 * Big files' bytes on the lane between the two tabs (a real BroadcastChannel, as the extension
 * opens one in each tab): the link carries the requests, the lane the chunks, and what arrives
 * on a lane is checked like anything else from outside.
 */

const MB = 1024 * 1024;

type Message = { kind: string; replyTo?: string };
type Side = 'a' | 'b';

const siteOf = (pair: EnginePair, side: Side) => (side === 'a' ? pair.a : pair.b);

const uploadedSha256 = (pair: EnginePair, side: Side, name: string) =>
  inWordPress<string | null>(siteOf(pair, side), `$file = wp_upload_dir()['path'] . '/' . ${JSON.stringify(name)}; $result = file_exists($file) ? hash_file('sha256', $file) : null;`);

const upload = (pair: EnginePair, side: Side, name: string, size: number) =>
  inWordPress<string>(
    siteOf(pair, side),
    `$dir = wp_upload_dir()['path']; wp_mkdir_p($dir); $file = $dir . '/' . ${JSON.stringify(name)};
$handle = fopen($file, 'wb'); for ($i = 0; $i < ${size}; $i += 1048576) fwrite($handle, random_bytes(min(1048576, ${size} - $i))); fclose($handle);
$result = $file;`,
  );

/** Delivers the link and lets the lanes' messages land until `side` holds `name` as the other side has it. */
async function deliverUntilArrived(pair: EnginePair, to: Side, name: string): Promise<string> {
  const expected = await uploadedSha256(pair, to === 'a' ? 'b' : 'a', name);
  for (let round = 0; round < 2000; round++) {
    await pair.link.settle();
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (round % 10 === 9 && (await uploadedSha256(pair, to, name)) === expected) return expected!;
    if (round % 50 === 49) await (to === 'a' ? pair.peerA : pair.peerB).flush();
  }
  throw new Error(`${name} did not arrive on ${to}`);
}

const sentOnLink = (pair: EnginePair, from: number) => pair.link.log.slice(from).map(({ json }) => JSON.parse(json) as Message);

describe('big files on the lane between the tabs, WordPress nightly on the ast driver', () => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair({ driver: 'ast', wp: 'nightly' }, 'lane', { lanes: true });
  });
  afterAll(() => stopPair(pair));

  it('an 8 MB upload arrives byte for byte with its chunks on the lane, none on the link, asked for with the lane’s address', async () => {
    await syncUntilQuiet(pair);
    const mark = pair.link.log.length;
    pair.laneLog.splice(0);
    await upload(pair, 'a', 'lane-video.bin', 8 * MB);
    await pair.peerA.flush();
    await deliverUntilArrived(pair, 'b', 'lane-video.bin');
    await syncUntilQuiet(pair);

    const onLink = sentOnLink(pair, mark);
    expect(onLink.filter(({ kind }) => kind === 'blob-chunk')).toEqual([]);
    const requests = onLink.filter(({ kind }) => kind === 'blob-request');
    expect(requests.length).toBeGreaterThanOrEqual(Math.ceil((8 * MB) / BLOB_CHUNK_BYTES));
    expect(new Set(requests.map(({ replyTo }) => replyTo)).size).toBe(1);
    expect(requests[0]!.replyTo).toMatch(/^pgsync-lane:/);
    const onLane = pair.laneLog.map(({ to, message }) => ({ to, kind: (message as Message).kind, bytes: (message as { bytes: Uint8Array }).bytes }));
    expect(onLane.every(({ to, kind, bytes }) => to === 'b' && kind === 'blob-bytes' && bytes instanceof Uint8Array && bytes.byteLength <= BLOB_CHUNK_BYTES)).toBe(true);
    expect(onLane.reduce((total, { bytes }) => total + bytes.byteLength, 0)).toBeGreaterThanOrEqual(8 * MB);
    await expectConverged(pair);
    expect(failuresIn(pair.journal)).toEqual([]);
  });

  it('journals what arrives on a lane that is not a chunk of the paired peer, stores none of it, and the transfer goes on', async () => {
    await syncUntilQuiet(pair);
    const mark = pair.link.log.length;
    const journalMark = pair.journal.length;
    await upload(pair, 'b', 'lane-forged.bin', 2 * MB);
    await pair.peerB.flush();
    await pair.link.settle();
    const address = sentOnLink(pair, mark).find(({ kind }) => kind === 'blob-request')?.replyTo;
    expect(address).toMatch(/^pgsync-lane:/);

    // Someone who learnt A's lane posts on it: another pairing, a stranger, text for bytes, a whole file at once.
    const forger = new BroadcastChannel(address!);
    const chunk = { v: 1, kind: 'blob-bytes', pairId: 'pair-1', from: 'peer-b', sha256: 'e'.repeat(64), offset: 0, size: 3, bytes: new Uint8Array(3) };
    for (const forged of [
      { ...chunk, pairId: 'pair-2' },
      { ...chunk, from: 'peer-z' },
      { ...chunk, bytes: 'AAAA' },
      { ...chunk, bytes: new Uint8Array(BLOB_CHUNK_BYTES + 1) },
    ]) {
      forger.postMessage(forged);
    }
    forger.close();
    await deliverUntilArrived(pair, 'a', 'lane-forged.bin');
    await syncUntilQuiet(pair);

    const rejected = pair.journal.slice(journalMark).filter(({ status }) => status === 'rejected');
    expect(rejected.map(({ summary }) => summary)).toEqual([
      expect.stringMatching(/^Rejected lane message: pairId: belongs to pairing pair-2/),
      expect.stringMatching(/^Rejected lane message: from: peer-z is not a member of this group/),
      expect.stringMatching(/^Rejected lane message: bytes: not bytes/),
      expect.stringMatching(/^Rejected lane message: bytes: more than/),
    ]);
    await expectConverged(pair);
    expect(failuresIn(pair.journal.slice(journalMark)).filter(({ status }) => status !== 'rejected')).toEqual([]);
  });
});
