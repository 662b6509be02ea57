import type { ApplyResult } from '../db';
import type { ApplyReport, FileChange } from '../files';
import type { JournalEntry } from '../journal/entry';
import type { Delta } from './delta';

type Direction = JournalEntry['direction'];
type NewEntry = Omit<JournalEntry, 'id' | 'time' | 'site'>;

const MAX_NAMED = 5;

/** "wp_posts, wp_postmeta and 3 more" */
export function nameList(names: readonly string[]): string {
  const unique = [...new Set(names)];
  if (unique.length <= MAX_NAMED) return unique.join(', ');
  return `${unique.slice(0, MAX_NAMED).join(', ')} and ${unique.length - MAX_NAMED} more`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function describeFiles(files: readonly FileChange[]): string {
  const counts = new Map<string, number>();
  for (const change of files) counts.set(change.op, (counts.get(change.op) ?? 0) + 1);
  const words: Record<FileChange['op'], string> = { write: 'written', delete: 'deleted', rename: 'renamed', mkdir: 'folder(s) created' };
  return [...counts].map(([op, count]) => `${count} ${words[op as FileChange['op']]}`).join(', ');
}

/** The journal lines a delta makes, one per kind it touches, before it is applied anywhere. */
export function describeDelta(delta: Delta, direction: Direction, status: JournalEntry['status']): NewEntry[] {
  const entries: NewEntry[] = [];
  if (delta.files.length > 0) {
    entries.push({
      direction,
      kind: 'files',
      target: nameList(delta.files.map((change) => change.path)),
      summary: `${plural(delta.files.length, 'file change')}: ${describeFiles(delta.files)}`,
      status,
    });
  }
  if (delta.db && delta.db.ddl.length > 0) {
    entries.push({
      direction,
      kind: 'schema',
      target: nameList(delta.db.ddl.map((change) => change.table)),
      summary: `${plural(delta.db.ddl.length, 'schema change')}`,
      status,
      detail: delta.db.ddl.map((change) => change.sql).join(';\n'),
    });
  }
  if (delta.db && delta.db.rows.length > 0) {
    const upserts = delta.db.rows.filter((row) => row.op === 'upsert').length;
    const deletes = delta.db.rows.length - upserts;
    entries.push({
      direction,
      kind: 'rows',
      target: nameList(delta.db.rows.map((row) => row.table)),
      summary: [upserts ? `${plural(upserts, 'row')} written` : '', deletes ? `${plural(deletes, 'row')} deleted` : '']
        .filter(Boolean)
        .join(', '),
      status,
    });
  }
  return entries;
}

/**
 * What applying a received delta did: applied lines, one per conflict (`beaten`: file changes a
 * newer local change won over), or the failure and its cause.
 */
export function describeApply(delta: Delta, files: ApplyReport, db: ApplyResult | null, beaten: readonly FileChange[] = []): NewEntry[] {
  if (files.failures.length > 0) {
    return [
      {
        direction: 'received',
        kind: 'files',
        target: nameList(files.failures.map((failure) => failure.change.path)),
        summary: `${plural(files.failures.length, 'file change')} could not be applied; will retry`,
        status: 'failed',
        detail: files.failures.map((failure) => failure.reason).join('\n'),
      },
    ];
  }
  if (db?.status === 'failed') {
    const where = [db.error.table, db.error.key ? JSON.stringify(db.error.key) : ''].filter(Boolean).join(' ');
    return [
      {
        direction: 'received',
        kind: delta.db && delta.db.ddl.length > 0 ? 'schema' : 'rows',
        target: db.error.table ?? nameList(delta.db?.rows.map((row) => row.table) ?? []),
        summary: `Batch ${db.seq} rolled back, nothing applied: ${db.error.message}`,
        status: 'failed',
        detail: [`Cause: ${db.error.cause}`, where && `Row: ${where}`, db.error.sql && `SQL: ${db.error.sql}`]
          .filter(Boolean)
          .join('\n'),
      },
    ];
  }
  if (db?.status === 'gap') {
    return [
      {
        direction: 'received',
        kind: 'rows',
        target: `batch ${db.seq}`,
        summary: `Batch ${db.seq} held, nothing applied: batches after ${db.appliedUpTo} are missing`,
        status: 'failed',
      },
    ];
  }
  const entries = describeDelta(delta, 'received', 'applied');
  for (const change of beaten) {
    entries.push({
      direction: 'received',
      kind: 'files',
      target: change.path,
      summary: `Conflict: both sites changed this file; the newer change (this site's) wins on both`,
      status: 'conflict',
      detail: `The paired site's ${change.op} of ${change.path} was older and is not applied.`,
    });
  }
  if (db?.status === 'applied') {
    for (const conflict of db.conflicts) {
      entries.push({
        direction: 'received',
        kind: 'rows',
        target: `${conflict.table} ${JSON.stringify(conflict.key)}`,
        summary: `Conflict: both sites changed this row; the newer change (this site's) wins on both`,
        status: 'conflict',
        detail: `${conflict.reason}\nlocal version ${conflict.localHlc ?? 'none'}, remote version ${conflict.remoteHlc}`,
      });
    }
  }
  return entries;
}
