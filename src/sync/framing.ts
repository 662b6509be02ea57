import * as v from 'valibot';
import { PairIdSchema, PeerIdSchema } from '../protocol/ids';
import { jsonStringBytes, utf8Bytes } from './json-size';
import { parseMessage, type Parsed } from '../protocol/validate';

/**
 * Framing, below the envelope protocol: an envelope whose JSON would make a message larger than
 * MAX_WIRE_MESSAGE_BYTES goes as `frame` messages, each carrying a slice of that JSON text; the
 * receiver joins a frame set in order and reads the result as the envelope it was. Every message
 * on the link is then at most MAX_WIRE_MESSAGE_BYTES, however big a change is.
 *
 * A frame set is all or nothing: a lost frame loses its envelope, which the protocol above sends
 * again as it would any lost envelope (a delta by its seq, a rejoin asked again, a copy retried),
 * under a new frame id. Duplicated and reordered frames are harmless.
 */

/** Largest message on the peer link, as UTF-8 JSON. */
export const MAX_WIRE_MESSAGE_BYTES = 256 * 1024;
/** Bytes of envelope JSON per frame, counted as the frame's JSON will carry them (escapes included). */
export const FRAME_DATA_BYTES = 192 * 1024;
/** Largest envelope a frame set may carry (before the receiver refuses it). */
export const MAX_FRAMED_ENVELOPE_BYTES = 512 * 1024 * 1024;
export const MAX_FRAMES = Math.ceil(MAX_FRAMED_ENVELOPE_BYTES / (FRAME_DATA_BYTES / 6));
/** Frame sets a receiver assembles at once; a new one beyond this drops the least recently touched. */
export const MAX_OPEN_FRAME_SETS = 4;

export const FRAME_KIND = 'frame';
const FRAME_VERSION = 1;

const frameId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,64}$/, 'a frame id is 1-64 letters, digits or dashes'));

export const FrameSchema = v.pipe(
  v.strictObject({
    v: v.literal(FRAME_VERSION),
    kind: v.literal(FRAME_KIND),
    pairId: PairIdSchema,
    from: PeerIdSchema,
    /** The member the envelope is for: a group's transport routes by it. */
    to: PeerIdSchema,
    frameId,
    index: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    count: v.pipe(v.number(), v.safeInteger(), v.minValue(2), v.maxValue(MAX_FRAMES)),
    /** A slice of the envelope's JSON text (never splitting a surrogate pair). */
    data: v.pipe(v.string(), v.minLength(1), v.maxLength(FRAME_DATA_BYTES)),
  }),
  v.check((frame) => frame.index < frame.count, 'index: past the frame count'),
);
export type Frame = v.InferOutput<typeof FrameSchema>;


const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * `json` (an envelope's JSON text) as frames of at most `dataBytes` each, or null when the
 * envelope fits in one message as it is.
 */
export function toFrames(
  json: string,
  sender: { readonly pairId: string; readonly from: string; readonly to: string },
  options: { readonly frameId?: string; readonly dataBytes?: number; readonly maxMessageBytes?: number } = {},
): Frame[] | null {
  const maxMessageBytes = options.maxMessageBytes ?? MAX_WIRE_MESSAGE_BYTES;
  if (json.length <= maxMessageBytes / 3 || (json.length <= maxMessageBytes && utf8Bytes(json) <= maxMessageBytes)) return null;
  const dataBytes = options.dataBytes ?? FRAME_DATA_BYTES;
  const id = options.frameId ?? crypto.randomUUID();
  const slices: string[] = [];
  for (let start = 0; start < json.length; ) {
    let end = Math.min(json.length, start + dataBytes);
    for (;;) {
      // Never between the halves of a surrogate pair: each frame must stay well-formed text.
      if (end < json.length && end > start + 1 && isLow(json.charCodeAt(end)) && isHigh(json.charCodeAt(end - 1))) end--;
      const bytes = jsonStringBytes(json.slice(start, end));
      if (bytes <= dataBytes) break;
      end = start + Math.max(1, Math.floor(((end - start) * dataBytes * 0.98) / bytes));
    }
    slices.push(json.slice(start, end));
    start = end;
  }
  return slices.map((data, index) => ({ v: FRAME_VERSION, kind: FRAME_KIND, pairId: sender.pairId, from: sender.from, to: sender.to, frameId: id, index, count: slices.length, data }));
}

export function isFrameLike(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { kind?: unknown }).kind === FRAME_KIND;
}

export type FrameArrival =
  | { readonly kind: 'partial' }
  | { readonly kind: 'complete'; readonly json: string }
  | { readonly kind: 'rejected'; readonly error: string };

interface OpenSet {
  readonly from: string;
  readonly count: number;
  readonly slices: (string | undefined)[];
  received: number;
  chars: number;
  touched: number;
}

/**
 * Joins frame sets back into envelope JSON. Bounded: at most MAX_OPEN_FRAME_SETS sets at once
 * (the least recently touched is dropped for a new one: its envelope is sent again) and no set
 * over MAX_FRAMED_ENVELOPE_BYTES.
 */
export class FrameAssembler {
  private readonly open = new Map<string, OpenSet>();
  private readonly done: string[] = [];
  private tick = 0;

  constructor(private readonly expected: { readonly pairId: string; readonly self: string; readonly peer?: string }) {}

  accept(input: unknown): FrameArrival {
    const parsed = parseFrame(input, this.expected);
    if (!parsed.ok) return { kind: 'rejected', error: parsed.error };
    const frame = parsed.value;
    // A duplicate of a set already joined (the link may deliver a frame twice).
    if (this.done.includes(frame.frameId)) return { kind: 'partial' };
    let set = this.open.get(frame.frameId);
    if (!set) {
      set = { from: frame.from, count: frame.count, slices: new Array<string | undefined>(frame.count), received: 0, chars: 0, touched: 0 };
      this.makeRoom();
      this.open.set(frame.frameId, set);
    }
    if (set.count !== frame.count) return this.refuse(frame.frameId, `frame ${frame.index} of ${frame.frameId} says ${frame.count} frames, the set ${set.count}`);
    set.touched = ++this.tick;
    if (set.slices[frame.index] !== undefined) return { kind: 'partial' };
    set.slices[frame.index] = frame.data;
    set.received += 1;
    set.chars += frame.data.length;
    if (set.chars > MAX_FRAMED_ENVELOPE_BYTES) return this.refuse(frame.frameId, `frames ${frame.frameId} carry more than ${MAX_FRAMED_ENVELOPE_BYTES} bytes`);
    if (set.received < set.count) return { kind: 'partial' };
    this.open.delete(frame.frameId);
    this.done.push(frame.frameId);
    if (this.done.length > 64) this.done.shift();
    return { kind: 'complete', json: set.slices.join('') };
  }

  /** Frame sets being joined now (for tests and diagnostics). */
  get openSets(): number {
    return this.open.size;
  }

  private makeRoom(): void {
    while (this.open.size >= MAX_OPEN_FRAME_SETS) {
      let oldest: string | null = null;
      let oldestTick = Infinity;
      for (const [id, set] of this.open) {
        if (set.touched < oldestTick) [oldest, oldestTick] = [id, set.touched];
      }
      if (oldest === null) return;
      this.open.delete(oldest);
    }
  }

  private refuse(id: string, error: string): FrameArrival {
    this.open.delete(id);
    this.done.push(id);
    return { kind: 'rejected', error: `Rejected frame: ${error}` };
  }
}

function parseFrame(input: unknown, expected: { readonly pairId: string; readonly self: string; readonly peer?: string }): Parsed<Frame> {
  const parsed = parseMessage(FrameSchema, input, 'frame');
  if (!parsed.ok) return parsed;
  const frame = parsed.value;
  if (frame.pairId !== expected.pairId) return { ok: false, error: `Rejected frame: pairId: belongs to pairing ${frame.pairId}, not ${expected.pairId}` };
  if (frame.from === expected.self) return { ok: false, error: 'Rejected frame: from: claims to come from this peer' };
  if (frame.to !== expected.self) return { ok: false, error: `Rejected frame: to: meant for ${frame.to}, not this peer` };
  if (expected.peer !== undefined && frame.from !== expected.peer) return { ok: false, error: `Rejected frame: from: ${frame.from} is not the paired peer ${expected.peer}` };
  return { ok: true, value: frame };
}
