import type { OutboxEntry, OutboxState } from './sequencing';

/**
 * When unacknowledged deltas go out again on their own (a tab's timer asks every few seconds):
 * not while acknowledgements keep coming (the peer is busy applying, not missing anything), not
 * from a delta the peer refused on (it holds that one and the rest until the user retries, and
 * asks for them itself if it lost them), and less and less often while nothing is heard.
 */

/** Wait after a delta's first send; it doubles with each attempt. */
export const FIRST_RESEND_MS = 3_000;
export const MAX_RESEND_MS = 60_000;

export function resendDelayMs(attempts: number): number {
  return Math.min(MAX_RESEND_MS, FIRST_RESEND_MS * 2 ** Math.max(0, attempts - 1));
}

export interface ResendState {
  /** When the peer last acknowledged something new (ms, same clock as `nowMs`). */
  readonly lastProgressMs: number;
  /** The first seq the peer refused to apply (nack), or null. */
  readonly refusedFrom: number | null;
}

/** The unacknowledged deltas due to go out again at `nowMs`, oldest first. */
export function deltasToResend<P>(outbox: OutboxState<P>, nowMs: number, state: ResendState): readonly OutboxEntry<P>[] {
  return outbox.unacked.filter((entry) => {
    if (state.refusedFrom !== null && entry.seq >= state.refusedFrom) return false;
    if (entry.sentAt === null) return true;
    return nowMs - Math.max(entry.sentAt, state.lastProgressMs) >= resendDelayMs(entry.attempts);
  });
}
