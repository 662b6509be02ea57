import type { JournalEntry } from '../src/protocol/journal-entry';

/** A journal line for input this tab refused (a forged or malformed message). */
export function rejectedInput(site: string, target: string, summary: string): JournalEntry {
  return {
    id: crypto.randomUUID(),
    time: Date.now(),
    direction: 'local',
    site: site.slice(0, 200),
    kind: 'input',
    target,
    summary: summary.slice(0, 500),
    status: 'rejected',
  };
}
