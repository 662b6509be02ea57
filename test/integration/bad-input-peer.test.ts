import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGES_READY_TYPE, ENGINE_TABLES } from '../../src/db';
import type { JournalEntry } from '../../src/protocol/journal-entry';
import { encodeHlc } from '../../src/sync/hlc';
import { MAX_ENVELOPE_BYTES } from '../../src/sync/wire';
import { dumpSiteState, formatDifferences, type NodeSite } from '../harness';
import {
  ALL_COMBINATIONS,
  differencesBetween,
  expectConverged,
  failuresIn,
  inWordPress,
  journalSince,
  startPair,
  stopPair,
  syncUntilQuiet,
  type EnginePair,
} from './engine-support';

/**
 * The bad-input table (test/unit/bad-input-table.test.ts) against two real WordPress sites: peer
 * B is handed malformed and forged envelopes and a delta whose database batch cannot apply; site
 * A's PHP posts forged `pg-sync/changes-ready` signals and writes forged rows into the outbox the
 * extension pulls from. Each is journaled (`rejected`, or `failed` for the batch that cannot
 * apply) with its reason, neither site's tables nor files move at all (a forged outbox row is
 * removed again), nothing is sent, and a normal change still syncs afterwards: nothing is wedged.
 */

const SIDE_A = 'peer-a';
const SIDE_B = 'peer-b';

interface DeltaEnvelope {
  kind: 'delta';
  seq: number;
  siteUrl: string;
  payload: { files: unknown[]; db: { seq: number; siteUrl: string } | null; hlc: string };
  [key: string]: unknown;
}

/** A's latest delta as it crossed the link, and the database batch seq it last sent. */
function lastSentByA(pair: EnginePair): { delta: DeltaEnvelope; dbSeq: number } {
  const deltas = pair.link.log
    .filter((message) => message.from === 'a')
    .map((message) => JSON.parse(message.json) as { kind: string })
    .filter((message): message is DeltaEnvelope => message.kind === 'delta');
  const delta = deltas.at(-1);
  if (!delta) throw new Error('A has sent no delta yet');
  const dbSeq = Math.max(0, ...deltas.map((message) => message.payload.db?.seq ?? 0));
  return { delta, dbSeq };
}

/** Runs `action`; neither site's tables (engine tables included) nor files may move. */
async function expectBothUnchanged(pair: EnginePair, action: () => Promise<void>): Promise<void> {
  const sites: NodeSite[] = [pair.a, pair.b];
  const before = await Promise.all(sites.map((site) => dumpSiteState(site)));
  await action();
  const after = await Promise.all(sites.map((site) => dumpSiteState(site)));
  sites.forEach((site, index) => {
    expect(differencesBetween(before[index]!, after[index]!, site.siteUrl, site.siteUrl, []), site.siteUrl).toBe(formatDifferences([]));
  });
}

interface BadEnvelope {
  readonly name: string;
  /** Built from A's latest delta: the header is right unless the case forges it. */
  readonly make: (last: DeltaEnvelope, next: { seq: number; dbSeq: number }) => unknown;
  readonly reason: RegExp;
}

const now = () => encodeHlc({ ms: Date.now(), counter: 0, peer: SIDE_A });

/** Envelopes B must refuse before they reach its inbox: one per category and kind. */
const REFUSED_ENVELOPES: readonly BadEnvelope[] = [
  { name: 'missing: a hello without siteUrl', make: (last) => ({ ...header(last), kind: 'hello' }), reason: /^Rejected envelope: siteUrl: / },
  { name: 'missing: a delta without payload', make: (last) => ({ ...last, payload: undefined }), reason: /^Rejected envelope: payload: / },
  { name: 'wrong type: an ack whose seq is a string', make: (last) => ({ ...header(last), kind: 'ack', seq: '3' }), reason: /^Rejected envelope: seq: / },
  { name: 'wrong type: a delta whose files are an object', make: (last) => ({ ...last, payload: { ...last.payload, files: {} } }), reason: /^Rejected envelope: payload\.files: / },
  {
    name: `oversized: a delta over ${MAX_ENVELOPE_BYTES} bytes`,
    make: (last, next) => ({ ...last, seq: next.seq, payload: { ...last.payload, db: null, files: [{ op: 'mkdir', path: 'x'.repeat(MAX_ENVELOPE_BYTES) }] } }),
    reason: new RegExp(`^Rejected envelope: larger than ${MAX_ENVELOPE_BYTES} bytes$`),
  },
  { name: 'oversized: a nack reason over 2000 characters', make: (last) => ({ ...header(last), kind: 'nack', nackSeq: 1, reason: 'x'.repeat(2001) }), reason: /^Rejected envelope: reason: / },
  { name: 'forged: another pairing', make: (last, next) => ({ ...last, seq: next.seq, pairId: 'pair-2' }), reason: /^Rejected envelope: pairId: belongs to pairing pair-2, not pair-1$/ },
  { name: 'forged: from = this peer (an echo)', make: (last, next) => ({ ...last, seq: next.seq, from: SIDE_B }), reason: /^Rejected envelope: from: claims to come from this peer$/ },
  { name: 'forged: from a third peer', make: (last, next) => ({ ...last, seq: next.seq, from: 'peer-z' }), reason: /^Rejected envelope: from: peer-z is not a member of this group$/ },
  { name: 'forged: an unknown kind', make: (last) => ({ ...header(last), kind: 'exec', sql: 'DROP TABLE wp_users' }), reason: /^Rejected envelope: kind: / },
  { name: 'forged: wire version 2', make: (last, next) => ({ ...last, seq: next.seq, v: 2 }), reason: /^Rejected envelope: v: unsupported wire version 2/ },
  { name: 'forged: an unknown key', make: (last, next) => ({ ...last, seq: next.seq, sql: 'DROP TABLE wp_users' }), reason: /^Rejected envelope: sql: / },
  {
    name: 'forged: a "__proto__" key (as JSON text)',
    make: (last, next) => JSON.stringify({ ...last, seq: next.seq }).replace(/^\{/, '{"__proto__":{"isAdmin":true},'),
    reason: /^Rejected envelope: __proto__: /,
  },
  { name: 'forged: a negative seq', make: (last) => ({ ...last, seq: -1 }), reason: /^Rejected envelope: seq: / },
  { name: 'forged: a NaN seq', make: (last) => ({ ...last, seq: Number.NaN }), reason: /^Rejected envelope: seq: / },
  { name: 'forged: a seq beyond 2^53', make: (last) => ({ ...last, seq: 2 ** 53 }), reason: /^Rejected envelope: seq: / },
  {
    name: 'forged: a copy request naming ../ paths',
    make: (last) => ({ ...header(last), kind: 'copy-request', copyId: 'forged-1', files: [['../../etc/passwd', 'a'.repeat(64)]] }),
    reason: /^Rejected envelope: files\.0\.0: /,
  },
  {
    name: 'forged: a database cell that is a boolean',
    make: (last, next) => ({ ...last, seq: next.seq, payload: { files: [], hlc: now(), db: batch(last, next.dbSeq, [{ op: 'delete', table: 'wp_posts', key: { ID: true } }]) } }),
    reason: /^Rejected envelope: payload\.db\.rows\.0\.key\.ID: /,
  },
  { name: 'forged: text that is not JSON', make: () => '{"v":1,"kind":', reason: /^Rejected envelope: not valid JSON$/ },
];

function header(last: DeltaEnvelope): Record<string, unknown> {
  const { v, pairId, from, to, ackUpTo } = last;
  return { v, pairId, from, to, seq: last.seq, ackUpTo, hlc: now() };
}

/** A batch as A's drain stores it (without its id), and its content id (sha1 of that JSON, as the drain computes it). */
function storedBatch(fields: Record<string, unknown>): { json: string; id: string } {
  const json = JSON.stringify(fields);
  return { json, id: createHash('sha1').update(json).digest('hex') };
}

function batch(last: DeltaEnvelope, seq: number, rows: unknown[]) {
  const fields = { v: 1, peer: SIDE_A, seq, hlc: now(), siteUrl: last.siteUrl, ddl: [], rows };
  return { ...fields, id: storedBatch(fields).id };
}

/** PHP that opens the site's database file itself, as any plugin or script could. */
const openDatabase = (site: NodeSite) => `$pdo = new PDO('sqlite:' . ${JSON.stringify(site.facts.databasePath)}); $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);`;
/** A PHP single-quoted string literal. */
const phpString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function runPhp(site: NodeSite, body: string): Promise<string> {
  const response = await site.client.run({ code: `<?php ${openDatabase(site)} ${body}` });
  if (response.exitCode !== 0 || /fatal|warning|exception/i.test(response.errors)) throw new Error(`PHP failed: ${response.text}\n${response.errors}`);
  return response.text;
}

/** The rows of A's outbox (seq and content id) and the last batch number its drain gave out. */
async function outboxOf(site: NodeSite): Promise<{ rows: [number, string][]; lastBatchSeq: number }> {
  const text = await runPhp(
    site,
    `echo json_encode(array(
      'rows' => $pdo->query('SELECT seq, id FROM ${ENGINE_TABLES.outbox} ORDER BY seq')->fetchAll(PDO::FETCH_NUM),
      'lastBatchSeq' => (int) $pdo->query("SELECT value FROM ${ENGINE_TABLES.meta} WHERE name = 'last_batch_seq'")->fetchColumn(),
    ));`,
  );
  const parsed = JSON.parse(text) as { rows: [number | string, string][]; lastBatchSeq: number };
  return { rows: parsed.rows.map(([seq, id]) => [Number(seq), id]), lastBatchSeq: parsed.lastBatchSeq };
}

/** PHP that posts a drain signal the way capture-drain.php does, and prints the extension's answer. */
const postSignal = (message: Record<string, unknown>) => `echo json_encode(post_message_to_js(${phpString(JSON.stringify(message))}));`;

interface ForgedSignal {
  readonly name: string;
  readonly message: Record<string, unknown>;
  readonly reason: RegExp;
}

/** Signals any PHP on site A can post; only the drain's own (this peer's, nothing more) may start a pull. */
const FORGED_SIGNALS: readonly ForgedSignal[] = [
  { name: 'a bad peer id', message: { type: CHANGES_READY_TYPE, peer: '__proto__' }, reason: /^Rejected site message: peer: / },
  {
    name: 'an unknown field (a batch riding along, as the old message carried one)',
    message: { type: CHANGES_READY_TYPE, peer: SIDE_A, batch: { v: 1, peer: SIDE_A, seq: -1, rows: 'DROP TABLE wp_users' } },
    reason: /^Rejected site message: batch: /,
  },
  { name: 'the other peer\'s name', message: { type: CHANGES_READY_TYPE, peer: SIDE_B }, reason: /^Rejected site message: peer: claims to come from peer-b, but this site is peer-a$/ },
];

interface ForgedRow {
  readonly name: string;
  /** The row's batch text and content id, for the next batch number the drain would give out. */
  readonly make: (real: Record<string, unknown>, next: number) => { json: string; id: string };
  readonly reason: (next: number) => RegExp;
}

/** Rows any PHP on site A can write into the outbox, each at the number A's drain would use next. */
const FORGED_ROWS: readonly ForgedRow[] = [
  {
    name: 'a well-formed batch in the name of the other peer',
    make: (real, next) => storedBatch({ ...real, peer: SIDE_B, seq: next }),
    reason: (next) => new RegExp(`^Rejected outbox batch ${next}: peer: claims to come from peer-b, but this site is peer-a$`),
  },
  {
    name: 'a database cell that is a boolean',
    make: (real, next) => storedBatch({ ...real, seq: next, rows: [{ op: 'delete', table: 'wp_posts', key: { ID: true } }] }),
    reason: (next) => new RegExp(`^Rejected outbox batch ${next}: rows\\.0\\.key\\.ID: `),
  },
  {
    name: 'a batch that says another number than its place',
    make: (real, next) => storedBatch({ ...real, seq: next + 7 }),
    reason: (next) => new RegExp(`^Rejected outbox batch ${next}: seq: says ${next + 7}, but it is batch ${next} of the outbox$`),
  },
  {
    name: 'text that is not JSON',
    make: () => ({ json: '{"v":1,"rows":', id: 'a'.repeat(40) }),
    reason: (next) => new RegExp(`^Rejected outbox batch ${next}: batch: not a JSON object$`),
  },
];

describe('bad input fed to a real peer, WordPress 6.5 on the AST driver', () => {
  let pair: EnginePair;

  beforeAll(async () => {
    pair = await startPair(ALL_COMBINATIONS[0]!, 'bad-input');
    // A first real change, so the forgeries can copy a real header and go on from real seqs.
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'Before the forgeries', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });
  afterAll(() => stopPair(pair));

  /** Hands `message` to B, delivers whatever it causes, and returns the journal lines it made. */
  async function feedB(message: unknown): Promise<JournalEntry[]> {
    const mark = pair.journal.length;
    await expectBothUnchanged(pair, async () => {
      await pair.peerB.receive(message);
      await pair.link.settle();
    });
    return journalSince(pair, mark);
  }

  function next(): { last: DeltaEnvelope; seq: number; dbSeq: number } {
    const { delta, dbSeq } = lastSentByA(pair);
    return { last: delta, seq: delta.seq + 1, dbSeq: dbSeq + 1 };
  }

  it.each(REFUSED_ENVELOPES.map((bad) => [bad.name, bad] as const))('B refuses %s: one rejected journal line with the reason, no site changes', async (_name, { make, reason }) => {
    const { last, seq, dbSeq } = next();
    const entries = await feedB(make(last, { seq, dbSeq }));
    expect(entries).toEqual([
      expect.objectContaining({ direction: 'received', kind: 'input', target: 'peer message', status: 'rejected', summary: expect.stringMatching(reason) }),
    ]);
  });

  it('B refuses a delta whose file change climbs out of the root: rejected at the envelope, nothing written', async () => {
    const { last, seq } = next();
    const write = { op: 'write', path: '../../escaped.php', size: 5, sha256: 'a'.repeat(64), base64: 'PD9waHA=' };
    const entries = await feedB({ ...last, seq, hlc: now(), payload: { files: [write], db: null, hlc: now() } });
    expect(entries).toEqual([
      expect.objectContaining({
        direction: 'received',
        kind: 'input',
        target: 'peer message',
        status: 'rejected',
        summary: expect.stringMatching(/^Rejected envelope: payload\.files\.0\.path: not a clean relative path/),
      }),
    ]);
    expect(await pair.b.client.fileExists('/escaped.php')).toBe(false);
  });

  it('B fails a well-formed delta whose database batch cannot apply (no such table): failed with the cause, rolled back', async () => {
    const { last, seq, dbSeq } = next();
    const rows = [{ op: 'upsert', table: 'wp_no_such_table', key: { id: 1 }, row: { id: 1, note: 'forged' } }];
    const entries = await feedB({ ...last, seq, hlc: now(), payload: { files: [], db: batch(last, dbSeq, rows), hlc: now() } });
    const failures = failuresIn(entries).filter((entry) => entry.direction === 'received');
    // Said for people (what was not applied, and why), and in the technical line behind it.
    expect(failures).toEqual([
      expect.objectContaining({ kind: 'change', status: 'failed', summary: expect.stringMatching(/^Not applied: 1 row of wp_no_such_table changed\. Nothing of it was written: .*no such table: wp_no_such_table/) }),
      expect.objectContaining({ kind: 'rows', status: 'failed', summary: expect.stringMatching(new RegExp(`^Batch ${dbSeq} rolled back, nothing applied: .*no such table: wp_no_such_table`)) }),
    ]);
  });

  it.each(FORGED_SIGNALS.map((forged) => [forged.name, forged] as const))(
    'site A refuses a forged pg-sync/changes-ready signal posted from its PHP (%s): rejected, not answered, nothing sent',
    async (_name, { message, reason }) => {
      const mark = pair.journal.length;
      const sentBefore = pair.link.log.length;
      await expectBothUnchanged(pair, async () => {
        const answer = await runPhp(pair.a, postSignal(message));
        // Not answered as heard: a drain of the site's own would leave word in the signal file instead.
        expect(answer).not.toContain('pg-sync/noted');
        await pair.link.settle();
      });
      expect(journalSince(pair, mark)).toEqual([
        expect.objectContaining({ direction: 'local', kind: 'input', target: 'site message', status: 'rejected', summary: expect.stringMatching(reason) }),
      ]);
      expect(pair.link.log.length).toBe(sentBefore);
    },
  );

  it.each(FORGED_ROWS.map((forged) => [forged.name, forged] as const))(
    'site A refuses a row its PHP writes into the outbox (%s): rejected when pulled, removed, nothing sent',
    async (_name, { make, reason }) => {
      const real = pair.link.log
        .filter((message) => message.from === 'a')
        .map((message) => JSON.parse(message.json) as DeltaEnvelope)
        .filter((message) => message.kind === 'delta' && message.payload.db !== null)
        .at(-1)!.payload.db! as Record<string, unknown>;
      const { id: _realId, ...realStored } = real;
      const outboxBefore = await outboxOf(pair.a);
      const next = outboxBefore.lastBatchSeq + 1;
      const row = make(realStored, next);
      const mark = pair.journal.length;
      const sentBefore = pair.link.log.length;
      await expectBothUnchanged(pair, async () => {
        // Written at the number the drain gives out next, then announced with a signal as the drain would.
        await runPhp(
          pair.a,
          `$pdo->prepare('INSERT INTO ${ENGINE_TABLES.outbox} (seq, id, batch) VALUES (?, ?, ?)')->execute(array(${next}, ${phpString(row.id)}, ${phpString(row.json)}));
          ${postSignal({ type: CHANGES_READY_TYPE, peer: SIDE_A })}`,
        );
        await pair.peerA.flush();
        await pair.link.settle();
      });
      expect(journalSince(pair, mark)).toEqual([
        expect.objectContaining({ direction: 'local', kind: 'input', target: 'site outbox', status: 'rejected', summary: expect.stringMatching(reason(next)) }),
      ]);
      expect(pair.link.log.length).toBe(sentBefore);
      // The row is gone and its number is still the drain's next one.
      expect(await outboxOf(pair.a)).toEqual(outboxBefore);
    },
  );

  it('site A ignores another plugin\'s message type: no journal line, nothing sent', async () => {
    const mark = pair.journal.length;
    const sentBefore = pair.link.log.length;
    await pair.a.client.run({ code: `<?php post_message_to_js(json_encode(['type' => 'pg-sync-other/changes', 'batch' => 1]));` });
    await pair.link.settle();
    expect(journalSince(pair, mark)).toEqual([]);
    expect(pair.link.log.length).toBe(sentBefore);
  });

  it('a normal change still syncs afterwards, with no new failure on either side', async () => {
    const mark = pair.journal.length;
    await inWordPress(pair.a, `wp_insert_post(['post_title' => 'After the forgeries', 'post_status' => 'publish']);`);
    await inWordPress(pair.b, `wp_insert_post(['post_title' => 'From B after the forgeries', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(failuresIn(journalSince(pair, mark))).toEqual([]);
    const titles = await inWordPress<string[]>(pair.b, `$result = $wpdb->get_col("SELECT post_title FROM {$wpdb->posts} WHERE post_title LIKE '%forgeries%' ORDER BY ID");`);
    expect(titles).toEqual(expect.arrayContaining(['Before the forgeries', 'After the forgeries', 'From B after the forgeries']));
    expect(pair.peerA.pendingCount).toBe(0);
    expect(pair.peerB.pendingCount).toBe(0);
  });
});
