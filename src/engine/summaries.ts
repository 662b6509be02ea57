import type { ApplyResult } from '../db';
import type { ApplyReport, FileChange } from '../files';
import type { JournalEntry } from '../protocol/journal-entry';
import { describeChange, type ChangeDescription } from '../journal/describe-change';
import { adminPathFor, conflictValues, type SiteUrls } from './conflict-values';
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

/** The technical lines a delta makes, one per kind it touches. */
function technicalLines(delta: Delta, direction: Direction, status: JournalEntry['status']): NewEntry[] {
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
  const renumber = delta.db?.renumber ?? [];
  if (renumber.length > 0) {
    entries.push({
      direction,
      kind: 'rows',
      target: nameList(renumber.map((mapping) => mapping.table)),
      summary: `${plural(renumber.length, 'row')} renumbered to low IDs`,
      status,
      detail: renumber.map((mapping) => `${mapping.table} ${mapping.high} → ${mapping.low}`).join('\n'),
    });
  }
  return entries;
}

/** The people line of a change: what it did as a person names it, when it did anything a person would name. */
function changeLine(
  described: ChangeDescription | null,
  direction: Direction,
  status: JournalEntry['status'],
  extra: Partial<NewEntry> = {},
): NewEntry | null {
  if (!described) return null;
  return {
    direction,
    kind: 'change',
    target: nameList(described.subjects),
    summary: described.summary,
    status,
    ...(described.subjects.length > 1 ? { detail: described.subjects.join('\n') } : {}),
    ...extra,
  };
}

/** Every line gets the change's key: the sent line and the lines applying it elsewhere read as one entry. */
function ofChange(delta: Delta, entries: readonly (NewEntry | null)[], from?: string): NewEntry[] {
  return entries.filter((entry): entry is NewEntry => entry !== null).map((entry) => ({ ...entry, change: delta.hlc, ...(from ? { from } : {}) }));
}

/** The journal lines a delta makes when it is sent: its people line and its technical lines. */
export function describeDelta(delta: Delta, direction: Direction, status: JournalEntry['status']): NewEntry[] {
  return ofChange(delta, [changeLine(describeChange(delta), direction, status), ...technicalLines(delta, direction, status)]);
}

/**
 * What applying a received delta did: its people line (applied, failed, or a conflict with both
 * values) and its technical lines. `siteUrls`: the site it came from, and this one.
 */
export function describeApply(delta: Delta, files: ApplyReport, db: ApplyResult | null, beaten: readonly FileChange[] = [], siteUrls?: SiteUrls): NewEntry[] {
  const from = siteUrls?.from;
  const described = describeChange(delta);
  const people = (status: JournalEntry['status'], extra: Partial<NewEntry> = {}) =>
    changeLine(described, 'received', status, extra) ?? {
      direction: 'received' as const,
      kind: 'change' as const,
      target: 'WordPress housekeeping',
      summary: 'Changes WordPress made on its own',
      status,
      ...extra,
    };
  if (files.failures.length > 0) {
    const cause = files.failures.map((failure) => `${failure.change.path}: ${failure.reason}`).join('\n');
    return ofChange(
      delta,
      [
        people('failed', { summary: `Not applied yet: ${described?.summary ?? 'a change'} (a file could not be written; it is tried again)`, detail: cause }),
        {
          direction: 'received',
          kind: 'files',
          target: nameList(files.failures.map((failure) => failure.change.path)),
          summary: `${plural(files.failures.length, 'file change')} could not be applied; will retry`,
          status: 'failed',
          detail: files.failures.map((failure) => failure.reason).join('\n'),
        },
      ],
      from,
    );
  }
  if (db?.status === 'failed') {
    const where = [db.error.table, db.error.key ? JSON.stringify(db.error.key) : ''].filter(Boolean).join(' ');
    return ofChange(
      delta,
      [
        people('failed', {
          summary: `Not applied: ${described?.summary ?? 'a change'}. Nothing of it was written: ${db.error.message}`,
          detail: `${db.error.cause}\n\nThe changes after it wait here until it is applied: once its cause is fixed, Try again.`,
        }),
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
      ],
      from,
    );
  }
  if (db?.status === 'gap') {
    // Held until the batches before it come again: the people line follows when it is applied.
    return ofChange(
      delta,
      [
        {
          direction: 'received',
          kind: 'rows',
          target: `batch ${db.seq}`,
          summary: `Batch ${db.seq} held, nothing applied: batches after ${db.appliedUpTo} are missing`,
          status: 'failed',
        },
      ],
      from,
    );
  }
  const conflicts = db?.status === 'applied' ? db.conflicts : [];
  const technical = technicalLines(delta, 'received', 'applied');
  for (const change of beaten) {
    technical.push({
      direction: 'received',
      kind: 'files',
      target: change.path,
      summary: `Conflict: both sites changed this file; this site's later change is kept on both`,
      status: 'conflict',
      detail: `The paired site's ${change.op} of ${change.path} was older and is not applied.`,
    });
  }
  for (const conflict of conflicts) {
    technical.push({
      direction: 'received',
      kind: 'rows',
      target: `${conflict.table} ${JSON.stringify(conflict.key)}`,
      summary: `Conflict: both sites changed this row; this site's later change is kept on both`,
      status: 'conflict',
      detail: conflict.reason,
      clocks: `this site ${conflict.localHlc ?? 'none'}, paired site ${conflict.remoteHlc}`,
    });
  }
  const { values, subjects } = conflictValues(delta, conflicts, beaten, siteUrls);
  if (values.length === 0) return ofChange(delta, [changeLine(described, 'received', 'applied'), ...technical], from);
  const openPath = conflicts.map((conflict) => adminPathFor(delta, conflict)).find((path) => path !== null);
  return ofChange(
    delta,
    [
      people('conflict', {
        summary: `${subjects.slice(0, 2).join(' and ')}${subjects.length > 2 ? ` and ${subjects.length - 2} more` : ''} changed on both sites at once: the later change is kept on both`,
        conflict: values,
        ...(openPath ? { openPath } : {}),
      }),
      ...technical,
    ],
    from,
  );
}
