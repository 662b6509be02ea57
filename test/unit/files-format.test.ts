import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { FileChangeBatchSchema } from '../../src/files/file-change';
import { diffManifests } from '../../src/files/manifest';
import { relativeToRoot } from '../../src/files/paths';
import { parseMessage } from '../../src/protocol/validate';
import { DIR, manifestOf, tree } from './files-fixtures';

const SHA = 'a'.repeat(64);

describe('file-change batch schema', () => {
  it('accepts the four change kinds', () => {
    const batch = {
      changes: [
        { op: 'mkdir', path: 'wp-content/plugins/demo' },
        { op: 'write', path: 'wp-content/plugins/demo/demo.php', size: 2, sha256: SHA, bytes: new Uint8Array([1, 2]) },
        { op: 'rename', path: 'wp-content/a', toPath: 'wp-content/b', nodeType: 'directory' },
        { op: 'delete', path: 'wp-content/c.txt', nodeType: 'file' },
      ],
    };
    expect(v.safeParse(FileChangeBatchSchema, batch).success).toBe(true);
  });

  it.each([
    [{ op: 'mkdir', path: '../etc' }, 'changes.0.path'],
    [{ op: 'mkdir', path: '/wordpress/x' }, 'changes.0.path'],
    [{ op: 'delete', path: 'wp-content//x', nodeType: 'file' }, 'changes.0.path'],
    [{ op: 'rename', path: 'a', toPath: 'a/../../b', nodeType: 'file' }, 'changes.0.toPath'],
    [{ op: 'write', path: 'a.txt', size: 3, sha256: SHA, bytes: new Uint8Array([1]) }, 'size does not match'],
    [{ op: 'write', path: 'a.txt', size: 1, sha256: 'ABC', bytes: new Uint8Array([1]) }, 'sha256'],
    [{ op: 'write', path: 'a.txt', size: 1, sha256: SHA, bytes: [1] }, 'Uint8Array'],
    [{ op: 'chmod', path: 'a.txt' }, 'changes.0.op'],
  ])('rejects %j with a readable reason', (change, expected) => {
    const parsed = parseMessage(FileChangeBatchSchema, { changes: [change] }, 'file batch');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(expected);
  });
});

describe('relativeToRoot', () => {
  it('keeps only paths strictly inside the root', () => {
    expect(relativeToRoot('/wordpress', '/wordpress/wp-content/a')).toBe('wp-content/a');
    expect(relativeToRoot('/wordpress/', '/wordpress/wp-content/a/')).toBe('wp-content/a');
    expect(relativeToRoot('/wordpress', '/wordpress')).toBeNull();
    expect(relativeToRoot('/wordpress', '/wordpress-old/a')).toBeNull();
    expect(relativeToRoot('/wordpress', '/tmp/a')).toBeNull();
  });
});

describe('diffManifests', () => {
  it('lists what makes the current tree equal the wanted one: deletes, then mkdirs parents first, then writes', async () => {
    const current = await manifestOf(
      tree({ a: DIR, 'a/x.txt': 'x', 'a/gone': DIR, 'a/gone/g.txt': 'g', 'a/same.txt': 's', 'a/becomes-dir': 'f' }),
    );
    const wanted = await manifestOf(
      tree({ a: DIR, 'a/x.txt': 'x2', 'a/same.txt': 's', 'a/becomes-dir': DIR, 'a/new': DIR, 'a/new/deep': DIR, 'a/new/deep/n.txt': 'n' }),
    );
    expect(diffManifests(current, wanted).map((change) => `${change.op} ${change.path}`)).toEqual([
      'delete a/becomes-dir',
      'delete a/gone',
      'mkdir a/becomes-dir',
      'mkdir a/new',
      'mkdir a/new/deep',
      'write a/new/deep/n.txt',
      'write a/x.txt',
    ]);
  });

  it('is empty for equal trees', async () => {
    const same = await manifestOf(tree({ a: DIR, 'a/x.txt': 'x' }));
    expect(diffManifests(same, same)).toEqual([]);
  });
});
