import { describe, expect, it } from 'vitest';
import { TestLink, mulberry32 } from '../harness/test-link';

describe('TestLink (test transport)', () => {
  it('delivers JSON copies in order without faults, including replies sent while delivering', async () => {
    const link = new TestLink();
    const gotB: unknown[] = [];
    const gotA: unknown[] = [];
    const sendA = link.attach('a', async (m) => void gotA.push(m));
    const sendB = link.attach('b', async (m) => {
      gotB.push(m);
      sendB({ ack: (m as { n: number }).n });
    });
    const bytes = new Uint8Array([1, 2]);
    sendA({ n: 1, bytes });
    sendA({ n: 2 });
    await link.settle();
    expect(gotB).toEqual([{ n: 1, bytes: { 0: 1, 1: 2 } }, { n: 2 }]);
    expect(gotA).toEqual([{ ack: 1 }, { ack: 2 }]);
  });

  it('duplicates, reorders and delays reproducibly for a seed', async () => {
    const run = async (seed: number) => {
      const link = new TestLink({ duplicate: 0.3, reorder: 0.5, delay: 0.3 }, seed);
      const got: number[] = [];
      const send = link.attach('a', async () => undefined);
      link.attach('b', async (m) => void got.push(m as number));
      for (let n = 0; n < 50; n++) send(n);
      await link.settle();
      return got;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(first.length).toBeGreaterThan(50);
    expect(new Set(first).size).toBe(50);
    expect(first).not.toEqual([...first].sort((x, y) => x - y));
  });

  it('loses what is in flight to and from a side that went away, held and duplicated copies included', async () => {
    const link = new TestLink({ duplicate: 0.5, delay: 0.5 }, 3);
    const got: unknown[] = [];
    const sendA = link.attach('a', async (m) => void got.push(m));
    const sendB = link.attach('b', async (m) => void got.push(m));
    for (let n = 0; n < 10; n++) {
      sendA({ from: 'a', n });
      sendB({ from: 'b', n });
    }
    expect(link.queuedFor('b').length).toBeGreaterThanOrEqual(10);
    const queued = link.pending;
    expect(link.discard('a')).toBe(queued);
    await link.settle();
    expect(got).toEqual([]);
    sendB({ after: true });
    await link.settle();
    expect(got).toEqual([{ after: true }]);
  });

  it('has a seeded random source in [0, 1)', () => {
    const values = Array.from({ length: 1000 }, mulberry32(42));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(Array.from({ length: 3 }, mulberry32(42))).toEqual(values.slice(0, 3));
  });
});
