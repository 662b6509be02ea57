import type { ApplyConflict } from '../db';
import type { Cell, RowChange } from '../db/batch';
import type { FileChange } from '../files';
import { adminPathOf, nameRow } from '../journal/describe-change';
import { CONFLICT_VALUES_MAX, type ConflictValue } from '../protocol/journal-entry';
import type { Delta } from './delta';

/** Columns that differ on every save (when, not what): never the point of a conflict. A term's `count` is recounted by each site. */
const BOOKKEEPING_COLUMNS = new Set(['post_modified', 'post_modified_gmt', 'comment_date_gmt', 'user_activation_key']);

/** The two sites' URLs: the one a change came from, and this one. */
export interface SiteUrls {
  readonly from: string;
  readonly to: string;
}

/**
 * A sent cell as this site would hold it: the sender's URL becomes this site's (as the apply
 * rewrites it), so a post's guid is not told as a conflict. Plain and JSON-escaped spellings.
 */
function hereSpelling(siteUrls: SiteUrls | undefined): (cell: Cell) => Cell {
  if (!siteUrls) return (cell) => cell;
  const from = siteUrls.from.replace(/\/+$/, '');
  const to = siteUrls.to.replace(/\/+$/, '');
  const escaped = (url: string) => url.replace(/\//g, '\\/');
  return (cell) => (typeof cell === 'string' ? cell.split(from).join(to).split(escaped(from)).join(escaped(to)) : cell);
}

function isBookkeeping(table: string, column: string): boolean {
  return BOOKKEEPING_COLUMNS.has(column) || (column === 'count' && table.endsWith('term_taxonomy'));
}

/** Column names as a person reads them. */
const FIELD_NAMES: Record<string, string> = {
  post_title: 'title',
  post_content: 'content',
  post_excerpt: 'excerpt',
  post_status: 'status',
  post_name: 'slug',
  option_value: 'value',
  meta_value: 'value',
  comment_content: 'text',
  display_name: 'display name',
  user_email: 'email',
};

const VALUE_MAX = 1_000;

function cellText(cell: Cell | undefined): string {
  if (cell === undefined || cell === null) return '(empty)';
  if (typeof cell === 'string') return cell.length > VALUE_MAX ? `${cell.slice(0, VALUE_MAX)}…` : cell;
  if (typeof cell === 'number') return String(cell);
  if ('$int' in cell) return cell.$int;
  if ('$real' in cell) return cell.$real;
  return '(binary data)';
}

const sameKey = (a: Record<string, Cell>, b: Record<string, Cell>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([column, cell]) => JSON.stringify(b[column]) === JSON.stringify(cell));

function rowOf(delta: Delta, conflict: ApplyConflict): RowChange | undefined {
  return delta.db?.rows.find((row) => row.table === conflict.table && sameKey(row.key, conflict.key));
}

/**
 * Both values of every field a conflict is about: what both sites keep (this site's, the later
 * change) and what the paired site's change would have written. At most `CONFLICT_VALUES_MAX`.
 * Empty when only rows WordPress writes on its own conflicted: no person's change was lost.
 */
export function conflictValues(
  delta: Delta,
  conflicts: readonly ApplyConflict[],
  beaten: readonly FileChange[],
  siteUrls?: SiteUrls,
): { values: ConflictValue[]; subjects: string[] } {
  const here = hereSpelling(siteUrls);
  const values: ConflictValue[] = [];
  const subjects = new Set<string>();
  for (const conflict of conflicts) {
    const remote = rowOf(delta, conflict);
    if (!remote) continue;
    const local = conflict.local;
    // Named as both sites keep it; a row WordPress writes on its own (an edit lock) is nobody's edit lost.
    const subject = nameRow(local ? { op: 'upsert', table: remote.table, key: remote.key, row: local } : remote);
    if (subject === null) continue;
    const before = values.length;
    if (remote.op === 'delete') {
      values.push({ field: subject, kept: 'kept, with this site’s later change', lost: 'deleted' });
      subjects.add(subject);
      continue;
    }
    if (local === null) {
      values.push({ field: subject, kept: 'deleted', lost: 'changed' });
      subjects.add(subject);
      continue;
    }
    if (local === undefined) {
      values.push({ field: subject, kept: 'this site’s version', lost: 'the paired site’s version' });
      subjects.add(subject);
      continue;
    }
    for (const [column, sent] of Object.entries(remote.row)) {
      const cell = here(sent);
      if (isBookkeeping(remote.table, column) || JSON.stringify(local[column]) === JSON.stringify(cell)) continue;
      values.push({ field: `${subject}: ${FIELD_NAMES[column] ?? column}`, kept: cellText(local[column]), lost: cellText(cell) });
    }
    // Only bookkeeping differed (a term's post count both sites recount): no one's edit was lost.
    if (values.length > before) subjects.add(subject);
  }
  for (const change of beaten) {
    subjects.add(`File ${change.path}`);
    values.push({ field: `File ${change.path}`, kept: 'this site’s version', lost: change.op === 'delete' ? 'deleted' : `the paired site’s ${change.op}` });
  }
  return { values: values.slice(0, CONFLICT_VALUES_MAX), subjects: [...subjects] };
}

/** Where in wp-admin the row of `conflict` can be seen, when its delta says. */
export function adminPathFor(delta: Delta, conflict: ApplyConflict): string | null {
  const remote = rowOf(delta, conflict);
  return remote ? adminPathOf(remote) : null;
}
