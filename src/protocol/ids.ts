import * as v from 'valibot';

/**
 * Peer and pair ids: ASCII letters, digits and dashes only. ASCII keeps JS string order equal to
 * the byte order PHP (`strcmp`) and SQLite (BINARY collation) use, which the HLC tie-break needs;
 * no underscore means no `__proto__`-style keys if an id ever indexes an object.
 */
export const ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

export const PeerIdSchema = v.pipe(v.string(), v.regex(ID_PATTERN, 'a peer id is 1-64 ASCII letters, digits or dashes'));
export const PairIdSchema = v.pipe(v.string(), v.regex(ID_PATTERN, 'a pair id is 1-64 ASCII letters, digits or dashes'));

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Tabs in one sync group, at most: every member runs a link to each other one. */
export const MAX_GROUP_MEMBERS = 16;

/** Members a group's numberer was handed over from, at most: each holds its own ID slot, of 32 (`GROUP_SLOTS`). */
export const MAX_FORMER_NUMBERERS = 32;
