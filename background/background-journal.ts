import { backgroundEntry, type BackgroundLine } from '../src/journal/background-line';
import { journalAppend } from './stores';

/** Journals what the background itself decided or refused (bad messages; the pairing steps are the coordinator's). */
export function journalBackground(line: BackgroundLine): Promise<unknown> {
  return journalAppend([backgroundEntry(line, crypto.randomUUID(), Date.now())]);
}
