import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES } from '../../src/files/blob-store';
import { ENVELOPE_KINDS, MAX_ENVELOPE_BYTES, parseEnvelope, parseLaneChunk, type Envelope } from '../../src/sync/wire';

const PAIR = 'pair-1';
const SELF = 'peer-b';
const header = { v: 1, pairId: PAIR, from: 'peer-a', to: SELF, seq: 3, ackUpTo: 2, hlc: '0191dd9dec7b.0000.peer-a' };
const siteUrl = 'https://playground.wordpress.net/scope:alpha/';

const valid: Record<(typeof ENVELOPE_KINDS)[number], Record<string, unknown>> = {
  hello: { ...header, kind: 'hello', siteUrl },
  delta: { ...header, kind: 'delta', siteUrl, payload: { rows: [{ tbl: 'wp_posts', pk: [1] }] } },
  ack: { ...header, kind: 'ack' },
  nack: { ...header, kind: 'nack', nackSeq: 2, reason: 'UNIQUE constraint failed: wp_options.option_name' },
  resend: { ...header, kind: 'resend', resendFrom: 3 },
  'copy-begin': {
    ...header,
    kind: 'copy-begin',
    copyId: 'snap-1',
    siteUrl,
    baseSeq: 3,
    chunkCount: 2,
    byteLength: 300_000,
    meta: { wordpress: '6.5.5' },
  },
  'copy-chunk': { ...header, kind: 'copy-chunk', copyId: 'snap-1', index: 0, data: 'AAAA' },
  'blob-request': { ...header, kind: 'blob-request', sha256: 'a'.repeat(64), offset: 147456 },
  'blob-chunk': { ...header, kind: 'blob-chunk', sha256: 'a'.repeat(64), offset: 0, size: 3, base64: 'AAAA' },
  'blob-missing': { ...header, kind: 'blob-missing', sha256: 'a'.repeat(64) },
  'copy-end': { ...header, kind: 'copy-end', copyId: 'snap-1', chunkCount: 2, digest: 'sha256-abc' },
  'copy-request': {
    ...header,
    kind: 'copy-request',
    copyId: 'snap-1',
    files: [['wp-content/plugins/hello.php', 'a'.repeat(64)]],
  },
  'copy-installed': { ...header, kind: 'copy-installed', copyId: 'snap-1' },
  'copy-abort': { ...header, kind: 'copy-abort', copyId: 'snap-1', reason: 'WordPress 6.5.5 here, 6.7 there' },
  rejoin: { ...header, kind: 'rejoin', rejoinId: 'rejoin-1', pageSince: '0191dd9dec70.0000.peer-a', baseSeq: 0, files: [['wp-content/uploads/photo.jpg', 'b'.repeat(64)]] },
  relay: { ...header, kind: 'relay', settled: 2, origin: 'peer-c', originSeq: 4, siteUrl, payload: { rows: [{ tbl: 'wp_posts', pk: [1] }] } },
  relayed: { ...header, kind: 'relayed', origin: 'peer-c', upTo: 4 },
  'numbering-ask': { ...header, kind: 'numbering-ask', origins: ['peer-c'] },
  'numbering-held': { ...header, kind: 'numbering-held', held: [{ origin: 'peer-c', upTo: 4 }, { origin: 'peer-d', upTo: 9, applied: 2, runs: [[3, 4], [9, 9]] }] },
  rejoined: { ...header, kind: 'rejoined', rejoinId: 'rejoin-1', pageSince: '0191dd9dec70.0000.peer-a', baseSeq: 7, want: ['wp-content/uploads/photo.jpg'], appliedOfYours: 4, releasedOfMine: 9 },
};

const parse = (input: unknown) => parseEnvelope(input, { pairId: PAIR, self: SELF });

function rejection(input: unknown, options: Partial<Parameters<typeof parseEnvelope>[1]> = {}): string {
  const parsed = parseEnvelope(input, { pairId: PAIR, self: SELF, ...options });
  if (parsed.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  expect(parsed.error).toMatch(/^Rejected envelope: /);
  return parsed.error;
}

describe('parseEnvelope accepts', () => {
  it.each(ENVELOPE_KINDS)('a well-formed %s, as an object and as JSON text', (kind) => {
    expect(parse(valid[kind])).toEqual({ ok: true, value: valid[kind] });
    expect(parse(JSON.stringify(valid[kind]))).toEqual({ ok: true, value: valid[kind] });
  });

  it('seq 0 on non-delta kinds (a sender that has sent nothing yet)', () => {
    expect(parse({ ...valid.hello, seq: 0, ackUpTo: 0 }).ok).toBe(true);
  });

  it('a delta payload checked by the caller schema, typed', () => {
    const Payload = v.strictObject({ rows: v.array(v.strictObject({ tbl: v.string(), pk: v.array(v.number()) })) });
    const parsed = parseEnvelope(valid.delta, { pairId: PAIR, payload: Payload });
    expect(parsed.ok).toBe(true);
    if (parsed.ok && parsed.value.kind === 'delta') {
      const payload: { rows: { tbl: string }[] } = parsed.value.payload;
      expect(payload.rows[0]?.tbl).toBe('wp_posts');
    }
    const wrong = parseEnvelope({ ...valid.delta, payload: { rows: 'x' } }, { pairId: PAIR, payload: Payload });
    expect(wrong).toEqual({ ok: false, error: expect.stringMatching(/^Rejected envelope: payload\.rows: /) as unknown });
  });

  it('from the expected peer', () => {
    expect(parseEnvelope(valid.ack, { pairId: PAIR, peer: 'peer-a' }).ok).toBe(true);
  });
});

describe('parseEnvelope rejects with a readable reason', () => {
  it.each([
    ['a newer version', { ...valid.delta, v: 2 }, /v: unsupported wire version 2 \(this peer speaks 1\)/],
    ['a version as a string', { ...valid.delta, v: '1' }, /v: unsupported wire version "1"/],
    ['a missing version', { ...valid.ack, v: undefined }, /v: /],
    ['another pairing', { ...valid.delta, pairId: 'pair-2' }, /pairId: belongs to pairing pair-2, not pair-1/],
    ['an unknown kind', { ...valid.ack, kind: 'exec' }, /kind: /],
    ['a negative seq', { ...valid.ack, seq: -1 }, /seq: /],
    ['a fractional seq', { ...valid.ack, seq: 1.5 }, /seq: /],
    ['an unsafe seq', { ...valid.ack, seq: 2 ** 53 }, /seq: /],
    ['a delta numbered 0', { ...valid.delta, seq: 0 }, /seq: /],
    ['a negative ack', { ...valid.ack, ackUpTo: -3 }, /ackUpTo: /],
    ['a seq given as text', { ...valid.ack, seq: '3' }, /seq: /],
    ['a malformed clock', { ...valid.ack, hlc: '2024-01-01' }, /hlc: an HLC is/],
    ['a forged peer id', { ...valid.ack, from: '../../etc' }, /from: a peer id/],
    ['an empty pair id', { ...valid.ack, pairId: '' }, /pairId: a pair id/],
    ['an echo of our own envelope', { ...valid.ack, from: SELF }, /from: claims to come from this peer/],
    ['an envelope meant for another member', { ...valid.ack, to: 'peer-c' }, /to: meant for peer-c, not this peer/],
    ['an envelope for no one', { ...valid.ack, to: undefined }, /to: /],
    ['an extra field', { ...valid.ack, sql: 'DROP TABLE wp_posts' }, /sql: /],
    ['a delta without payload', { ...valid.delta, payload: undefined }, /payload: /],
    ['a copy chunk without data', { ...valid['copy-chunk'], data: undefined }, /data: required/],
    ['a delta without site URL', { ...valid.delta, siteUrl: undefined }, /siteUrl: /],
    ['a non-http site URL', { ...valid.hello, siteUrl: 'javascript:alert(1)' }, /siteUrl: /],
    ['a resend from 0', { ...valid.resend, resendFrom: 0 }, /resendFrom: /],
    ['a nack of seq 0', { ...valid.nack, nackSeq: 0 }, /nackSeq: /],
    ['an oversized nack reason', { ...valid.nack, reason: 'x'.repeat(2001) }, /reason: /],
    ['a bad copy id', { ...valid['copy-chunk'], copyId: 'a/b' }, /copyId: /],
    ['a negative chunk index', { ...valid['copy-chunk'], index: -1 }, /index: /],
    ['a blob request for a name that is no sha256', { ...valid['blob-request'], sha256: '../x' }, /sha256: /],
    ['a blob request at a negative offset', { ...valid['blob-request'], offset: -1 }, /offset: /],
    ['a blob request whose lane is no lane address', { ...valid['blob-request'], replyTo: 'playground-sync' }, /replyTo: not a lane address/],
    ['a blob chunk that is not base64', { ...valid['blob-chunk'], base64: 'AA$A' }, /base64: /],
    ['a blob chunk bigger than a chunk', { ...valid['blob-chunk'], base64: 'A'.repeat((BLOB_CHUNK_BYTES / 3) * 4 + 4) }, /base64: /],
    ['a blob chunk without its size', { ...valid['blob-chunk'], size: undefined }, /size: /],
    ['a blob missing with a fractional name', { ...valid['blob-missing'], sha256: 1.5 }, /sha256: /],
    ['a copy request with a bad file hash', { ...valid['copy-request'], files: [['index.php', 'abc']] }, /files\.0\.1: /],
    ['a copy request without files', { ...valid['copy-request'], files: undefined }, /files: /],
    ['a relay of a delta numbered 0', { ...valid.relay, originSeq: 0 }, /originSeq: /],
    ['a relay with no origin', { ...valid.relay, origin: undefined }, /origin: /],
    ['a relay from a forged origin', { ...valid.relay, origin: '../x' }, /origin: a peer id/],
    ['a relay without payload', { ...valid.relay, payload: undefined }, /payload: /],
    ['a negative settled seq', { ...valid.ack, settled: -1 }, /settled: /],
    ['an oversized abort reason', { ...valid['copy-abort'], reason: 'x'.repeat(2001) }, /reason: /],
    ['a held run that ends before it starts', { ...valid['numbering-held'], held: [{ origin: 'peer-c', upTo: 9, applied: 2, runs: [[9, 3]] }] }, /held\.0\.runs\.0: /],
    ['null', null, /Rejected envelope: /],
    ['an array', [valid.ack], /Rejected envelope: /],
    ['a number', 42, /Rejected envelope: /],
  ])('%s', (_, input, reason) => {
    expect(rejection(input)).toMatch(reason);
  });

  it('an envelope from a peer other than the paired one', () => {
    expect(rejection(valid.ack, { peer: 'peer-c' })).toMatch(/from: peer-a is not the paired peer peer-c/);
  });

  it('malformed JSON text', () => {
    expect(rejection('{"v":1,')).toMatch(/not valid JSON/);
  });

  it('oversized input, as text and as an object, before looking inside', () => {
    const big = { ...valid.delta, payload: 'x'.repeat(1_000) };
    expect(rejection(big, { maxBytes: 500 })).toMatch(/larger than 500 bytes/);
    expect(rejection(JSON.stringify(big), { maxBytes: 500 })).toMatch(/larger than 500 bytes/);
    expect(parseEnvelope(big, { pairId: PAIR, maxBytes: 2_000 }).ok).toBe(true);
  });

  it('oversized multi-byte text, counted in UTF-8 bytes', () => {
    const text = JSON.stringify({ ...valid.delta, payload: 'é'.repeat(600) });
    expect(text.length).toBeLessThan(1_000);
    expect(rejection(text, { maxBytes: 1_000 })).toMatch(/larger than 1000 bytes/);
  });

  it('by default anything above the global message limit', () => {
    const huge = 'x'.repeat(MAX_ENVELOPE_BYTES + 1);
    expect(rejection(huge)).toMatch(/larger than/);
  });

  it('blob chunk base64: every character outside A-Z, a-z, 0-9, +, / and end padding', () => {
    const accepts = (base64: string) => parseEnvelope({ ...valid['blob-chunk'], base64 }, { pairId: PAIR, self: SELF }).ok;
    const alphabet = /^[A-Za-z0-9+/]$/;
    for (let code = 0; code < 256; code++) {
      const character = String.fromCharCode(code);
      expect([code, accepts(`AA${character}A`)]).toEqual([code, alphabet.test(character)]);
    }
    for (const text of ['AAA\u2028', 'AA😀', 'AAA=', 'AA==', 'A===', 'AA=A', '=AAA', 'AAAAA', 'AAAA====']) {
      expect([text, accepts(text)]).toEqual([text, ['AAA=', 'AA=='].includes(text)]);
    }
  });

  it('values that are not JSON', () => {
    const cyclic: Record<string, unknown> = { ...valid.ack };
    cyclic.self = cyclic;
    expect(rejection(cyclic)).toMatch(/not JSON-serializable/);
    expect(rejection({ ...valid.delta, payload: 10n })).toMatch(/not JSON-serializable/);
    expect(rejection(undefined)).toMatch(/not a JSON value/);
  });
});

describe('Envelope type', () => {
  it('narrows by kind', () => {
    const parsed = parse(valid.resend);
    if (!parsed.ok) throw new Error(parsed.error);
    const envelope: Envelope = parsed.value;
    expect(envelope.kind === 'resend' && envelope.resendFrom).toBe(3);
  });
});

describe('parseLaneChunk', () => {
  const lane = { v: 1, kind: 'blob-bytes', pairId: PAIR, from: 'peer-a', sha256: 'a'.repeat(64), offset: 0, size: 3, bytes: new Uint8Array([1, 2, 3]) };
  const parseLane = (input: unknown, peer?: string) => parseLaneChunk(input, { pairId: PAIR, self: SELF, peer });

  it('accepts a chunk of the paired peer, its bytes as bytes; and a blob request may name a lane', () => {
    expect(parseLane(lane, 'peer-a')).toEqual({ ok: true, value: lane });
    const request = { ...valid['blob-request'], replyTo: 'pgsync-lane:0b5c3a3e-2f43-4f4b-9d6e-2a1f1c2b3d4e' };
    expect(parse(request)).toEqual({ ok: true, value: request });
  });

  it.each([
    ['another pairing', { ...lane, pairId: 'pair-2' }, /^Rejected lane message: pairId: belongs to pairing pair-2/],
    ['an echo of this peer', { ...lane, from: SELF }, /^Rejected lane message: from: claims to come from this peer/],
    ['a peer that is not the paired one', { ...lane, from: 'peer-c' }, /^Rejected lane message: from: peer-c is not the paired peer peer-a/],
    ['bytes as base64 text', { ...lane, bytes: 'AQID' }, /^Rejected lane message: bytes: not bytes/],
    ['bytes as a plain array', { ...lane, bytes: [1, 2, 3] }, /^Rejected lane message: bytes: not bytes/],
    ['more bytes than a chunk', { ...lane, bytes: new Uint8Array(BLOB_CHUNK_BYTES + 1) }, /^Rejected lane message: bytes: more than/],
    ['an envelope of the link', valid.ack, /^Rejected lane message: /],
    ['an extra field', { ...lane, code: 'eval' }, /^Rejected lane message: code: /],
    ['a name that is no sha256', { ...lane, sha256: '../etc/passwd' }, /^Rejected lane message: sha256: /],
    ['null', null, /^Rejected lane message: /],
  ])('rejects %s with a readable reason', (_, input, reason) => {
    const parsed = parseLane(input, 'peer-a');
    expect(parsed.ok ? 'accepted' : parsed.error).toMatch(reason);
  });
});
