import { describe, expect, it } from 'vitest';
import { encodeDelta } from '../../src/engine/delta';
import { filesWanted, lostWithReload, orderedChanges, pathsBelowFoldersOnTheWay, pathsOnTheWay } from '../../src/engine/rejoin';
import type { FileChange } from '../../src/files';

const hash = (letter: string) => letter.repeat(64);

describe('filesWanted (the reloaded site sends these as they are on it)', () => {
  const here = new Map([
    ['wp-content/plugins/a.php', hash('a')],
    ['wp-content/plugins/gone-there.php', hash('b')],
    ['wp-content/uploads/same.jpg', hash('c')],
    ['wp-content/themes/t/style.css', hash('d')],
  ]);
  const reloaded: [string, string][] = [
    ['wp-content/plugins/a.php', hash('e')],
    ['wp-content/uploads/same.jpg', hash('c')],
    ['wp-content/uploads/new.jpg', hash('f')],
    ['wp-content/themes/t/style.css', hash('0')],
  ];

  it('asks for files that differ, that only the reloaded site has, and removals of those only this site has', () => {
    expect(filesWanted(reloaded, here, [])).toEqual([
      'wp-content/plugins/a.php',
      'wp-content/plugins/gone-there.php',
      'wp-content/themes/t/style.css',
      'wp-content/uploads/new.jpg',
    ]);
  });

  it('leaves out paths with a change of this site on the way, and everything below a folder it changed', () => {
    expect(filesWanted(reloaded, here, ['wp-content/plugins/a.php', 'wp-content/themes/t'])).toEqual([
      'wp-content/plugins/gone-there.php',
      'wp-content/uploads/new.jpg',
    ]);
  });

  it('when both sites reloaded: keeps files only one has (sent, never deleted), and differences go to the first peer id', () => {
    expect(filesWanted(reloaded, here, [], { reloadedWinsDifferences: true })).toEqual([
      'wp-content/plugins/a.php',
      'wp-content/themes/t/style.css',
      'wp-content/uploads/new.jpg',
    ]);
    expect(filesWanted(reloaded, here, [], { reloadedWinsDifferences: false })).toEqual(['wp-content/uploads/new.jpg']);
  });

  it('asks for nothing when both trees are equal', () => {
    expect(filesWanted([...here], here, [])).toEqual([]);
  });
});

describe('pathsOnTheWay', () => {
  it('lists every path the pending deltas change, both ends of renames included', () => {
    const files: FileChange[] = [
      // A folder made decides nothing below it: the reloaded site's files there are still wanted.
      { op: 'mkdir', path: 'wp-content/uploads/2026/12' },
      { op: 'rename', path: 'wp-content/plugins/old', toPath: 'wp-content/plugins/new', nodeType: 'directory' },
      { op: 'delete', path: 'wp-content/uploads/x.jpg', nodeType: 'file' },
    ];
    const payload = encodeDelta({ files, db: null, hlc: '0191dd9dec7b.0000.peer-a' });
    expect(pathsOnTheWay([{ seq: 4, payload }])).toEqual(['wp-content/plugins/old', 'wp-content/plugins/new', 'wp-content/uploads/x.jpg']);
  });
});

describe('pathsBelowFoldersOnTheWay', () => {
  const pending = (files: FileChange[]) => [{ seq: 7, payload: encodeDelta({ files, db: null, hlc: '0191dd9dec7b.0000.peer-a' }) }];

  it('lists every file below a pending folder delete or move, on either site, and where the moved files land', () => {
    const files: FileChange[] = [
      { op: 'delete', path: 'wp-content/plugins/gone', nodeType: 'directory' },
      { op: 'rename', path: 'wp-content/plugins/old', toPath: 'wp-content/plugins/new', nodeType: 'directory' },
      // A file's own delete or move is settled by the file reconciliation already.
      { op: 'delete', path: 'wp-content/uploads/x.jpg', nodeType: 'file' },
    ];
    const here = ['wp-content/plugins/gone/made-later.php', 'wp-content/plugins/new/a.php', 'wp-content/uploads/y.jpg'];
    const there = ['wp-content/plugins/gone/old.php', 'wp-content/plugins/old/a.php', 'wp-content/plugins/old/b/c.php', 'wp-content/plugins/other.php'];
    expect(pathsBelowFoldersOnTheWay(pending(files), here, there)).toEqual([
      'wp-content/plugins/gone/made-later.php',
      'wp-content/plugins/gone/old.php',
      'wp-content/plugins/new/a.php',
      'wp-content/plugins/new/b/c.php',
      'wp-content/plugins/old/a.php',
      'wp-content/plugins/old/b/c.php',
    ]);
  });

  it('lists nothing when no folder change is on the way', () => {
    expect(pathsBelowFoldersOnTheWay(pending([{ op: 'delete', path: 'a.txt', nodeType: 'file' }]), ['a.txt'], ['a.txt', 'b/c.txt'])).toEqual([]);
  });
});

describe('orderedChanges', () => {
  it('puts structural changes first, in their order, then the writes', () => {
    const write: FileChange = { op: 'write', path: 'a.txt', size: 0, sha256: hash('0'), bytes: new Uint8Array() };
    const removal: FileChange = { op: 'delete', path: 'b.txt', nodeType: 'file' };
    const folder: FileChange = { op: 'mkdir', path: 'c' };
    expect(orderedChanges([write, removal, folder]).map((change) => change.op)).toEqual(['delete', 'mkdir', 'write']);
  });
});

describe('lostWithReload (what the reloaded site\'s database lacks of what its page did)', () => {
  const kept = { lastBatchSeq: 12, appliedOfPeer: 30 };

  it('finds nothing when the paired site applied no more of this site than it numbered, and sent nothing it lost', () => {
    expect(lostWithReload(kept, { appliedOfYours: 12, releasedOfMine: 30 })).toBeNull();
    expect(lostWithReload(kept, { appliedOfYours: 9, releasedOfMine: 25 })).toBeNull();
  });

  it('counts batches of its own the paired site applied beyond its last', () => {
    expect(lostWithReload(kept, { appliedOfYours: 14, releasedOfMine: 30 })).toEqual({ own: 2, applied: 0 });
  });

  it('counts batches of the paired site it had acknowledged beyond what its database applied', () => {
    expect(lostWithReload(kept, { appliedOfYours: 12, releasedOfMine: 31 })).toEqual({ own: 0, applied: 1 });
    expect(lostWithReload({ lastBatchSeq: 0, appliedOfPeer: 0 }, { appliedOfYours: 3, releasedOfMine: 4 })).toEqual({ own: 3, applied: 4 });
  });
});
