import type { JournalEntry } from '../protocol/journal-entry';

/** What the background itself decided or refused (pairing steps, bad messages), before it is a journal entry. */
export type BackgroundLine = Pick<JournalEntry, 'kind' | 'target' | 'summary' | 'status'> & Partial<Pick<JournalEntry, 'detail' | 'site' | 'direction'>>;

/** The journal entry of a background line, trimmed to what the journal's schema holds. */
export function backgroundEntry(line: BackgroundLine, id: string, time: number): JournalEntry {
  return {
    id,
    time,
    direction: line.direction ?? 'local',
    site: (line.site ?? 'extension').slice(0, 200),
    kind: line.kind,
    target: line.target.slice(0, 500),
    summary: line.summary.slice(0, 500),
    status: line.status,
    ...(line.detail ? { detail: line.detail.slice(0, 20_000) } : {}),
  };
}
