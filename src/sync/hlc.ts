import * as v from 'valibot';
import { isValidId } from '../protocol/ids';

/**
 * Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter for events in
 * the same millisecond (or while the wall clock lags a peer's), plus the peer id as the final
 * tie-break. Every timestamp a peer issues is strictly greater than every timestamp it issued
 * or received before, so "last writer wins" has one answer on both sides.
 */
export interface Hlc {
  readonly ms: number;
  readonly counter: number;
  readonly peer: string;
}

/** 12 hex digits: enough until the year 10889. */
export const MAX_HLC_MS = 0xffff_ffff_ffff;
/** 4 hex digits; past this the clock borrows the next millisecond instead of overflowing. */
export const MAX_HLC_COUNTER = 0xffff;
/** A remote clock further ahead of our wall clock than this is refused rather than adopted. */
export const DEFAULT_MAX_DRIFT_MS = 10 * 60 * 1000;

const MS_DIGITS = 12;
const COUNTER_DIGITS = 4;

/**
 * `<ms:12 hex>.<counter:4 hex>.<peer>`: fixed-width lowercase hex, so comparing two encoded
 * clocks as byte strings (JS `<`, PHP `strcmp`, SQLite `<` on TEXT) gives the same order as
 * `compareHlc`. Dots are only separators: ms and counter have fixed positions.
 */
export const HLC_STRING_PATTERN = /^[0-9a-f]{12}\.[0-9a-f]{4}\.[A-Za-z0-9-]{1,64}$/;

export const HlcStringSchema = v.pipe(
  v.string(),
  v.regex(HLC_STRING_PATTERN, 'an HLC is "<12 hex digits>.<4 hex digits>.<peer id>"'),
);

export class ClockDriftError extends Error {
  constructor(
    readonly aheadMs: number,
    readonly limitMs: number,
  ) {
    super(`Remote clock is ${aheadMs} ms ahead of the wall clock (limit ${limitMs} ms); refusing to adopt it`);
    this.name = 'ClockDriftError';
  }
}

export function zeroHlc(peer: string): Hlc {
  assertPeer(peer);
  return { ms: 0, counter: 0, peer };
}

export function compareHlc(a: Hlc, b: Hlc): -1 | 0 | 1 {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.peer === b.peer) return 0;
  return a.peer < b.peer ? -1 : 1;
}

/** The timestamp for a local event: after `last` and not behind the wall clock. */
export function hlcNow(last: Hlc, wallMs: number): Hlc {
  const wall = checkedWall(wallMs);
  if (wall > last.ms) return { ms: wall, counter: 0, peer: last.peer };
  return bump(last.ms, last.counter + 1, last.peer);
}

/**
 * The timestamp after receiving `remote`: after both `last` and `remote`, so a local write made
 * after applying a remote one always wins over it. Throws `ClockDriftError` when `remote` is
 * more than `maxDriftMs` ahead of the wall clock (a forged or broken clock would otherwise drag
 * this one into the future for good).
 */
export function hlcReceive(last: Hlc, remote: Hlc, wallMs: number, maxDriftMs = DEFAULT_MAX_DRIFT_MS): Hlc {
  const wall = checkedWall(wallMs);
  assertHlc(remote);
  if (remote.ms - wall > maxDriftMs) throw new ClockDriftError(remote.ms - wall, maxDriftMs);
  const ms = Math.max(last.ms, remote.ms, wall);
  if (ms === last.ms && ms === remote.ms) return bump(ms, Math.max(last.counter, remote.counter) + 1, last.peer);
  if (ms === last.ms) return bump(ms, last.counter + 1, last.peer);
  if (ms === remote.ms) return bump(ms, remote.counter + 1, last.peer);
  return { ms, counter: 0, peer: last.peer };
}

export function encodeHlc(clock: Hlc): string {
  assertHlc(clock);
  return `${clock.ms.toString(16).padStart(MS_DIGITS, '0')}.${clock.counter
    .toString(16)
    .padStart(COUNTER_DIGITS, '0')}.${clock.peer}`;
}

/** Parses `encodeHlc` output; `null` for anything else. */
export function decodeHlc(text: string): Hlc | null {
  if (!HLC_STRING_PATTERN.test(text)) return null;
  return {
    ms: Number.parseInt(text.slice(0, MS_DIGITS), 16),
    counter: Number.parseInt(text.slice(MS_DIGITS + 1, MS_DIGITS + 1 + COUNTER_DIGITS), 16),
    peer: text.slice(MS_DIGITS + COUNTER_DIGITS + 2),
  };
}

export interface HlcClock {
  readonly peer: string;
  /** Stamps a local event. */
  now(): Hlc;
  /** Merges a received timestamp (see `hlcReceive`) and returns the new local time. */
  receive(remote: Hlc): Hlc;
  /** The latest timestamp issued: persist it (encoded) so a reload never goes back in time. */
  last(): Hlc;
}

export interface HlcClockOptions {
  readonly wallClock?: () => number;
  /** A persisted `last()` (object or encoded), restored after a reload. */
  readonly resumeFrom?: Hlc | string;
  readonly maxDriftMs?: number;
}

/** A stateful wrapper over `hlcNow` / `hlcReceive` for one peer. */
export function createHlcClock(peer: string, options: HlcClockOptions = {}): HlcClock {
  const wallClock = options.wallClock ?? Date.now;
  let last = zeroHlc(peer);
  if (options.resumeFrom !== undefined) {
    const resumed = typeof options.resumeFrom === 'string' ? decodeHlc(options.resumeFrom) : options.resumeFrom;
    if (resumed === null) throw new Error(`Cannot resume the clock from ${String(options.resumeFrom)}`);
    assertHlc(resumed);
    last = { ms: resumed.ms, counter: resumed.counter, peer };
  }
  return {
    peer,
    now: () => (last = hlcNow(last, wallClock())),
    receive: (remote) => (last = hlcReceive(last, remote, wallClock(), options.maxDriftMs)),
    last: () => last,
  };
}

function bump(ms: number, counter: number, peer: string): Hlc {
  if (counter <= MAX_HLC_COUNTER) return { ms, counter, peer };
  if (ms >= MAX_HLC_MS) throw new RangeError('HLC exhausted');
  return { ms: ms + 1, counter: 0, peer };
}

function checkedWall(wallMs: number): number {
  if (!Number.isFinite(wallMs) || wallMs < 0) throw new RangeError(`Bad wall clock reading ${wallMs}`);
  return Math.min(Math.floor(wallMs), MAX_HLC_MS);
}

function assertPeer(peer: string): void {
  if (!isValidId(peer)) throw new RangeError(`Bad peer id ${JSON.stringify(peer)}`);
}

function assertHlc(clock: Hlc): void {
  assertPeer(clock.peer);
  if (!Number.isSafeInteger(clock.ms) || clock.ms < 0 || clock.ms > MAX_HLC_MS) {
    throw new RangeError(`Bad HLC milliseconds ${clock.ms}`);
  }
  if (!Number.isSafeInteger(clock.counter) || clock.counter < 0 || clock.counter > MAX_HLC_COUNTER) {
    throw new RangeError(`Bad HLC counter ${clock.counter}`);
  }
}
