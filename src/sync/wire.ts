import * as v from 'valibot';
import { BLOB_CHUNK_BYTES } from '../files/blob-store';
import { RelativePathSchema } from '../files/file-change';
import { parseMessage, type Parsed } from '../protocol/validate';
import { MAX_WIRE_MESSAGE_BYTES, type Frame } from './framing';
import { HlcStringSchema } from './hlc';
import { jsonByteLength, utf8Bytes } from './json-size';
import { MAX_FORMER_NUMBERERS, MAX_GROUP_MEMBERS, PairIdSchema, PeerIdSchema } from '../protocol/ids';

/**
 * The envelope two peers exchange. Header on every kind:
 * - `v`: wire version; a peer refuses versions it does not speak.
 * - `pairId`: the pairing this belongs to; anything from another pairing is refused.
 * - `from`: the sending peer; `to`: the member it is for (a group's transport routes by it).
 * - `seq`: on `delta`, the batch's own sequence number (≥ 1); on every other kind, the sender's
 *   latest assigned seq (0: none yet), so a receiver notices a lost final batch
 *   (`inboxObserveSenderSeq`) without waiting for the next one.
 * - `ackUpTo`: the sender has applied every batch of the receiver's up to here (piggybacked acks).
 * - `hlc`: the sender's clock (encoded), merged by the receiver.
 * - `settled` (optional): every member of the group acknowledged the sender's deltas up to here;
 *   a receiver forgets what it kept of them for relaying (below).
 *
 * The full-state copy: the target sends `copy-request` (a fresh `copyId`, its files);
 * the source answers `copy-begin`, `-chunk`s, `-end` under that id (the copy's header:
 * description, file list, pack index); the target then pulls the database file and the pack of
 * file bytes the header names as blobs (below), and answers `copy-installed` (its `seq`:
 * where its deltas go on from) or `copy-abort` (either side: why the copy cannot be made or
 * installed).
 *
 * Resuming after a saved site reloaded (its page, and the peer in it, started over from what the
 * site kept): the reloaded peer sends `rejoin` (a fresh `rejoinId`, its files) and sends nothing
 * else until the matching `rejoined` comes; each side's deltas then go on after the other's
 * `baseSeq`, and the reloaded side sends the files of `want` as they are on it now (unless its
 * database went back behind what the answer says of it: it then asks for a full-state copy). Both carry
 * `pageSince`, when the sender's page started: a rejoin is judged by its page (a page that is
 * gone gets no answer), not by when it was stamped, since a page that asks and is asked at once
 * can stamp its own request before its answer to the other's.
 *
 * A delta's big files (and a copy's bytes) travel as blobs named by sha256 (`blob: true` writes): the receiver asks
 * for their bytes with `blob-request` (a `sha256` and an `offset`), the sender answers each with
 * a `blob-chunk` (the bytes from `offset` in `base64`, at most BLOB_CHUNK_BYTES of them, and the
 * blob's whole `size`), or `blob-missing` when it no longer has that blob. A request may carry
 * `replyTo`, the address of the asking tab's lane (below): the bytes may then come that way.
 *
 * A lane is a channel straight between the two tabs (a BroadcastChannel whose name only the two
 * peers learn, over the link), beside the link: it carries only `blob-bytes` messages, a chunk's
 * bytes as they are (structured clone, no base64, no hop through the service worker).
 *
 * A member whose state a full-state copy replaced sends `hello` to the members other than the
 * copy's source (which has `copy-installed`): its deltas go on after `seq`, and none before it
 * will come (again).
 *
 * A member that leaves the group may have sent its last deltas to only some members (its tab
 * closed, the others' sync was off). Every member keeps the deltas of the others it applied until
 * their origin says they are `settled`; when a member leaves, each one that stays sends what it
 * kept of the member gone to every other as `relay` (the delta as its origin sent it: `origin`,
 * its seq `originSeq`, the origin's `siteUrl` and `payload`). A receiver applies each in the
 * origin's order, once, as if the origin had sent it; its big files are pulled from the relayer.
 * It answers `relayed` (it has the origin's deltas `upTo` there): the relayer forgets them once
 * every member it relayed them to has them all. A member that starts over is relayed the same
 * way. A member that joins (or starts over) after a relay says `relayed` for every member gone
 * its copy names, as far as the copy has its deltas: each member relays it what it still keeps
 * past that. A member that starts over relays its own old deltas its copy handed over (those
 * some member may lack) and says `relayed` for itself: the others wait for that word too. A word
 * on a member starting over names its new life (`life`, its new site URL): a word on an earlier
 * restore, late on the link, does not count for this one.
 *
 * A member named the group's numberer in place of one that left (docs/ids.md, "A new numberer")
 * asks every member how far it holds the deltas of each former numberer (`numbering-ask`,
 * `origins`); each answers `numbering-held` (`held`: per origin it no longer has as a member, the
 * furthest delta it has, applied or waiting, `upTo`; how far it applied them, `applied`, and the
 * runs of seqs it holds past that, `runs`). The new numberer takes no low ID before it has applied
 * as far as the members' deltas reach without a hole (a delta behind seqs no member has is never
 * applied anywhere).
 *
 * Payloads (`delta.payload`, copy chunks and metadata) are opaque here: pass a schema to
 * `parseEnvelope` or validate them where they are used.
 */
export const WIRE_VERSION = 1;

export const ENVELOPE_KINDS = [
  'hello',
  'delta',
  'ack',
  'nack',
  'resend',
  'copy-begin',
  'copy-chunk',
  'copy-end',
  'copy-request',
  'copy-installed',
  'copy-abort',
  'rejoin',
  'rejoined',
  'blob-request',
  'blob-chunk',
  'blob-missing',
  'relay',
  'relayed',
  'numbering-ask',
  'numbering-held',
] as const;
export type EnvelopeKind = (typeof ENVELOPE_KINDS)[number];

/** Largest envelope accepted as one message, as UTF-8 JSON; bigger ones travel as frames (framing.ts). */
export const MAX_ENVELOPE_BYTES = MAX_WIRE_MESSAGE_BYTES;
/** Bytes of one copy chunk before base64: its envelope stays one message. */
export const COPY_CHUNK_BYTES = 144 * 1024;

const counter = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const positive = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/** Runs of a former numberer's seqs one `numbering-held` names, at most: past that a member says only `upTo`, all of it to be applied. */
export const MAX_HELD_RUNS = 256;
const siteUrl = v.pipe(v.string(), v.maxLength(500), v.url(), v.regex(/^https?:\/\//, 'a site URL is http(s)'));
/** Files a target holds in a copy request: a bare WordPress has about 2,000. */
export const MAX_REQUEST_FILES = 200_000;
const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a lowercase hex sha256'));
const copyId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,64}$/, 'a copy id is 1-64 letters, digits or dashes'));
const rejoinId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,64}$/, 'a rejoin id is 1-64 letters, digits or dashes'));
/** A site's synced files (relative path, sha256). */
const fileHashes = v.pipe(v.array(v.strictTuple([RelativePathSchema, sha256])), v.maxLength(MAX_REQUEST_FILES));

/** Where a tab's lane receives (`pgsync-lane:` and a random UUID: the name is its only secret). */
const LANE_ADDRESS_PATTERN = /^pgsync-lane:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const laneAddress = v.pipe(v.string(), v.regex(LANE_ADDRESS_PATTERN, 'not a lane address'));

/** The base64 of at most one blob chunk. */
const chunkBase64 = v.pipe(
  v.string(),
  v.maxLength(Math.ceil(BLOB_CHUNK_BYTES / 3) * 4, `more than ${BLOB_CHUNK_BYTES} bytes in one chunk`),
  v.check(isBase64Text, 'not base64'),
);

/** Any value, but there must be one (an absent payload is a malformed envelope, not an empty one). */
const present = v.custom<NonNullable<unknown> | null>((input) => input !== undefined, 'required');

function header<K extends EnvelopeKind>(kind: K) {
  return {
    v: v.literal(WIRE_VERSION),
    kind: v.literal(kind),
    pairId: PairIdSchema,
    from: PeerIdSchema,
    to: PeerIdSchema,
    seq: counter,
    ackUpTo: counter,
    hlc: HlcStringSchema,
    settled: v.optional(counter),
  };
}

/** The envelope schema with `delta.payload` checked by `payload`. */
export function envelopeSchema<TPayload extends v.GenericSchema>(payload: TPayload) {
  return v.variant('kind', [
    v.strictObject({ ...header('hello'), siteUrl }),
    v.strictObject({ ...header('delta'), seq: positive, siteUrl, payload }),
    v.strictObject(header('ack')),
    v.strictObject({ ...header('nack'), nackSeq: positive, reason: v.pipe(v.string(), v.maxLength(2000)) }),
    v.strictObject({ ...header('resend'), resendFrom: positive }),
    v.strictObject({
      ...header('copy-begin'),
      copyId,
      siteUrl,
      /** The sender's seq the copy includes: the receiver fast-forwards its cursor to it. */
      baseSeq: counter,
      /**
       * The other members' deltas the copy includes (the source had applied them, by member): the
       * receiver's links to them go on after these.
       */
      applied: v.optional(v.pipe(v.record(PeerIdSchema, counter), v.check((record) => Object.keys(record).length <= MAX_GROUP_MEMBERS, `more than ${MAX_GROUP_MEMBERS} members`))),
      chunkCount: counter,
      byteLength: counter,
      meta: present,
    }),
    v.strictObject({ ...header('copy-chunk'), copyId, index: counter, data: present }),
    v.strictObject({
      ...header('copy-end'),
      copyId,
      chunkCount: counter,
      digest: v.pipe(v.string(), v.maxLength(200)),
    }),
    v.strictObject({
      ...header('copy-request'),
      copyId,
      /** The target's files (relative path, sha256): the source ships bytes only for the others. */
      files: fileHashes,
    }),
    v.strictObject({ ...header('copy-installed'), copyId }),
    v.strictObject({ ...header('copy-abort'), copyId, reason: v.pipe(v.string(), v.maxLength(2000)) }),
    v.strictObject({
      ...header('rejoin'),
      rejoinId,
      /** When the sender's page started: a rejoin from a page older than one already heard from is from a page that is gone. */
      pageSince: HlcStringSchema,
      /** The reloaded peer's deltas go on after this seq. */
      baseSeq: counter,
      /** Its files as the reload left them. */
      files: fileHashes,
    }),
    v.strictObject({
      ...header('rejoined'),
      rejoinId,
      /** When the answering page started (as in `rejoin`). */
      pageSince: HlcStringSchema,
      /** The answering peer's deltas the reloaded one applied: the rest come again after it. */
      baseSeq: counter,
      /**
       * Database batches, as the answering site's database holds them: how far it applied the
       * reloaded site's (`appliedOfYours`), and how far the reloaded site had acknowledged its own
       * (`releasedOfMine`, no longer kept to send again). A reloaded site whose own database is
       * behind either lost writes its page made or applied before Playground saved them.
       */
      appliedOfYours: counter,
      releasedOfMine: counter,
      /** Files the answering peer wants as they are on the reloaded site (differing, and no change of its own on the way). */
      want: v.pipe(v.array(RelativePathSchema), v.maxLength(MAX_REQUEST_FILES)),
    }),
    v.strictObject({ ...header('blob-request'), sha256, offset: counter, replyTo: v.optional(laneAddress) }),
    v.strictObject({ ...header('blob-chunk'), sha256, offset: counter, size: counter, base64: chunkBase64 }),
    v.strictObject({ ...header('blob-missing'), sha256 }),
    v.strictObject({ ...header('relay'), origin: PeerIdSchema, originSeq: positive, siteUrl, payload }),
    v.strictObject({ ...header('relayed'), origin: PeerIdSchema, upTo: counter, life: v.optional(siteUrl) }),
    v.strictObject({ ...header('numbering-ask'), origins: v.pipe(v.array(PeerIdSchema), v.maxLength(MAX_FORMER_NUMBERERS)) }),
    v.strictObject({
      ...header('numbering-held'),
      held: v.pipe(
        v.array(
          v.strictObject({
            origin: PeerIdSchema,
            upTo: counter,
            applied: v.optional(counter),
            runs: v.optional(v.pipe(v.array(v.pipe(v.tuple([positive, positive]), v.check(([first, last]) => first <= last))), v.maxLength(MAX_HELD_RUNS))),
          }),
        ),
        v.maxLength(MAX_FORMER_NUMBERERS),
      ),
    }),
  ]);
}

export const EnvelopeSchema = envelopeSchema(present);

type AnyEnvelope = v.InferOutput<typeof EnvelopeSchema>;
/** An envelope whose `delta` (and `relay`) payload has type `P`. */
export type Envelope<P = unknown> = AnyEnvelope extends infer E
  ? E extends { kind: 'delta' | 'relay' }
    ? Omit<E, 'payload'> & { payload: P }
    : E
  : never;
export type EnvelopeOf<K extends EnvelopeKind, P = unknown> = Extract<Envelope<P>, { kind: K }>;
/** What a peer puts on the link: an envelope, or a frame of one too big for a single message. */
export type PeerMessage<P = unknown> = Envelope<P> | Frame;

/** A blob chunk's bytes on a lane (see above): the answer to a `blob-request` that named the lane. */
export const LaneChunkSchema = v.strictObject({
  v: v.literal(WIRE_VERSION),
  kind: v.literal('blob-bytes'),
  pairId: PairIdSchema,
  from: PeerIdSchema,
  sha256,
  offset: counter,
  size: counter,
  bytes: v.pipe(
    v.custom<Uint8Array>((input) => input instanceof Uint8Array, 'not bytes'),
    v.check((bytes) => bytes.byteLength <= BLOB_CHUNK_BYTES, `more than ${BLOB_CHUNK_BYTES} bytes in one chunk`),
  ),
});
export type LaneChunk = v.InferOutput<typeof LaneChunkSchema>;

export interface ParseEnvelopeOptions<P> {
  /** The pairing this peer is in: envelopes for any other are refused. */
  readonly pairId: string;
  /** This peer's id: an envelope claiming to come from it is an echo or a forgery. */
  readonly self?: string;
  /** The paired peer, once known: envelopes from anyone else are refused. */
  readonly peer?: string;
  /** Checks `delta.payload`; without it the payload stays `unknown`. */
  readonly payload?: v.GenericSchema<unknown, P>;
  readonly maxBytes?: number;
}

/**
 * Checks untrusted input (a JSON string or an already-decoded value) and says in one readable
 * line what is wrong, e.g. `Rejected envelope: pairId: belongs to pairing b, not a`.
 */
export function parseEnvelope<P = unknown>(input: unknown, options: ParseEnvelopeOptions<P>): Parsed<Envelope<P>> {
  const maxBytes = options.maxBytes ?? MAX_ENVELOPE_BYTES;
  const decoded = decodeBounded(input, maxBytes);
  if (!decoded.ok) return decoded;
  const value = decoded.value;

  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== WIRE_VERSION) {
    return reject(`v: unsupported wire version ${JSON.stringify(value.v)} (this peer speaks ${WIRE_VERSION})`);
  }
  const schema = options.payload ? envelopeSchema(options.payload) : EnvelopeSchema;
  const parsed = parseMessage(schema, value, 'envelope');
  if (!parsed.ok) return parsed;
  const envelope = parsed.value as Envelope<P>;

  const sender = checkSender(envelope, options);
  return sender === null ? { ok: true, value: envelope } : reject(sender);
}

/** Checks untrusted input from a lane as `parseEnvelope` checks the link's (`Rejected lane message: …`). */
export function parseLaneChunk(input: unknown, options: Pick<ParseEnvelopeOptions<unknown>, 'pairId' | 'self' | 'peer'>): Parsed<LaneChunk> {
  const parsed = parseMessage(LaneChunkSchema, input, 'lane message');
  if (!parsed.ok) return parsed;
  const sender = checkSender(parsed.value, options);
  return sender === null ? parsed : { ok: false, error: `Rejected lane message: ${sender}` };
}

/** What is wrong with who sent a message (another pairing, this peer itself, a stranger), or null. */
function checkSender(message: { pairId: string; from: string; to?: string }, options: Pick<ParseEnvelopeOptions<unknown>, 'pairId' | 'self' | 'peer'>): string | null {
  if (message.pairId !== options.pairId) return `pairId: belongs to pairing ${message.pairId}, not ${options.pairId}`;
  if (options.self !== undefined && message.from === options.self) return 'from: claims to come from this peer';
  if (options.self !== undefined && message.to !== undefined && message.to !== options.self) return `to: meant for ${message.to}, not this peer`;
  if (options.peer !== undefined && message.from !== options.peer) return `from: ${message.from} is not the paired peer ${options.peer}`;
  return null;
}

function reject(error: string): { ok: false; error: string } {
  return { ok: false, error: `Rejected envelope: ${error}` };
}

function decodeBounded(input: unknown, maxBytes: number): Parsed<unknown> {
  if (typeof input !== 'string') {
    if (input === undefined || typeof input === 'function' || typeof input === 'symbol') return reject('not a JSON value');
    let bytes: number;
    try {
      bytes = jsonByteLength(input, maxBytes);
    } catch (error) {
      return reject(`not JSON-serializable (${error instanceof Error ? error.message : String(error)})`);
    }
    return bytes > maxBytes ? reject(`larger than ${maxBytes} bytes`) : { ok: true, value: input };
  }
  if (input.length > maxBytes || utf8Bytes(input) > maxBytes) return reject(`larger than ${maxBytes} bytes`);
  try {
    return { ok: true, value: JSON.parse(input) as unknown };
  } catch {
    return reject('not valid JSON');
  }
}

/**
 * Any character but A-Z, a-z, 0-9, + and /. Written as non-ASCII or an ASCII gap: Chromium scans
 * 192 KiB with this in 0.17 ms, with the plain `[^A-Za-z0-9+/]` in 1.1 ms (measured, Chromium 150).
 */
const NOT_BASE64_DIGIT = /[^\0-\x7f]|[\0-*,-.:-@[-`{-\x7f]/;

/** Base64 with padding, checked with one scan for a foreign character (every blob chunk a tab receives is checked). */
function isBase64Text(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return !NOT_BASE64_DIGIT.test(padding === 0 ? text : text.slice(0, -padding));
}
