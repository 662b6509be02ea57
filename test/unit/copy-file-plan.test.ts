import { describe, expect, it } from 'vitest';
import { Exclusions, type FileState } from '../../src/files';
import { planFileChanges, CopyRefusal, type SiteCopy, type SyncedTree } from '../../src/engine/copy';

const ROOT = '/wordpress';
const state = (sha: string, size = 1): FileState => ({ size, sha256: sha.repeat(64) });

function targetTree(files: Record<string, FileState>, directories: string[]): SyncedTree {
  return {
    root: ROOT,
    exclusions: Exclusions.forSite(ROOT, `${ROOT}/wp-content/database/.ht.sqlite`),
    manifest: { files: new Map(Object.entries(files)), directories: new Set(directories), unreadable: [] },
  };
}

function copyOf(
  files: Record<string, FileState>,
  directories: string[],
  shipped: string[],
  unreadable: string[] = [],
): SiteCopy {
  return {
    meta: {} as SiteCopy['meta'],
    files: {
      manifest: { files: new Map(Object.entries(files)), directories: new Set(directories) },
      packed: shipped.map((sha) => ({ sha256: sha.repeat(64), size: 1 })),
      unreadable,
      versions: [],
    },
  };
}

describe('planFileChanges', () => {
  it("never deletes or overwrites Playground's own files of the target (a saved site's wp-runtime.json)", () => {
    const tree = targetTree(
      { 'wp-runtime.json': state('a'), 'blueprint-bundle/blueprint.json': state('b'), 'index.php': state('c') },
      ['blueprint-bundle'],
    );
    const copy = copyOf({ 'wp-runtime.json': state('d'), 'index.php': state('c') }, [], ['d']);
    expect(planFileChanges(tree, copy)).toEqual([]);
  });

  it('deletes extra nodes, creates directories, writes missing and different files', () => {
    const tree = targetTree(
      { 'wp-content/plugins/old/old.php': state('a'), 'wp-content/plugins/hello.php': state('b'), 'wp-content/index.php': state('c') },
      ['wp-content', 'wp-content/plugins', 'wp-content/plugins/old'],
    );
    const copy = copyOf(
      { 'wp-content/plugins/new/new.php': state('d'), 'wp-content/plugins/hello.php': state('e'), 'wp-content/index.php': state('c') },
      ['wp-content', 'wp-content/plugins', 'wp-content/plugins/new'],
      ['d', 'e'],
    );
    expect(planFileChanges(tree, copy).map((change) => `${change.op} ${change.path}`)).toEqual([
      'delete wp-content/plugins/old',
      'mkdir wp-content/plugins/new',
      'write wp-content/plugins/hello.php',
      'write wp-content/plugins/new/new.php',
    ]);
  });

  it("never touches this site's excluded paths, its database directory included", () => {
    const tree = targetTree({ 'wp-content/database/.ht.sqlite': state('a'), 'wp-content/debug.log': state('b') }, [
      'wp-content',
      'wp-content/database',
    ]);
    const copy = copyOf({ 'wp-content/database/other.sqlite': state('c') }, ['wp-content', 'wp-content/database'], ['c']);
    expect(planFileChanges(tree, copy)).toEqual([]);
  });

  it('keeps what the source could not read', () => {
    const tree = targetTree({ 'wp-content/uploads/private/a.jpg': state('a') }, ['wp-content', 'wp-content/uploads', 'wp-content/uploads/private']);
    const copy = copyOf({}, ['wp-content', 'wp-content/uploads'], [], ['wp-content/uploads/private']);
    expect(planFileChanges(tree, copy)).toEqual([]);
  });

  it('refuses, naming the files, when bytes this site lacks are not in the copy', () => {
    const tree = targetTree({}, ['wp-content']);
    const copy = copyOf({ 'wp-content/a.php': state('a'), 'wp-content/b.php': state('b') }, ['wp-content'], ['a']);
    expect(() => planFileChanges(tree, copy)).toThrow(CopyRefusal);
    expect(() => planFileChanges(tree, copy)).toThrow('lacks the bytes of 1 file(s) this site does not hold (wp-content/b.php)');
  });
});
