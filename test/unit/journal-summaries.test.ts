import { describe, expect, it } from 'vitest';
import type { ApplyResult } from '../../src/db';
import type { RowChange } from '../../src/db/batch';
import type { Delta } from '../../src/engine/delta';
import { describeApply, describeDelta } from '../../src/engine/summaries';

const A = 'https://playground.wordpress.net/scope:a';
const B = 'https://playground.wordpress.net/scope:b';
const FROM_A = { from: A, to: B };
const postRow = (title: string): Record<string, string | number> => ({
  ID: 5,
  post_type: 'post',
  post_status: 'publish',
  post_title: title,
  post_content: 'Body',
  post_date_gmt: '2026-12-04 10:00:00',
  post_modified_gmt: '2026-12-04 10:05:00',
});
const delta = (...rows: RowChange[]): Delta => ({ files: [], db: { v: 1, seq: 3, from: 'peer-a', hlc: '1764842400000:0:peer-a', rows, ddl: [] } as never, hlc: '1764842400000:0:peer-a' });
const applied = (conflicts: Extract<ApplyResult, { status: 'applied' }>['conflicts'] = []): ApplyResult => ({
  status: 'applied',
  seq: 3,
  ddlApplied: 0,
  ddlSkipped: [],
  upserted: 1,
  deleted: 0,
  localOnly: 0,
  conflicts,
});
const noFiles = { applied: 0, failures: [] };
const titleEdit = delta({ op: 'upsert', table: 'wp_posts', key: { ID: 5 }, row: { ...postRow('Title from A'), guid: `${A}/?p=5` } });

describe('journal lines of a change', () => {
  it('sends a people line and technical lines, all under the change’s key', () => {
    const lines = describeDelta(titleEdit, 'sent', 'pending');
    expect(lines.map((line) => [line.kind, line.summary, line.change])).toEqual([
      ['change', 'Post “Title from A” updated', titleEdit.hlc],
      ['rows', '1 row written', titleEdit.hlc],
    ]);
  });

  it('applies with the site it came from', () => {
    const [people] = describeApply(titleEdit, noFiles, applied(), [], FROM_A);
    expect(people).toMatchObject({ kind: 'change', status: 'applied', summary: 'Post “Title from A” updated', from: A, change: titleEdit.hlc });
  });

  it('says a conflict with both values (not the URLs each site writes its own way), the post named as both sites keep it, and clocks only for the export', () => {
    const lines = describeApply(
      titleEdit,
      noFiles,
      applied([
        {
          table: 'wp_posts',
          key: { ID: 5 },
          reason: 'the local row is newer',
          localHlc: '1764842500000:0:peer-b',
          remoteHlc: '1764842400000:0:peer-a',
          kept: 'local',
          // Its guid names this site: the same as the sent one once the sender's URL is rewritten.
          local: { ...postRow('Title from B'), guid: `${B}/?p=5`, post_modified_gmt: '2026-12-04 10:06:00' },
        },
      ]),
      [],
      FROM_A,
    );
    const people = lines.find((line) => line.kind === 'change')!;
    expect(people).toMatchObject({
      status: 'conflict',
      summary: 'Post “Title from B” changed on both sites at once: the later change is kept on both',
      conflict: [{ field: 'Post “Title from B”: title', kept: 'Title from B', lost: 'Title from A' }],
      openPath: '/wp-admin/post.php?post=5&action=edit',
    });
    const technical = lines.find((line) => line.status === 'conflict' && line.kind === 'rows')!;
    expect(technical.detail).not.toContain('1764842');
    expect(technical.clocks).toBe('this site 1764842500000:0:peer-b, paired site 1764842400000:0:peer-a');
  });

  it('keeps a conflict over an edit lock out of the people line: nobody’s edit was lost', () => {
    const lock = delta({ op: 'upsert', table: 'wp_postmeta', key: { meta_id: 9 }, row: { meta_id: 9, post_id: 5, meta_key: '_edit_lock', meta_value: '1:1' } });
    const lines = describeApply(
      lock,
      noFiles,
      applied([{ table: 'wp_postmeta', key: { meta_id: 9 }, reason: 'newer', remoteHlc: lock.hlc, kept: 'local', local: { meta_id: 9, post_id: 5, meta_key: '_edit_lock', meta_value: '2:1' } }]),
      [],
      FROM_A,
    );
    // WordPress's own write makes no people line at all; its technical line says the conflict.
    expect(lines.filter((line) => line.kind === 'change')).toEqual([]);
    expect(lines.some((line) => line.kind === 'rows' && line.status === 'conflict')).toBe(true);
  });

  it('says a failure in the change’s words, with its cause in the details', () => {
    const lines = describeApply(titleEdit, noFiles, { status: 'failed', seq: 3, error: { message: 'database is locked', cause: 'SQLITE_BUSY' } }, [], FROM_A);
    expect(lines[0]).toMatchObject({ kind: 'change', status: 'failed' });
    expect(lines[0]!.detail).toMatch(/^SQLITE_BUSY\n\nThe changes after it wait here until it is applied: once its cause is fixed, Try again\.$/);
    expect(lines[0]!.summary).toBe('Not applied: Post “Title from A” updated. Nothing of it was written: database is locked');
  });
});
