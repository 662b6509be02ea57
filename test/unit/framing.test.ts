import { describe, expect, it } from 'vitest';
import { FRAME_DATA_BYTES, FrameAssembler, MAX_OPEN_FRAME_SETS, MAX_WIRE_MESSAGE_BYTES, toFrames, type Frame } from '../../src/sync/framing';
import { jsonStringBytes } from '../../src/sync/json-size';

const SENDER = { pairId: 'pair-1', from: 'peer-a', to: 'peer-b' };
const RECEIVER = { pairId: 'pair-1', self: 'peer-b', peer: 'peer-a' };
const utf8Bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** Deterministic text of `length` units drawn from `alphabet` (which may hold surrogate pairs). */
function text(length: number, alphabet: readonly string[], seed: number): string {
  let state = seed;
  const parts: string[] = [];
  let units = 0;
  while (units < length) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const piece = alphabet[state % alphabet.length]!;
    parts.push(piece);
    units += piece.length;
  }
  return parts.join('');
}

const envelopeJson = (body: string) => JSON.stringify({ v: 1, kind: 'delta', pairId: 'pair-1', from: 'peer-a', body });

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function assemble(frames: readonly Frame[], assembler = new FrameAssembler(RECEIVER)): string[] {
  const joined: string[] = [];
  for (const frame of frames) {
    const arrival = assembler.accept(JSON.parse(JSON.stringify(frame)));
    if (arrival.kind === 'rejected') throw new Error(arrival.error);
    if (arrival.kind === 'complete') joined.push(arrival.json);
  }
  return joined;
}

describe('framing: envelopes bigger than one message', () => {
  it('leaves an envelope that fits in one message alone', () => {
    expect(toFrames(envelopeJson('x'.repeat(200_000)), SENDER)).toBeNull();
    expect(toFrames(envelopeJson('é'.repeat(100_000)), SENDER)).toBeNull();
  });

  const alphabets: Record<string, readonly string[]> = {
    'base64 file data': ['A', 'b', '9', '+', '/', '='],
    'JSON full of quotes and backslashes': ['"', '\\', 'a', '"key":', '\\/'],
    'control characters (six bytes each escaped)': ['\u0001', '\u001f', '\n', 'x'],
    'emoji and accents (surrogate pairs)': ['🌊', 'é', 'Ü', '😀', 'a', '中'],
  };
  for (const [name, alphabet] of Object.entries(alphabets)) {
    it(`cuts ${name} into messages of at most ${MAX_WIRE_MESSAGE_BYTES} bytes that join back exactly`, () => {
      const json = envelopeJson(text(1_500_000, alphabet, name.length));
      const frames = toFrames(json, SENDER)!;
      expect(frames.length).toBeGreaterThan(1);
      for (const frame of frames) {
        expect(utf8Bytes(frame)).toBeLessThanOrEqual(MAX_WIRE_MESSAGE_BYTES);
        expect(jsonStringBytes(frame.data)).toBeLessThanOrEqual(FRAME_DATA_BYTES);
        // Well-formed text in every frame: no half of a surrogate pair at either end.
        expect(frame.data).toBe(Buffer.from(frame.data, 'utf8').toString('utf8'));
      }
      expect(new Set(frames.map((frame) => frame.frameId)).size).toBe(1);
      expect(assemble(frames)).toEqual([json]);
    });
  }

  it('counts bytes the way JSON.stringify escapes them', () => {
    for (const sample of ['plain', '"q"', 'a\\b', '\n\t\u0001', 'é中', '🌊', '\ud83c', 'x\udc00y']) {
      expect(jsonStringBytes(sample)).toBe(utf8Bytes(sample) - 2);
    }
  });

  it('joins frames that arrive out of order and twice, once', () => {
    const json = envelopeJson(text(900_000, ['a', '"', '🌊'], 7));
    const frames = toFrames(json, SENDER)!;
    const delivered = shuffled([...frames, ...frames.slice(0, 3)], 11);
    expect(assemble(delivered)).toEqual([json]);
  });

  it('waits while a frame is missing, and joins a set sent again under a new id', () => {
    const json = envelopeJson('z'.repeat(700_000));
    const assembler = new FrameAssembler(RECEIVER);
    const lost = toFrames(json, SENDER, { frameId: 'first-try' })!;
    expect(assemble(lost.slice(1), assembler)).toEqual([]);
    expect(assemble(toFrames(json, SENDER, { frameId: 'second-try' })!, assembler)).toEqual([json]);
  });

  it(`keeps at most ${MAX_OPEN_FRAME_SETS} sets open, dropping the least recently touched`, () => {
    const assembler = new FrameAssembler(RECEIVER);
    const sets = Array.from({ length: MAX_OPEN_FRAME_SETS + 2 }, (_, index) => toFrames(envelopeJson(String(index).repeat(600_000)), SENDER, { frameId: `set-${index}` })!);
    for (const frames of sets) assemble(frames.slice(0, 1), assembler);
    expect(assembler.openSets).toBe(MAX_OPEN_FRAME_SETS);
    // The first sets were dropped: their remaining frames start them over and never complete them.
    expect(assemble(sets[0]!.slice(1), assembler)).toEqual([]);
    const last = sets.at(-1)!;
    expect(assemble(last.slice(1), assembler)).toEqual([envelopeJson(String(sets.length - 1).repeat(600_000))]);
  });

  const frame: Frame = { v: 1, kind: 'frame', pairId: 'pair-1', from: 'peer-a', to: 'peer-b', frameId: 'f-1', index: 0, count: 2, data: 'abc' };
  const forged: Record<string, unknown> = {
    'an index past the count': { ...frame, index: 2 },
    'a single-frame set': { ...frame, count: 1 },
    'another pairing': { ...frame, pairId: 'pair-2' },
    'this peer as sender': { ...frame, from: 'peer-b' },
    'a third peer as sender': { ...frame, from: 'peer-c' },
    'another member as addressee': { ...frame, to: 'peer-c' },
    'a slice over the frame size': { ...frame, data: 'x'.repeat(FRAME_DATA_BYTES + 1) },
    'an empty slice': { ...frame, data: '' },
    'a path-like frame id': { ...frame, frameId: '../x' },
    'an unknown key': { ...frame, extra: true },
  };
  for (const [name, input] of Object.entries(forged)) {
    it(`refuses a frame with ${name}`, () => {
      const arrival = new FrameAssembler(RECEIVER).accept(input);
      expect(arrival.kind).toBe('rejected');
      expect(arrival.kind === 'rejected' && arrival.error).toMatch(/^Rejected frame: /);
    });
  }

  it('refuses a set whose frames disagree on the count, and does not join it', () => {
    const assembler = new FrameAssembler(RECEIVER);
    expect(assembler.accept(frame).kind).toBe('partial');
    expect(assembler.accept({ ...frame, index: 1, count: 3 }).kind).toBe('rejected');
    expect(assembler.accept({ ...frame, index: 1 }).kind).toBe('partial');
  });
});
