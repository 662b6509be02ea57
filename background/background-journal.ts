import type { JournalEntry } from '../src/protocol/journal-entry';
import { journalAppend } from './stores';

type Line = Pick<JournalEntry, 'kind' | 'target' | 'summary' | 'status'> & Partial<Pick<JournalEntry, 'detail' | 'site' | 'direction'>>;

/** Journals what the background itself decided or refused (pairing steps, bad messages). */
export function journalBackground(line: Line): Promise<unknown> {
  return journalAppend([
    {
      id: crypto.randomUUID(),
      time: Date.now(),
      direction: line.direction ?? 'local',
      site: (line.site ?? 'extension').slice(0, 200),
      kind: line.kind,
      target: line.target.slice(0, 500),
      summary: line.summary.slice(0, 500),
      status: line.status,
      ...(line.detail ? { detail: line.detail.slice(0, 20_000) } : {}),
    },
  ]);
}
