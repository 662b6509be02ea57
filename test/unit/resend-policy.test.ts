import { describe, expect, it } from 'vitest';
import { deltasToResend, FIRST_RESEND_MS, MAX_RESEND_MS, resendDelayMs } from '../../src/sync/resend-policy';
import { createOutbox, outboxEnqueue, outboxMarkSent, type OutboxState } from '../../src/sync/sequencing';

function outboxOf(count: number): OutboxState<string> {
  let outbox = createOutbox<string>();
  for (let i = 1; i <= count; i++) outbox = outboxEnqueue(outbox, `delta ${i}`).state;
  return outbox;
}

const due = (outbox: OutboxState<string>, nowMs: number, lastProgressMs = 0, refusedFrom: number | null = null) =>
  deltasToResend(outbox, nowMs, { lastProgressMs, refusedFrom }).map((entry) => entry.seq);

describe('resend policy', () => {
  it('waits 3 s after a first send and doubles the wait per attempt, up to a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(resendDelayMs)).toEqual([3_000, 6_000, 12_000, 24_000, 48_000, 60_000, 60_000, 60_000]);
    expect(resendDelayMs(1)).toBe(FIRST_RESEND_MS);
    expect(resendDelayMs(50)).toBe(MAX_RESEND_MS);
  });

  it('sends what was never sent at once, and a sent delta only once its wait is over', () => {
    let outbox = outboxOf(3);
    expect(due(outbox, 0)).toEqual([1, 2, 3]);
    outbox = outboxMarkSent(outbox, [1, 2], 1_000);
    expect(due(outbox, 3_999)).toEqual([3]);
    expect(due(outbox, 4_000)).toEqual([1, 2, 3]);
    outbox = outboxMarkSent(outbox, [1], 4_000);
    expect(due(outbox, 9_999)).toEqual([2, 3]);
    expect(due(outbox, 10_000)).toEqual([1, 2, 3]);
  });

  it('sends nothing again while acknowledgements keep coming', () => {
    const outbox = outboxMarkSent(outboxOf(2), [1, 2], 0);
    expect(due(outbox, 10_000, 8_000)).toEqual([]);
    expect(due(outbox, 11_000, 8_000)).toEqual([1, 2]);
  });

  it('never sends again from the first delta the peer refused', () => {
    const outbox = outboxMarkSent(outboxOf(4), [1, 2, 3, 4], 0);
    expect(due(outbox, 3_600_000, 0, 3)).toEqual([1, 2]);
    expect(due(outbox, 3_600_000, 0, 1)).toEqual([]);
  });
});
