import { describe, expect, it } from 'vitest';
import { FileVersions } from '../../src/engine/file-versions';
import type { FileChange } from '../../src/files';

const hlc = (ms: number, peer: string) => `${ms.toString(16).padStart(12, '0')}.0000.${peer}`;
const write = (path: string): FileChange => ({ op: 'write', path, size: 1, sha256: '0'.repeat(64), bytes: new Uint8Array([1]) });
const del = (path: string): FileChange => ({ op: 'delete', path, nodeType: 'file' });

describe('FileVersions: last writer wins per path', () => {
  it('applies a remote change to a path this site never changed', () => {
    const versions = new FileVersions();
    expect(versions.partition([write('a.txt')], hlc(5, 'b'))).toEqual({ apply: [write('a.txt')], beaten: [] });
  });

  it('skips a remote change older than the local one, and applies a newer one', () => {
    const versions = new FileVersions();
    versions.record([write('a.txt')], hlc(10, 'a'));
    expect(versions.partition([del('a.txt'), write('b.txt')], hlc(9, 'b'))).toEqual({ apply: [write('b.txt')], beaten: [del('a.txt')] });
    expect(versions.partition([del('a.txt')], hlc(11, 'b')).apply).toEqual([del('a.txt')]);
  });

  it('names the paths inside a folder this site changed after a given clock, and only those', () => {
    const versions = new FileVersions();
    versions.record([write('plugin/old.txt')], hlc(3, 'a'));
    versions.record([write('plugin/inc/new.txt'), write('plugin-other/x.txt')], hlc(9, 'a'));
    expect(versions.newerUnder('plugin', hlc(5, 'b'))).toEqual(['plugin/inc/new.txt']);
    expect(versions.newerUnder('plugin', hlc(10, 'b'))).toEqual([]);
  });

  it('skips a received change below a folder this site removed later, and applies one below a folder it only created', () => {
    const versions = new FileVersions();
    versions.record([{ op: 'delete', path: 'deep', nodeType: 'directory' }, { op: 'mkdir', path: 'made' }], hlc(10, 'b'));
    expect(versions.partition([write('deep/y.txt'), write('made/z.txt')], hlc(9, 'a'))).toEqual({
      apply: [write('made/z.txt')],
      beaten: [write('deep/y.txt')],
    });
    expect(versions.partition([write('deep/y.txt')], hlc(11, 'a')).apply).toEqual([write('deep/y.txt')]);
  });

  it('keeps a folder removal in force after the folder is made again (moved away and back)', () => {
    const versions = new FileVersions();
    versions.record([{ op: 'delete', path: 'deep', nodeType: 'directory' }, { op: 'mkdir', path: 'moved' }], hlc(10, 'b'));
    versions.record([{ op: 'delete', path: 'moved', nodeType: 'directory' }, { op: 'mkdir', path: 'deep' }, write('deep/old.txt')], hlc(12, 'b'));
    expect(versions.partition([write('deep/early.txt')], hlc(9, 'a')).beaten).toEqual([write('deep/early.txt')]);
    expect(versions.partition([write('deep/late.txt')], hlc(11, 'a')).apply).toEqual([write('deep/late.txt')]);
  });

  it('keeps a removal in force when it is recorded after a newer change to the same folder', () => {
    const versions = new FileVersions();
    versions.record([{ op: 'mkdir', path: 'deep' }], hlc(12, 'b'));
    versions.record([{ op: 'delete', path: 'deep', nodeType: 'directory' }], hlc(10, 'a'));
    expect(versions.partition([write('deep/early.txt')], hlc(9, 'a')).beaten).toEqual([write('deep/early.txt')]);
  });

  it('spares only what this site made or wrote later inside a folder, not what it removed there', () => {
    const versions = new FileVersions();
    versions.record([del('plugin/gone.txt'), { op: 'delete', path: 'plugin/old', nodeType: 'directory' }, write('plugin/kept.txt')], hlc(9, 'a'));
    expect(versions.newerUnder('plugin', hlc(5, 'b'))).toEqual(['plugin/kept.txt']);
  });

  it('lets an older folder delete through to a folder made again later, sparing the folder and what is newer in it', () => {
    const versions = new FileVersions();
    const removeDeep: FileChange = { op: 'delete', path: 'deep', nodeType: 'directory' };
    versions.record([removeDeep], hlc(5, 'b'));
    versions.record([{ op: 'mkdir', path: 'deep' }, write('deep/new.txt')], hlc(12, 'b'));
    expect(versions.partition([removeDeep], hlc(9, 'a')).apply).toEqual([removeDeep]);
    expect(versions.newerUnder('deep', hlc(9, 'a'))).toEqual(['deep', 'deep/new.txt']);
    versions.record([removeDeep], hlc(14, 'b'));
    expect(versions.partition([removeDeep], hlc(13, 'a')).beaten).toEqual([removeDeep]);
  });

  it('reaches the same verdict on both sites, ties broken by peer id', () => {
    const onA = new FileVersions();
    const onB = new FileVersions();
    onA.record([write('x')], hlc(7, 'a'));
    onB.record([write('x')], hlc(7, 'b'));
    const aApplies = onA.partition([write('x')], hlc(7, 'b')).apply.length === 1;
    const bApplies = onB.partition([write('x')], hlc(7, 'a')).apply.length === 1;
    expect([aApplies, bApplies]).toEqual([true, false]);
  });

  it('guards both ends of a rename', () => {
    const versions = new FileVersions();
    versions.record([write('to.txt')], hlc(10, 'a'));
    const rename: FileChange = { op: 'rename', path: 'from.txt', toPath: 'to.txt', nodeType: 'file' };
    expect(versions.partition([rename], hlc(9, 'b')).beaten).toEqual([rename]);
  });

  it("judges on a copy's target as on its source, and forgets what the target knew before", () => {
    const source = new FileVersions();
    source.record([write('a.txt'), { op: 'delete', path: 'gone', nodeType: 'directory' }], hlc(10, 'a'));
    const target = new FileVersions();
    target.record([write('mine.txt')], hlc(20, 'c'));
    target.replaceWith(source.entries());
    const received = [write('a.txt'), write('gone/y.txt'), write('mine.txt')];
    expect(target.partition(received, hlc(9, 'b'))).toEqual(source.partition(received, hlc(9, 'b')));
    expect(target.partition(received, hlc(9, 'b')).apply).toEqual([write('mine.txt')]);
  });
});
