import * as v from 'valibot';

/** What a journal entry is about. */
export const JOURNAL_KINDS = ['change', 'rows', 'schema', 'files', 'pairing', 'input'] as const;
/**
 * Kinds that detail a change for its authors (tables, statements, file counts): a \`change\` line
 * says the same for people, so these are shown only on request when they carry a change key.
 */
export const TECHNICAL_KINDS = ['rows', 'schema', 'files'] as const;
/** How it ended. `rejected`: bad input refused at a boundary, nothing applied. */
export const JOURNAL_STATUSES = ['pending', 'applied', 'failed', 'conflict', 'rejected', 'info'] as const;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

/** The longest text each field of a line holds (see `fitEntry`). */
export const JOURNAL_TEXT_LIMITS = { target: 500, summary: 500, detail: 20_000 } as const;

/** Values kept per conflict line at most. */
export const CONFLICT_VALUES_MAX = 20;

/** One field both sites changed: the value kept on both, and the one overwritten. */
export const ConflictValueSchema = v.strictObject({
  /** "Post “Hello”: title" */
  field: text(200),
  kept: text(1_100),
  lost: text(1_100),
});
export type ConflictValue = v.InferOutput<typeof ConflictValueSchema>;

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
  /**
   * The change a line is about: the sending site's clock when it took it, the same on the line
   * that sent it and on every line that applied it elsewhere, so they read as one entry.
   */
  change: v.optional(text(64)),
  /** On a line about a change received: the site it came from. */
  from: v.optional(text(200)),
  /** A conflict's values: what both sites keep and what was overwritten, field by field. */
  conflict: v.optional(v.pipe(v.array(ConflictValueSchema), v.maxLength(CONFLICT_VALUES_MAX))),
  /** A page of the sites' wp-admin where the change can be seen ("/wp-admin/post.php?post=5&action=edit"). */
  openPath: v.optional(v.pipe(text(500), v.startsWith('/'))),
  /** Clock values, for the export only (people never need them). */
  clocks: v.optional(text(300)),
});
export type JournalEntry = v.InferOutput<typeof JournalEntrySchema>;
export type JournalKind = JournalEntry['kind'];
export type JournalStatus = JournalEntry['status'];
