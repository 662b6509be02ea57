import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { parseMessage, type Parsed } from '../protocol/validate';
import { PeerIdSchema } from '../protocol/ids';
import { ChangeBatchSchema, type CheckedChangeBatch } from './batch';
import { runEngineTask } from './engine-task';
import { ENGINE_DIR } from './php-sources';

/**
 * How a site's captured database changes reach the extension (src/php/capture-drain.php): at the
 * end of each request the drain moves them into the outbox table in one short transaction, and
 * only then, with no transaction open, says so with a `CHANGES_READY_TYPE` message. The
 * extension answers at once and reads the outbox itself (`pullChanges`), one pull at a time, so
 * batches come in order whichever PHP instance drained them. A batch leaves the outbox only once
 * `releaseUpTo` says the paired site acknowledged it.
 *
 * Older Playground builds listen only on the primary PHP instance: a drain on another one gets
 * no answer and appends to `CHANGES_SIGNAL_PATH` instead, which the feed checks without running PHP.
 */
export const CHANGES_READY_TYPE = 'pg-sync/changes-ready';
/** The answer that tells the drain its message was heard (anything else: it leaves the signal file). */
export const CHANGES_NOTED_REPLY = 'pg-sync/noted';
export const CHANGES_SIGNAL_PATH = `${ENGINE_DIR}/changes-waiting.ndjson`;

/** At most this much batch JSON per pull; the rest comes with the next one. */
const PULL_MAX_BYTES = 4 * 1024 * 1024;
const SIGNAL_POLL_MS = 1000;

export const ChangesReadySchema = v.strictObject({
  type: v.literal(CHANGES_READY_TYPE),
  peer: PeerIdSchema,
  /** Why capturing a request's changes failed (they wait in the changelog for the next drain). */
  error: v.optional(v.pipe(v.string(), v.maxLength(2000))),
});
export type ChangesReady = v.InferOutput<typeof ChangesReadySchema>;

/**
 * A `post_message_to_js` payload: `null` when it is someone else's message, else the validated
 * signal or a readable rejection.
 */
export function parseChangesReady(data: string): Parsed<ChangesReady> | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof decoded !== 'object' || decoded === null || (decoded as { type?: unknown }).type !== CHANGES_READY_TYPE) return null;
  return parseMessage(ChangesReadySchema, decoded, 'site message');
}

const outboxSeq = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/**
 * One row of the site's outbox as the `pull` task answers it: its place (seq), content id and
 * batch as stored, or why PHP could not hand it over (its batch is not a JSON object, its id not
 * text). Any PHP on the site can write the outbox: `checkOutboxEntry` decides what it holds.
 */
export const OutboxEntrySchema = v.union([
  v.strictObject({ seq: outboxSeq, id: v.string(), batch: v.unknown() }),
  v.strictObject({ seq: outboxSeq, invalid: v.pipe(v.string(), v.maxLength(200)) }),
]);
export type OutboxEntry = v.InferOutput<typeof OutboxEntrySchema>;

export const PullAnswerSchema = v.strictObject({
  entries: v.array(OutboxEntrySchema),
  /** More batches wait than one answer carries. */
  more: v.boolean(),
  /** Causes of drains that failed since the last pull. */
  errors: v.pipe(v.array(v.pipe(v.string(), v.maxLength(2200))), v.maxLength(100)),
});

/**
 * An outbox row as the feed takes it: a well-formed batch of this site's (`peerId`) that says the
 * place it holds in the outbox. Anything else was not written by the drain: a readable rejection.
 */
export function checkOutboxEntry(entry: OutboxEntry, peerId: string): Parsed<CheckedChangeBatch> {
  const what = `outbox batch ${entry.seq}`;
  if ('invalid' in entry) return { ok: false, error: `Rejected ${what}: ${entry.invalid}` };
  const { batch, id } = entry;
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) return { ok: false, error: `Rejected ${what}: batch: not a JSON object` };
  // The content id is kept beside the batch (it is the hash of the stored text).
  const parsed = parseMessage(ChangeBatchSchema, { ...batch, id }, what);
  if (!parsed.ok) return parsed;
  if (parsed.value.peer !== peerId) {
    // Only the engine's drain writes batches, and it writes this site's.
    return { ok: false, error: `Rejected ${what}: peer: claims to come from ${parsed.value.peer}, but this site is ${peerId}` };
  }
  if (parsed.value.seq !== entry.seq) {
    return { ok: false, error: `Rejected ${what}: seq: says ${parsed.value.seq}, but it is batch ${entry.seq} of the outbox` };
  }
  return parsed;
}

export interface PullResult {
  /** This site's batches, checked, in order. */
  readonly batches: CheckedChangeBatch[];
  /** Rows that were not (the drain's batches of) this site: their seq and why. */
  readonly rejected: { seq: number; error: string }[];
  /** More batches wait than one answer carries. */
  readonly more: boolean;
  /** Causes of drains that failed since the last pull. */
  readonly errors: string[];
}

export interface PullOptions {
  /** This site's peer id: a batch in another's name is rejected. */
  readonly peerId: string;
  /** Answer the batches after this seq. */
  readonly after: number;
  /** Forget the batches up to this seq first (the paired site has them); 0: none. */
  readonly release: number;
  /** Remove these rows first (rejected by an earlier pull: not the drain's). */
  readonly discard?: readonly number[];
  readonly maxBytes?: number;
  /** Capture the changelog into a batch first (default true); false answers only what requests drained. */
  readonly capture?: boolean;
}

/**
 * Captures what the changelog holds (changes by code that never finished a WordPress request:
 * raw PDO, bare scripts), then answers the outbox's batches after `after`, in order, each checked.
 */
export async function pullChanges(client: SiteClient, options: PullOptions): Promise<PullResult> {
  const input = {
    after: options.after,
    release: options.release,
    discard: options.discard ?? [],
    maxBytes: options.maxBytes ?? PULL_MAX_BYTES,
    capture: options.capture ?? true,
  };
  const answer = await runEngineTask(client, 'pull', input, PullAnswerSchema);
  const batches: CheckedChangeBatch[] = [];
  const rejected: { seq: number; error: string }[] = [];
  for (const entry of answer.entries) {
    const checked = checkOutboxEntry(entry, options.peerId);
    if (checked.ok) batches.push(checked.value);
    else rejected.push({ seq: entry.seq, error: checked.error });
  }
  return { batches, rejected, more: answer.more, errors: answer.errors };
}

export interface ChangeFeedOptions {
  /** This site's peer id: a signal claiming another one is rejected. */
  readonly peerId: string;
  /** Batches wait in the outbox: pull soon. */
  readonly onSignal: () => void;
  /** A drain failed; its changes wait for the next one. */
  readonly onDrainError: (cause: string) => void;
  /**
   * Input that did not hold up (any PHP on the site can post a message or write the outbox): a
   * signal of ours (`site message`) or an outbox row (`site outbox`, removed with the next pull).
   */
  readonly onRejected: (error: string, source: 'site message' | 'site outbox') => void;
  readonly signalPollMs?: number;
}

/** One site's end of the drain: hears its signals and pulls its batches in order. */
export class ChangeFeed {
  private after = 0;
  private released = 0;
  /** Outbox rows rejected and not removed yet. */
  private discard: number[] = [];
  private checking = false;
  private readonly pollTimer: ReturnType<typeof setInterval>;

  private constructor(
    private readonly client: SiteClient,
    private readonly options: ChangeFeedOptions,
    private readonly stopListening: () => Promise<void>,
  ) {
    this.pollTimer = setInterval(() => void this.checkSignalFile(), options.signalPollMs ?? SIGNAL_POLL_MS);
  }

  /** Starts listening; call before capture is installed so no signal is missed. */
  static async listen(client: SiteClient, options: ChangeFeedOptions): Promise<ChangeFeed> {
    const feed: { current?: ChangeFeed } = {};
    const stop = await client.onMessage((data) => feed.current?.onMessage(data));
    feed.current = new ChangeFeed(client, options, stop);
    return feed.current;
  }

  /**
   * The batches waiting after the last one pulled (several pulls when there is much), and drain
   * errors; once `limit` batches are in, the rest stays in the outbox (`more`). Rows that are not
   * this site's batches are reported (`onRejected`) and removed.
   */
  async pull(limit = Infinity): Promise<{ batches: CheckedChangeBatch[]; errors: string[]; more: boolean }> {
    const batches: CheckedChangeBatch[] = [];
    const errors: string[] = [];
    for (;;) {
      let result: PullResult;
      try {
        result = await pullChanges(this.client, { peerId: this.options.peerId, after: this.after, release: this.released, discard: this.discard });
      } catch (error) {
        // Batches already taken must reach the caller (`after` moved past them); the rest waits.
        if (batches.length === 0) throw error;
        return { batches, errors, more: true };
      }
      this.discard = [];
      errors.push(...result.errors);
      for (const batch of result.batches) {
        // Pulls are one at a time, so seqs only grow; anything else is the outbox going back.
        if (batch.seq <= this.after) continue;
        batches.push(batch);
        this.after = batch.seq;
      }
      for (const { seq, error } of result.rejected) {
        this.options.onRejected(error, 'site outbox');
        this.discard.push(seq);
      }
      // One more pull removes the rejected rows at once: a drain may need the numbers they took.
      if (this.discard.length > 0) continue;
      if (!result.more || batches.length >= limit) return { batches, errors, more: result.more };
    }
  }

  /** The paired site has every batch up to `seq`: the next pull removes them from the outbox. */
  releaseUpTo(seq: number): void {
    this.released = Math.max(this.released, seq);
  }

  /** The last batch the paired site acknowledged (see `releaseUpTo`). */
  get releasedUpTo(): number {
    return this.released;
  }

  /** The site's numbering started over (a full-state copy replaced its database). */
  restart(): void {
    this.after = 0;
    this.released = 0;
    this.discard = [];
  }

  async stop(): Promise<void> {
    clearInterval(this.pollTimer);
    await this.stopListening();
  }

  private onMessage(data: string): string | undefined {
    const parsed = parseChangesReady(data);
    if (parsed === null) return undefined;
    if (!parsed.ok) {
      this.options.onRejected(parsed.error, 'site message');
      return undefined;
    }
    if (parsed.value.peer !== this.options.peerId) {
      // Any PHP on the site can post; only the engine's drain speaks for this peer.
      this.options.onRejected(`Rejected site message: peer: claims to come from ${parsed.value.peer}, but this site is ${this.options.peerId}`, 'site message');
      return undefined;
    }
    if (parsed.value.error !== undefined) this.options.onDrainError(parsed.value.error);
    this.options.onSignal();
    return CHANGES_NOTED_REPLY;
  }

  private async checkSignalFile(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      if (await this.client.fileExists(CHANGES_SIGNAL_PATH)) this.options.onSignal();
    } catch {
      // The tab's client went away; the peer is being stopped.
    } finally {
      this.checking = false;
    }
  }
}
