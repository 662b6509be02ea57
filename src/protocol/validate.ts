import * as v from 'valibot';

/** Largest message any boundary accepts before it is even parsed (forged or runaway payloads). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Checks untrusted input against a schema and says in one readable line what is wrong, so the
 * reason can go to the journal as it is.
 */
export function parseMessage<TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
  what: string,
): Parsed<v.InferOutput<TSchema>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  return { ok: false, error: `Rejected ${what}: ${path ? `${path}: ` : ''}${issue.message}` };
}
