import { describe, expect, it } from 'vitest';
import { inWordPress, type EnginePair } from '../engine-support';
import { replayOps, type FuzzSettings, type PairCheck } from './run-fuzz';
import type { Op } from './workload';

/**
 * Op lists the fuzzer found, shrunk, replayed as regular tests. `it.fails`: a known product bug,
 * reported and not fixed yet; when the fix lands this turns red, and becomes a plain `it`.
 */

const AST_NIGHTLY: FuzzSettings['combination'] = { driver: 'ast', wp: 'nightly' };
const LEGACY_65: FuzzSettings['combination'] = { driver: 'legacy', wp: '6.5' };

describe('fuzz regressions', () => {
  // Seed 3: both sites rename the same file to different names before syncing. Per-path
  // last-writer-wins skips the older rename where the newer one was made, and the newer rename
  // finds nothing left to move where the older one was made: A keeps sub/d.txt, B sub/e.bin.
  it('converges when both sites rename the same file to different names (seed 3)', async () => {
    const ops: Op[] = [
      { kind: 'write-file', side: 'b', args: { path: 'deep/y.txt', bytesSeed: 163088, size: 799 } },
      { kind: 'bulk-update-pages', side: 'b', args: { delta: 4 } },
      { kind: 'deliver', side: 'a', args: { count: 2 } },
      { kind: 'rename-file', side: 'b', args: { pick: 0.417, to: 'sub/e.bin' } },
      { kind: 'rename-file', side: 'a', args: { pick: 0.826, to: 'sub/d.txt' } },
    ];
    expect(await replayOps(ops, { combination: AST_NIGHTLY, linkSeed: 3 })).toBeNull();
  });

  // Seed 12: when option IDs were not sharded (add_option's INSERT … ON DUPLICATE KEY UPDATE),
  // B's new fuzz_color and A's new fuzz_links got the same option_id. Rows are versioned by that
  // ID: A kept its fuzz_links over B's older fuzz_color under the shared ID, then B's newer
  // fuzz_links (another ID) evicted it by name; A ended without fuzz_color, B still had it.
  it('converges when both sites create different new options before syncing (seed 12)', async () => {
    const ops: Op[] = [
      { kind: 'set-option', side: 'b', args: { name: 'fuzz_color', autoload: true, shape: 'url-array', text: 'river river', number: 706 } },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'flush', side: 'b', args: {} },
      { kind: 'set-option', side: 'a', args: { name: 'fuzz_links', autoload: false, shape: 'url-array', text: 'back\\slash zero zero', number: 701 } },
      { kind: 'flush', side: 'b', args: {} },
      { kind: 'set-option', side: 'b', args: { name: 'fuzz_links', autoload: true, shape: 'text', text: 'percent%s', number: 945 } },
    ];
    expect(await replayOps(ops, { combination: AST_NIGHTLY, linkSeed: 12 })).toBeNull();
  });

  // The class behind fresh seeds that ended with a file in fuzz-files on one side only: folders
  // moved away (a folder delete plus the arrival elsewhere) while the other site writes into
  // them. Written as op lists (no link faults, so the interleaving is the one described).

  // B moves sub away and back after A wrote sub/e.bin: B's removal of sub is later than A's
  // write, so e.bin goes on both sites. B used to remember only its last change to sub (made
  // again), let A's older write in, and kept e.bin while A had dropped it with the folder.
  it('drops an older file written into a folder the other site moved away and back', async () => {
    const ops: Op[] = [
      { kind: 'write-file', side: 'a', args: { path: 'sub/d.txt', bytesSeed: 11, size: 120 } },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'deliver', side: 'b', args: { count: 4 } },
      { kind: 'write-file', side: 'a', args: { path: 'sub/e.bin', bytesSeed: 12, size: 90 } },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'rename-folder', side: 'b', args: { pick: 0, to: 'moved' } },
      { kind: 'flush', side: 'b', args: {} },
      { kind: 'rename-folder', side: 'b', args: { pick: 0, to: 'sub' } },
      { kind: 'flush', side: 'b', args: {} },
    ];
    expect(await replayOps(ops, { combination: AST_NIGHTLY, linkSeed: 1, faults: {} })).toBeNull();
  });

  // B moves sub away, A writes sub/e.bin and then moves sub away too, B writes into a new sub:
  // A's move of sub is later than A's write, so e.bin leaves sub on both sites. B used to take
  // its later re-made sub as beating A's whole folder delete and kept e.bin in it.
  it('removes the older files of a folder moved away on one site and made again on the other', async () => {
    const ops: Op[] = [
      { kind: 'write-file', side: 'a', args: { path: 'sub/d.txt', bytesSeed: 21, size: 120 } },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'deliver', side: 'b', args: { count: 4 } },
      { kind: 'rename-folder', side: 'b', args: { pick: 0, to: 'moved' } },
      { kind: 'flush', side: 'b', args: {} },
      { kind: 'write-file', side: 'a', args: { path: 'sub/e.bin', bytesSeed: 22, size: 90 } },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'rename-folder', side: 'a', args: { pick: 0, to: 'deep' } },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'write-file', side: 'b', args: { path: 'sub/d.txt', bytesSeed: 23, size: 70 } },
      { kind: 'flush', side: 'b', args: {} },
    ];
    expect(await replayOps(ops, { combination: LEGACY_65, linkSeed: 1, faults: {} })).toBeNull();
  });

  // An older build's runtime rotation takes the ID-shard filter with the engine's files (issue 10,
  // fuzzer with rotations): until the engine is back, SQLite numbers new rows itself, max(ID) + 1.
  // On A, the lower range, that is the next ID of B's range as soon as B's rows arrived: B then
  // gave its next post the same ID, and the newer of the two posts replaced the other on both
  // sites (journaled as a conflict, converged, one post gone). Both sites rotating at once gave
  // both new posts the same ID the same way.
  const postsNamed = (titles: readonly string[]): PairCheck => async (pair: EnginePair) => {
    const lost: string[] = [];
    for (const [side, site] of [['A', pair.a], ['B', pair.b]] as const) {
      const found = await inWordPress<string[]>(site, `global $wpdb; $result = $wpdb->get_col("SELECT post_title FROM $wpdb->posts WHERE post_type = 'post'");`);
      for (const title of titles) if (!found.includes(title)) lost.push(`${side} lacks the post ${JSON.stringify(title)}`);
    }
    return lost.length === 0 ? null : lost.join('\n');
  };
  const post = (side: 'a' | 'b', title: string): Op => ({ kind: 'create-post', side, args: { type: 'post', status: 'publish', title, linkSelf: false } });

  it('keeps both posts when the lower-range site inserts while a rotation took its ID-shard filter', async () => {
    const ops: Op[] = [
      post('b', 'B first'),
      { kind: 'flush', side: 'b', args: {} },
      { kind: 'deliver', side: 'a', args: { count: 4 } },
      { kind: 'rotate', side: 'a', args: { instances: 'all' } },
      post('a', 'A while lost'),
      post('b', 'B second'),
    ];
    expect(await replayOps(ops, { combination: LEGACY_65, linkSeed: 1, faults: {} }, postsNamed(['B first', 'A while lost', 'B second']))).toBeNull();
  });

  it('keeps both posts when both sites insert while rotations took their ID-shard filters', async () => {
    const ops: Op[] = [
      { kind: 'rotate', side: 'a', args: { instances: 'primary' } },
      { kind: 'rotate', side: 'b', args: { instances: 'primary' } },
      post('a', 'A while lost'),
      post('b', 'B while lost'),
    ];
    expect(await replayOps(ops, { combination: LEGACY_65, linkSeed: 1, faults: {} }, postsNamed(['A while lost', 'B while lost']))).toBeNull();
  });

  // The same on a table made after pairing: B's copy of A's new ledger table had no lifted
  // sequence until B inserted into it with the filter there, so B's first row while the filter
  // was gone took the ID A's allocator handed out next.
  it('keeps both ledger rows when a site inserts into a table the other made while a rotation took its filter', async () => {
    const ledger = (side: 'a' | 'b', label: string): Op => ({ kind: 'ledger-row', side, args: { action: 'insert', pick: 0, label, amount: 1 } });
    const ops: Op[] = [
      { kind: 'activate-plugin', side: 'a', args: {} },
      { kind: 'flush', side: 'a', args: {} },
      { kind: 'deliver', side: 'b', args: { count: 4 } },
      { kind: 'rotate', side: 'b', args: { instances: 'all' } },
      ledger('b', 'B while lost'),
      ledger('a', 'A later'),
    ];
    const rowsLabelled: PairCheck = async (pair) => {
      const lost: string[] = [];
      for (const [side, site] of [['A', pair.a], ['B', pair.b]] as const) {
        const found = await inWordPress<string[]>(site, `global $wpdb; $result = $wpdb->get_col("SELECT label FROM {$wpdb->prefix}fuzz_ledger");`);
        for (const label of ['activated', 'B while lost', 'A later']) if (!found.includes(label)) lost.push(`${side} lacks the ledger row ${label}`);
      }
      return lost.length === 0 ? null : lost.join('\n');
    };
    expect(await replayOps(ops, { combination: LEGACY_65, linkSeed: 1, faults: {} }, rowsLabelled)).toBeNull();
  });

  // Fresh seed 9501 (legacy + 6.5, older build, 300 ops): A activated the ledger plugin right
  // after a rotation, before B's copy of the table reached it. Its CREATE TABLE went by without
  // the DDL watcher and the new table had no triggers: the table, and its first row, stayed on A.
  it('sends a table made while a rotation had taken the engine, with its rows (seed 9501)', async () => {
    const ops: Op[] = [
      { kind: 'rotate', side: 'a', args: { instances: 'all' } },
      { kind: 'activate-plugin', side: 'a', args: {} },
      { kind: 'ledger-row', side: 'a', args: { action: 'insert', pick: 0, label: 'while lost', amount: 1 } },
      { kind: 'activate-plugin', side: 'b', args: {} },
      { kind: 'flush', side: 'b', args: {} },
    ];
    expect(await replayOps(ops, { combination: LEGACY_65, linkSeed: 9501 })).toBeNull();
  });
});
