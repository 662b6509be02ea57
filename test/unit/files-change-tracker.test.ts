import { describe, expect, it } from 'vitest';
import { ChangeTracker, type TrackedOp } from '../../src/files/change-tracker';
import { DIR, applyToTree, manifestOf, recordSequence, sortedEntries, stateOf, summary, tree, type Tree } from './files-fixtures';

const create = (path: string): TrackedOp => ({ op: 'create', path, nodeType: 'file' });
const mkdir = (path: string): TrackedOp => ({ op: 'create', path, nodeType: 'directory' });
const write = (path: string): TrackedOp => ({ op: 'write', path });
const unlink = (path: string): TrackedOp => ({ op: 'delete', path, nodeType: 'file' });
const rmdir = (path: string): TrackedOp => ({ op: 'delete', path, nodeType: 'directory' });
const mvFile = (path: string, toPath: string): TrackedOp => ({ op: 'rename', path, toPath, nodeType: 'file' });
const mvDir = (path: string, toPath: string): TrackedOp => ({ op: 'rename', path, toPath, nodeType: 'directory' });

const START = tree({
  'wp-content': DIR,
  'wp-content/plugins': DIR,
  'wp-content/plugins/old': DIR,
  'wp-content/plugins/old/old.php': 'old main',
  'wp-content/plugins/old/readme.txt': 'old readme',
  'wp-content/a.txt': 'a v1',
});

/** Records the sequence, then checks the peer ends exactly like this site: the strong property. */
async function expectConverges(start: Tree, ops: TrackedOp[], end: Tree): Promise<string[]> {
  const changes = await recordSequence(start, ops, end);
  expect(sortedEntries(applyToTree(start, changes))).toEqual(sortedEntries(end));
  return summary(changes);
}

function edit(start: Tree, changes: Record<string, string | typeof DIR | null>): Tree {
  const result = new Map(start);
  for (const [path, value] of Object.entries(changes)) {
    if (value === null) result.delete(path);
    else result.set(path, value);
  }
  return result;
}

describe('ChangeTracker: new nodes', () => {
  it('a new folder with files becomes mkdir + one write per file with its final bytes', async () => {
    const end = edit(START, { 'wp-content/plugins/demo': DIR, 'wp-content/plugins/demo/demo.php': 'v3' });
    const ops = [mkdir('wp-content/plugins/demo'), create('wp-content/plugins/demo/demo.php')];
    ops.push(write('wp-content/plugins/demo/demo.php'), write('wp-content/plugins/demo/demo.php'), write('wp-content/plugins/demo/demo.php'));
    expect(await expectConverges(START, ops, end)).toEqual(['mkdir wp-content/plugins/demo', 'write wp-content/plugins/demo/demo.php = v3']);
  });

  it('a new file created then deleted leaves nothing', async () => {
    const ops = [create('wp-content/tmp.txt'), write('wp-content/tmp.txt'), unlink('wp-content/tmp.txt')];
    expect(await expectConverges(START, ops, START)).toEqual([]);
  });

  it('a new file written then renamed is one write at the final path, no rename', async () => {
    const end = edit(START, { 'wp-content/final.txt': 'x' });
    const ops = [create('wp-content/tmp.txt'), write('wp-content/tmp.txt'), mvFile('wp-content/tmp.txt', 'wp-content/final.txt')];
    expect(await expectConverges(START, ops, end)).toEqual(['write wp-content/final.txt = x']);
  });

  it('a new file renamed over a pre-existing one replaces its bytes', async () => {
    const end = edit(START, { 'wp-content/a.txt': 'a v2' });
    const ops = [create('wp-content/a.tmp'), write('wp-content/a.tmp'), mvFile('wp-content/a.tmp', 'wp-content/a.txt')];
    expect(await expectConverges(START, ops, end)).toEqual(['write wp-content/a.txt = a v2']);
  });

  it('a new folder filled and renamed is mkdir + rename + writes at the final paths', async () => {
    const end = edit(START, { 'wp-content/plugins/b': DIR, 'wp-content/plugins/b/x.php': 'x' });
    const ops = [mkdir('wp-content/plugins/a'), create('wp-content/plugins/a/x.php'), write('wp-content/plugins/a/x.php')];
    ops.push(mvDir('wp-content/plugins/a', 'wp-content/plugins/b'));
    expect(await expectConverges(START, ops, end)).toEqual([
      'mkdir wp-content/plugins/a',
      'rename directory wp-content/plugins/a -> wp-content/plugins/b',
      'write wp-content/plugins/b/x.php = x',
    ]);
  });
});

describe('ChangeTracker: pre-existing nodes (the original normalisation lost these)', () => {
  it('keeps the DELETE of a pre-existing file that was written and then deleted', async () => {
    const end = edit(START, { 'wp-content/a.txt': null });
    const ops = [write('wp-content/a.txt'), write('wp-content/a.txt'), unlink('wp-content/a.txt')];
    expect(await expectConverges(START, ops, end)).toEqual(['delete file wp-content/a.txt']);
  });

  it('keeps the RENAME of a pre-existing file written then renamed, and writes the new bytes there', async () => {
    const end = edit(START, { 'wp-content/a.txt': null, 'wp-content/b.txt': 'a v2' });
    const ops = [write('wp-content/a.txt'), mvFile('wp-content/a.txt', 'wp-content/b.txt')];
    expect(await expectConverges(START, ops, end)).toEqual(['rename file wp-content/a.txt -> wp-content/b.txt', 'write wp-content/b.txt = a v2']);
  });

  it('keeps the RENAME of a pre-existing folder with writes inside', async () => {
    const end = edit(START, {
      'wp-content/plugins/old': null,
      'wp-content/plugins/old/old.php': null,
      'wp-content/plugins/old/readme.txt': null,
      'wp-content/plugins/new': DIR,
      'wp-content/plugins/new/old.php': 'old main v2',
      'wp-content/plugins/new/readme.txt': 'old readme',
    });
    const ops = [write('wp-content/plugins/old/old.php'), mvDir('wp-content/plugins/old', 'wp-content/plugins/new')];
    expect(await expectConverges(START, ops, end)).toEqual([
      'rename directory wp-content/plugins/old -> wp-content/plugins/new',
      'write wp-content/plugins/new/old.php = old main v2',
    ]);
  });

  it('deletes a pre-existing folder tree the way PHP does it (children first), new files inside dropped', async () => {
    const end = edit(START, {
      'wp-content/plugins/old': null,
      'wp-content/plugins/old/old.php': null,
      'wp-content/plugins/old/readme.txt': null,
    });
    const ops = [create('wp-content/plugins/old/new.txt'), write('wp-content/plugins/old/new.txt')];
    ops.push(unlink('wp-content/plugins/old/new.txt'), unlink('wp-content/plugins/old/old.php'));
    ops.push(unlink('wp-content/plugins/old/readme.txt'), rmdir('wp-content/plugins/old'));
    expect(await expectConverges(START, ops, end)).toEqual([
      'delete file wp-content/plugins/old/old.php',
      'delete file wp-content/plugins/old/readme.txt',
      'delete directory wp-content/plugins/old',
    ]);
  });

  it('a swap through a temporary name replays as renames', async () => {
    const end = edit(START, { 'wp-content/a.txt': 'old readme', 'wp-content/plugins/old/readme.txt': 'a v1' });
    const ops = [
      mvFile('wp-content/a.txt', 'wp-content/swap.tmp'),
      mvFile('wp-content/plugins/old/readme.txt', 'wp-content/a.txt'),
      mvFile('wp-content/swap.tmp', 'wp-content/plugins/old/readme.txt'),
    ];
    expect(await expectConverges(START, ops, end)).toHaveLength(3);
  });

  it('a file replaced by a directory of the same name', async () => {
    const end = edit(START, { 'wp-content/a.txt': DIR, 'wp-content/a.txt/inner': 'i' });
    const ops = [unlink('wp-content/a.txt'), mkdir('wp-content/a.txt'), create('wp-content/a.txt/inner'), write('wp-content/a.txt/inner')];
    expect(await expectConverges(START, ops, end)).toEqual(['delete file wp-content/a.txt', 'mkdir wp-content/a.txt', 'write wp-content/a.txt/inner = i']);
  });
});

describe('ChangeTracker: things that are no change', () => {
  it('runtime rotation re-reporting every node with the same bytes yields nothing', async () => {
    const ops: TrackedOp[] = [];
    for (const [path, value] of START) {
      if (value === DIR) ops.push(mkdir(path));
      else ops.push(create(path), write(path));
    }
    expect(await expectConverges(START, ops, START)).toEqual([]);
  });

  it('re-writing identical bytes is no change, but a write that changes bytes is', async () => {
    expect(await expectConverges(START, [write('wp-content/a.txt')], START)).toEqual([]);
    const end = edit(START, { 'wp-content/a.txt': 'a v2' });
    expect(await expectConverges(START, [write('wp-content/a.txt')], end)).toEqual(['write wp-content/a.txt = a v2']);
  });

  it('a write back to the original bytes within one batch is no change', async () => {
    expect(await expectConverges(START, [write('wp-content/a.txt'), write('wp-content/a.txt')], START)).toEqual([]);
  });

  it('changes the peer sent (expectApplied / expectRenamed) do not come back out', async () => {
    const tracker = new ChangeTracker(await manifestOf(START));
    tracker.expectApplied('wp-content/plugins/p', 'dir');
    tracker.expectApplied('wp-content/plugins/p/p.php', await stateOf('p'));
    tracker.expectApplied('wp-content/a.txt', 'deleted');
    tracker.expectRenamed('wp-content/plugins/old', 'wp-content/plugins/older');
    const end = edit(START, {
      'wp-content/a.txt': null,
      'wp-content/plugins/p': DIR,
      'wp-content/plugins/p/p.php': 'p',
      'wp-content/plugins/old': null,
      'wp-content/plugins/old/old.php': null,
      'wp-content/plugins/old/readme.txt': null,
      'wp-content/plugins/older': DIR,
      'wp-content/plugins/older/old.php': 'old main',
      'wp-content/plugins/older/readme.txt': 'old readme',
    });
    const echo = [mkdir('wp-content/plugins/p'), create('wp-content/plugins/p/p.php'), write('wp-content/plugins/p/p.php')];
    echo.push(unlink('wp-content/a.txt'), mvDir('wp-content/plugins/old', 'wp-content/plugins/older'));
    expect(summary(await recordSequence(START, echo, end, tracker))).toEqual([]);
  });

  it('a local write racing an applied one still goes out when its bytes differ', async () => {
    const tracker = new ChangeTracker(await manifestOf(START));
    tracker.expectApplied('wp-content/a.txt', await stateOf('from peer'));
    const end = edit(START, { 'wp-content/a.txt': 'local after' });
    expect(summary(await recordSequence(START, [write('wp-content/a.txt'), write('wp-content/a.txt')], end, tracker))).toEqual([
      'write wp-content/a.txt = local after',
    ]);
  });
});

describe('ChangeTracker: reads and the synced boundary', () => {
  it('an echo hashed where it lies (bytes unread) is no change while the peer has it, and is read again once it has not', async () => {
    const path = 'wp-content/a.txt';
    const applied = await stateOf('from peer');
    const tracker = new ChangeTracker(await manifestOf(START));
    const before = tracker.checkpointPeer();
    tracker.expectApplied(path, applied);
    const [echo] = tracker.record({ op: 'write', path });
    tracker.supplyContent(echo!, { ...applied, unread: true });
    expect(tracker.unresolved().reads).toEqual([]);
    expect(tracker.takeChanges()).toEqual([]);

    const undone = new ChangeTracker(await manifestOf(START));
    undone.expectApplied(path, applied);
    const [read] = undone.record({ op: 'write', path });
    undone.supplyContent(read!, { ...applied, unread: true });
    undone.restorePeer(before, [path]); // the apply was undone, yet its bytes are what was read
    expect(undone.takeChanges()).toEqual([]);
    const [again] = undone.unresolved().reads;
    expect(again?.path).toBe(path);
    const bytes = new TextEncoder().encode('from peer');
    undone.supplyContent(again!, { ...applied, bytes });
    expect(undone.takeChanges()).toEqual([{ op: 'write', path, size: applied.size, sha256: applied.sha256, bytes }]);
  });

  it('a read that finished after its node moved away is not attached to what replaced it', async () => {
    const tracker = new ChangeTracker(await manifestOf(START));
    const [stale] = tracker.record(write('wp-content/a.txt'));
    const [movedRead] = tracker.record(mvFile('wp-content/a.txt', 'wp-content/moved.txt'));
    const [freshRead] = tracker.record(create('wp-content/a.txt'));
    const supply = async (request: typeof stale, text: string) => {
      const bytes = new TextEncoder().encode(text);
      tracker.supplyContent(request!, { bytes, size: bytes.byteLength, sha256: (await stateOf(text)).sha256 });
    };
    await supply(movedRead, 'a v2');
    await supply(freshRead, 'fresh');
    await supply(stale, 'stale bytes'); // answered last, for a node no longer at that path
    expect(tracker.unresolved().reads).toEqual([]);
    expect(summary(tracker.takeChanges())).toEqual([
      'rename file wp-content/a.txt -> wp-content/moved.txt',
      'write wp-content/a.txt = fresh',
      'write wp-content/moved.txt = a v2',
    ]);
  });

  it('a late read of a replaced file is not attached to the file renamed over it', async () => {
    const tracker = new ChangeTracker(await manifestOf(START));
    const supply = async (request: ReturnType<ChangeTracker['record']>[number] | undefined, text: string) => {
      const bytes = new TextEncoder().encode(text);
      tracker.supplyContent(request!, { bytes, size: bytes.byteLength, sha256: (await stateOf(text)).sha256 });
    };
    const [readB] = tracker.record(write('wp-content/plugins/old/readme.txt'));
    await supply(readB, 'readme v2');
    const [readA] = tracker.record(write('wp-content/a.txt'));
    tracker.record(mvFile('wp-content/plugins/old/readme.txt', 'wp-content/a.txt'));
    await supply(readA, 'a v2, overwritten'); // answered after the rename replaced a.txt
    expect(summary(tracker.takeChanges())).toEqual([
      'rename file wp-content/plugins/old/readme.txt -> wp-content/a.txt',
      'write wp-content/a.txt = readme v2',
    ]);
  });

  it('a read older than the last write of its node is not taken for the final bytes', async () => {
    const tracker = new ChangeTracker(await manifestOf(START));
    const [first] = tracker.record(write('wp-content/a.txt'));
    tracker.record(write('wp-content/a.txt'));
    const bytes = new TextEncoder().encode('between writes');
    tracker.supplyContent(first!, { bytes, size: bytes.byteLength, sha256: (await stateOf('between writes')).sha256 });
    expect(tracker.takeChanges()).toEqual([]);
    expect(tracker.unresolved().reads).toHaveLength(1);
  });

  it('a rename out of the synced set (arrives as delete) and in (arrive) are delete and create', async () => {
    const end = edit(START, {
      'wp-content/a.txt': null,
      'wp-content/plugins/fresh': DIR,
      'wp-content/plugins/fresh/fresh.php': 'f',
      'wp-content/plugins/fresh/inc': DIR,
      'wp-content/plugins/fresh/inc/x.php': 'x',
      'wp-content/uploaded.txt': 'u',
    });
    const ops: TrackedOp[] = [
      { op: 'delete', path: 'wp-content/a.txt', nodeType: 'file' },
      { op: 'arrive', path: 'wp-content/plugins/fresh', nodeType: 'directory' },
      { op: 'arrive', path: 'wp-content/uploaded.txt', nodeType: 'file' },
    ];
    expect(await expectConverges(START, ops, end)).toEqual([
      'delete file wp-content/a.txt',
      'mkdir wp-content/plugins/fresh',
      'mkdir wp-content/plugins/fresh/inc',
      'write wp-content/plugins/fresh/fresh.php = f',
      'write wp-content/plugins/fresh/inc/x.php = x',
      'write wp-content/uploaded.txt = u',
    ]);
  });

  it('a create the journal reported but that never happened (read finds nothing) is dropped', async () => {
    expect(await expectConverges(START, [create('wp-content/ghost.txt')], START)).toEqual([]);
  });

  it('a file that vanished without a journal event is deleted on the peer', async () => {
    const end = edit(START, { 'wp-content/a.txt': null });
    expect(await expectConverges(START, [write('wp-content/a.txt')], end)).toEqual(['delete file wp-content/a.txt']);
  });

  it('bytes still unknown stay pending for the next batch', async () => {
    const tracker = new ChangeTracker(await manifestOf(START));
    tracker.record(write('wp-content/a.txt'));
    expect(tracker.takeChanges()).toEqual([]);
    expect(tracker.unresolved().reads.map((read) => read.path)).toEqual(['wp-content/a.txt']);
  });
});
