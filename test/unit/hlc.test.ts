import { describe, expect, it } from 'vitest';
import {
  ClockDriftError,
  MAX_HLC_COUNTER,
  compareHlc,
  createHlcClock,
  decodeHlc,
  encodeHlc,
  hlcNow,
  hlcReceive,
  zeroHlc,
  type Hlc,
} from '../../src/sync/hlc';

const at = (ms: number, counter: number, peer = 'a'): Hlc => ({ ms, counter, peer });

/** A wall clock the test moves by hand. */
function manualClock(start: number) {
  let now = start;
  return { read: () => now, set: (ms: number) => (now = ms) };
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('hlcNow', () => {
  it('follows the wall clock when it moves forward', () => {
    expect(hlcNow(at(100, 5), 200)).toEqual(at(200, 0));
  });

  it('counts events within one millisecond (a same-ms burst stays strictly increasing)', () => {
    const wall = manualClock(1_000);
    const clock = createHlcClock('a', { wallClock: wall.read });
    const burst = Array.from({ length: 1000 }, () => clock.now());
    expect(burst[0]).toEqual(at(1_000, 0));
    expect(burst[999]).toEqual(at(1_000, 999));
    for (let i = 1; i < burst.length; i += 1) {
      expect(compareHlc(burst[i - 1]!, burst[i]!)).toBe(-1);
      expect(encodeHlc(burst[i - 1]!) < encodeHlc(burst[i]!)).toBe(true);
    }
  });

  it('never goes back when the wall clock does', () => {
    const wall = manualClock(5_000);
    const clock = createHlcClock('a', { wallClock: wall.read });
    const before = clock.now();
    wall.set(1_000);
    const after = clock.now();
    expect(after).toEqual(at(5_000, 1));
    expect(compareHlc(before, after)).toBe(-1);
  });

  it('borrows the next millisecond when the counter is exhausted', () => {
    expect(hlcNow(at(100, MAX_HLC_COUNTER), 50)).toEqual(at(101, 0));
  });

  it('rejects nonsense wall clock readings', () => {
    expect(() => hlcNow(at(1, 0), Number.NaN)).toThrow(RangeError);
    expect(() => hlcNow(at(1, 0), -1)).toThrow(RangeError);
  });
});

describe('hlcReceive', () => {
  it('jumps to a remote clock that is ahead (skew) and stays after it', () => {
    const received = hlcReceive(at(1_000, 3, 'a'), at(4_000, 7, 'b'), 1_500);
    expect(received).toEqual(at(4_000, 8, 'a'));
    expect(compareHlc(received, at(4_000, 7, 'b'))).toBe(1);
    expect(compareHlc(hlcNow(received, 1_600), at(4_000, 7, 'b'))).toBe(1);
  });

  it('keeps its own time when the remote is behind', () => {
    expect(hlcReceive(at(5_000, 2), at(1_000, 9, 'b'), 3_000)).toEqual(at(5_000, 3));
  });

  it('takes the larger counter plus one when both are in the same millisecond', () => {
    expect(hlcReceive(at(5_000, 2), at(5_000, 9, 'b'), 4_000)).toEqual(at(5_000, 10));
    expect(hlcReceive(at(5_000, 9), at(5_000, 2, 'b'), 4_000)).toEqual(at(5_000, 10));
  });

  it('resets the counter when the wall clock is ahead of both', () => {
    expect(hlcReceive(at(5_000, 2), at(5_000, 9, 'b'), 6_000)).toEqual(at(6_000, 0));
  });

  it('refuses a remote clock too far in the future and keeps its own state', () => {
    const wall = manualClock(1_000);
    const clock = createHlcClock('a', { wallClock: wall.read, maxDriftMs: 60_000 });
    clock.now();
    const before = clock.last();
    expect(() => clock.receive(at(1_000 + 60_001, 0, 'b'))).toThrow(ClockDriftError);
    expect(clock.last()).toEqual(before);
    expect(clock.receive(at(1_000 + 60_000, 0, 'b'))).toEqual(at(61_000, 1));
  });

  it('refuses a malformed remote clock', () => {
    expect(() => hlcReceive(at(1, 0), at(-1, 0, 'b'), 1)).toThrow(RangeError);
    expect(() => hlcReceive(at(1, 0), at(1, 0.5, 'b'), 1)).toThrow(RangeError);
    expect(() => hlcReceive(at(1, 0), at(1, 0, 'not a peer'), 1)).toThrow(RangeError);
  });

  it('orders causally across two skewed peers exchanging messages', () => {
    const wallA = manualClock(10_000);
    const wallB = manualClock(7_000); // B's clock is 3 s behind
    const a = createHlcClock('peer-a', { wallClock: wallA.read });
    const b = createHlcClock('peer-b', { wallClock: wallB.read });
    const seen: Hlc[] = [];
    for (let round = 0; round < 50; round += 1) {
      const sentByA = a.now();
      const atB = b.receive(sentByA);
      expect(compareHlc(atB, sentByA)).toBe(1);
      const sentByB = b.now();
      const atA = a.receive(sentByB);
      expect(compareHlc(atA, sentByB)).toBe(1);
      seen.push(sentByA, atB, sentByB, atA);
      if (round % 3 === 0) wallB.set(wallB.read() + 1); // B's wall clock barely moves
    }
    const encoded = seen.map(encodeHlc);
    expect([...encoded].sort(byteOrder)).toEqual(encoded);
  });
});

describe('total order and encoding', () => {
  it('breaks ties by peer id', () => {
    expect(compareHlc(at(1, 1, 'a'), at(1, 1, 'b'))).toBe(-1);
    expect(compareHlc(at(1, 1, 'b'), at(1, 1, 'a'))).toBe(1);
    expect(compareHlc(at(1, 1, 'a'), at(1, 1, 'a'))).toBe(0);
    expect(compareHlc(at(1, 2, 'a'), at(2, 0, 'a'))).toBe(-1);
    expect(compareHlc(at(2, 0, 'a'), at(1, 9, 'z'))).toBe(1);
  });

  it('encodes compactly and round-trips', () => {
    const clock = at(1_726_000_000_123, 42, 'peer-A1');
    const text = encodeHlc(clock);
    expect(text).toBe('0191dd9dec7b.002a.peer-A1');
    expect(decodeHlc(text)).toEqual(clock);
    expect(encodeHlc(zeroHlc('x'))).toBe('000000000000.0000.x');
  });

  it('sorts encoded strings (JS and byte order alike) exactly as compareHlc does', () => {
    const peers = ['a', 'b', 'A', 'Z', '0', '9', '-', 'a-b', 'ab', 'peer-1', 'peer-10', 'peer-2'];
    const values: Hlc[] = [];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    for (let i = 0; i < 600; i += 1) {
      const ms = [0, 1, 15, 16, 255, 256, 1_726_000_000_000, 0xffff_ffff_ffff][random(8)]! + random(3);
      const counter = [0, 1, 15, 16, 255, 0xffff][random(6)]!;
      values.push(at(Math.min(ms, 0xffff_ffff_ffff), counter, peers[random(peers.length)]));
    }
    const byCompare = [...values].sort(compareHlc).map(encodeHlc);
    const byString = values.map(encodeHlc).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const byBytes = values.map(encodeHlc).sort(byteOrder);
    expect(byString).toEqual(byCompare);
    expect(byBytes).toEqual(byCompare);
  });

  it.each([
    '',
    '0191e27f48db.002a.',
    '191e27f48db.002a.p',
    '0191E27F48DB.002a.p',
    '0191e27f48db-002a-p',
    '0191e27f48db.002a.p q',
    '0191e27f48db.002a.p_q',
    `0191e27f48db.002a.${'p'.repeat(65)}`,
  ])('refuses to decode %j', (text) => {
    expect(decodeHlc(text)).toBeNull();
  });

  it('refuses to encode what it could not decode', () => {
    expect(() => encodeHlc(at(2 ** 48, 0))).toThrow(RangeError);
    expect(() => encodeHlc(at(1, 0x10000))).toThrow(RangeError);
    expect(() => encodeHlc(at(1, 0, ''))).toThrow(RangeError);
  });
});

describe('createHlcClock', () => {
  it('resumes from a persisted encoded clock without going back', () => {
    const wall = manualClock(1_000);
    const first = createHlcClock('a', { wallClock: wall.read });
    first.receive(at(50_000, 4, 'b'));
    const saved = encodeHlc(first.last());
    const second = createHlcClock('a', { wallClock: wall.read, resumeFrom: saved });
    expect(compareHlc(second.now(), decodeHlc(saved)!)).toBe(1);
  });

  it('refuses a corrupt persisted clock and a bad peer id', () => {
    expect(() => createHlcClock('a', { resumeFrom: 'garbage' })).toThrow(/Cannot resume/);
    expect(() => createHlcClock('__proto__')).toThrow(RangeError);
  });
});
