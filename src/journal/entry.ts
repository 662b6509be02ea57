import * as v from 'valibot';

/** What a journal entry is about. */
export const JOURNAL_KINDS = ['rows', 'schema', 'files', 'pairing', 'input'] as const;
/** How it ended. `rejected`: bad input refused at a boundary, nothing applied. */
export const JOURNAL_STATUSES = ['pending', 'applied', 'failed', 'conflict', 'rejected', 'info'] as const;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

/** The longest text each field of a line holds (see `fitEntry`). */
export const JOURNAL_TEXT_LIMITS = { target: 500, summary: 500, detail: 20_000 } as const;

/** One line of the sync journal, as stored, shown in the popup and exported as NDJSON. */
export const JournalEntrySchema = v.strictObject({
  id: text(64),
  /** Milliseconds since the epoch. */
  time: v.number(),
  /** Seen from the site named in `site`: sent by it, or received into it. */
  direction: v.picklist(['sent', 'received', 'local']),
  site: text(200),
  kind: v.picklist(JOURNAL_KINDS),
  /** The table(s) or path(s) concerned. */
  target: text(JOURNAL_TEXT_LIMITS.target),
  /** One readable sentence: what happened, never a stack trace. */
  summary: text(JOURNAL_TEXT_LIMITS.summary),
  status: v.picklist(JOURNAL_STATUSES),
  /** More for the details view: the cause of a failure, both sides of a conflict. */
  detail: v.optional(text(JOURNAL_TEXT_LIMITS.detail)),
  /**
   * How many more times the same thing happened since (a failure that keeps recurring, e.g. a
   * batch resent and refused again): the line is sent again under its id with the count, never
   * repeated.
   */
  repeats: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
export type JournalEntry = v.InferOutput<typeof JournalEntrySchema>;
export type JournalKind = JournalEntry['kind'];
export type JournalStatus = JournalEntry['status'];
