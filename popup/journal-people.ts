import { TECHNICAL_KINDS, type ConflictValue, type JournalEntry, type JournalKind, type JournalStatus } from '../src/protocol/journal-entry';

/**
 * The journal as people read it: one entry per change a person made, however many lines the
 * sites wrote about it. The line that sent a change and the lines that applied it elsewhere share
 * its `change` key and become one entry ("Post “Hello” published · A → B · Applied"); saves of the
 * same thing in a row (the block editor saves a post several times) become one entry with a
 * count; the tables and statements behind a change (technical lines) show only on request.
 */
export interface PeopleEntry {
  /** The first line's id: stable while more lines join the entry. */
  readonly id: string;
  /** The newest line's time. */
  readonly time: number;
  readonly kind: JournalKind;
  readonly summary: string;
  readonly status: JournalStatus;
  /** The site a change came from (or the site a line is about). */
  readonly from: string;
  /** The sites that received it. */
  readonly to: readonly string[];
  /** Saves of the same thing merged into this entry. */
  readonly count: number;
  readonly detail?: string | undefined;
  readonly conflict?: readonly ConflictValue[] | undefined;
  readonly openPath?: string | undefined;
  /** Every line it stands for, oldest first (the details view and the export). */
  readonly lines: readonly JournalEntry[];
}

export interface PeopleOptions {
  /** Also the technical lines of changes (tables, statements, file counts). */
  readonly technical: boolean;
}

/** How long apart saves of the same thing may be and still read as one change. */
export const SAME_CHANGE_WINDOW_MS = 2 * 60_000;

const technicalKinds: readonly string[] = TECHNICAL_KINDS;

/** Whether `line` details a change a people line already tells. */
export function isTechnical(line: JournalEntry): boolean {
  return line.change !== undefined && technicalKinds.includes(line.kind);
}

/** Oldest first, as the journal holds its lines. */
export function peopleJournal(lines: readonly JournalEntry[], options: PeopleOptions): PeopleEntry[] {
  const entries: PeopleEntry[] = [];
  const changes = new Map<string, { at: number; people: JournalEntry[]; technical: JournalEntry[] }>();
  const changeOf = (key: string) => {
    let change = changes.get(key);
    if (!change) changes.set(key, (change = { at: -1, people: [], technical: [] }));
    return change;
  };
  for (const line of lines) {
    if (line.kind === 'change' && line.change !== undefined) {
      const change = changeOf(line.change);
      change.people.push(line);
      if (change.at < 0) {
        change.at = entries.length;
        entries.push(changeEntry(change.people, change.technical));
      } else entries[change.at] = changeEntry(change.people, change.technical);
      continue;
    }
    if (isTechnical(line)) {
      // Shown on its own on request; always among the lines its change's entry stands for (details, export).
      const change = changeOf(line.change!);
      change.technical.push(line);
      if (change.at >= 0) entries[change.at] = changeEntry(change.people, change.technical);
      if (!options.technical) continue;
    }
    entries.push(lineEntry(line));
  }
  return coalesce(entries);
}

function lineEntry(line: JournalEntry): PeopleEntry {
  const rejected = line.status === 'rejected';
  return {
    id: line.id,
    time: line.time,
    kind: line.kind,
    summary: rejected ? refusalSummary(line) : `${line.summary}${isTechnical(line) ? ` · ${line.target}` : ''}${line.repeats ? ` (${line.repeats + 1} times)` : ''}`,
    status: line.status,
    from: line.site,
    to: [],
    count: 1,
    // A refusal's validator output is for the curious, in the details.
    detail: rejected ? [`Why: ${line.summary}`, line.detail].filter(Boolean).join('\n') : line.detail,
    lines: [line],
  };
}

/** A refusal said for people: what was refused and that nothing of it was used. */
export function refusalSummary(line: JournalEntry): string {
  const times = line.repeats ? ` (${line.repeats + 1} times)` : '';
  const what =
    line.target === 'peer message' || line.target.startsWith('batch ')
      ? 'a malformed message from the paired site'
      : /page|bridge/i.test(line.target)
        ? 'a message the page sent that did not come from Playground Sync'
        : `a malformed message (${line.target})`;
  return `Refused ${what}; nothing of it was used${times}`;
}

const STATUS_WEIGHT: Record<JournalStatus, number> = { failed: 5, rejected: 4, conflict: 3, pending: 2, applied: 1, info: 0 };

/** One change's lines as one entry: sent by one site, applied (or not) by the others. */
function changeEntry(people: readonly JournalEntry[], technical: readonly JournalEntry[]): PeopleEntry {
  const sent = people.find((line) => line.direction === 'sent');
  const received = people.filter((line) => line.direction === 'received');
  // Per receiving site, its newest word counts (a failure applied on a later try is applied).
  const latest = new Map<string, JournalEntry>();
  for (const line of received) latest.set(line.site, line);
  const outcomes = [...latest.values()];
  const status = outcomes.length > 0 ? outcomes.reduce((worst, line) => (STATUS_WEIGHT[line.status] > STATUS_WEIGHT[worst] ? line.status : worst), 'info' as JournalStatus) : sent!.status;
  const telling = outcomes.find((line) => line.status === status) ?? sent ?? people[0]!;
  return {
    id: people[0]!.id,
    time: Math.max(...people.map((line) => line.time)),
    kind: 'change',
    summary: telling.summary,
    status,
    from: sent?.site ?? received[0]?.from ?? '',
    to: [...latest.keys()],
    count: 1,
    detail: telling.detail,
    conflict: telling.conflict,
    openPath: telling.openPath,
    lines: [...people, ...technical].sort((a, b) => a.time - b.time),
  };
}

/** Consecutive entries about the same thing, from the same site to the same sites, all applied, close in time: one entry. */
function coalesce(entries: readonly PeopleEntry[]): PeopleEntry[] {
  const out: PeopleEntry[] = [];
  for (const entry of entries) {
    const previous = out.at(-1);
    if (
      previous &&
      entry.kind === 'change' &&
      previous.kind === 'change' &&
      entry.status === 'applied' &&
      previous.status === 'applied' &&
      entry.summary === previous.summary &&
      entry.from === previous.from &&
      entry.to.join('\n') === previous.to.join('\n') &&
      entry.time - previous.time <= SAME_CHANGE_WINDOW_MS
    ) {
      out[out.length - 1] = { ...entry, id: previous.id, count: previous.count + entry.count, lines: [...previous.lines, ...entry.lines] };
      continue;
    }
    out.push(entry);
  }
  return out;
}
