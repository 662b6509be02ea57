import type { SequencedBatch } from '../../sync/sequencing';
import type { BlobTransfer } from '../blob-transfer';
import { blobWritesOf, type WireDelta } from '../delta';

/** A delta of another member's, applied here, as its origin sent it. */
export interface KeptDelta {
  readonly batch: SequencedBatch<WireDelta>;
  readonly siteUrl: string;
}

/**
 * The other members' deltas this site applied, kept until their origin says every member has
 * them (`settle`): if the origin leaves the group first, they are what this site relays to the
 * members that stay, some of which may lack them (wire.ts, `relay`). Their big files are served
 * from here as long as they are kept.
 */
export class KeptDeltas {
  private readonly byOrigin = new Map<string, Map<number, KeptDelta>>();
  /**
   * By origin gone (or starting over): the members this site relayed its deltas to (`reached`),
   * those of them, and members that joined since, that have not said they have them all
   * (`waiting`), and the last relayed.
   */
  private readonly relayedTo = new Map<string, { waiting: Set<string>; reached: Set<string>; upTo: number }>();
  /** By origin gone (or starting over): how far each member said it has its deltas. */
  private readonly heardUpTo = new Map<string, Map<string, number>>();
  /** By origin: up to where every member has its deltas (nothing up to there is kept again, a late duplicate say). */
  private readonly settledUpTo = new Map<string, number>();

  constructor(private readonly blobs: BlobTransfer) {}

  /** A delta of `origin`'s was applied here (call before its received blobs are let go). Answers whether it is kept now and was not before. */
  keep(origin: string, kept: KeptDelta): boolean {
    const deltas = this.byOrigin.get(origin) ?? new Map<number, KeptDelta>();
    this.byOrigin.set(origin, deltas);
    if (deltas.has(kept.batch.seq) || kept.batch.seq <= (this.settledUpTo.get(origin) ?? 0)) return false;
    deltas.set(kept.batch.seq, kept);
    this.blobs.offerFor(holderOf(origin, kept.batch.seq), blobWritesOf(kept.batch.payload));
    return true;
  }

  /**
   * A delta of `origin`'s this site has without applying it (by a copy): kept as `keep` does, its
   * big files pulled from `from` (the site's files may hold newer bytes by now).
   */
  async keepHad(origin: string, kept: KeptDelta, from: string): Promise<void> {
    if (this.keep(origin, kept)) await this.blobs.prepare(blobWritesOf(kept.batch.payload), from, holderOf(origin, kept.batch.seq));
  }

  /**
   * Every member has `origin`'s deltas up to `upTo`: they are forgotten, with their blobs. What
   * this site relayed stays until the members it went to say they have it: a member that starts
   * over says every delta of its old life is settled once its copy's source had them, while
   * the relays to the others may still be on their way (and lost, should it start over again).
   */
  async settle(origin: string, upTo: number): Promise<void> {
    this.settledUpTo.set(origin, Math.max(upTo, this.settledUpTo.get(origin) ?? 0));
    const deltas = this.byOrigin.get(origin);
    if (!deltas) return;
    const relayedUpTo = this.relayedTo.get(origin)?.upTo ?? 0;
    for (const seq of [...deltas.keys()]) {
      if (seq > upTo || seq <= relayedUpTo) continue;
      deltas.delete(seq);
      await this.blobs.withdraw(holderOf(origin, seq));
    }
  }

  /** What is kept of `origin`'s deltas, in its order (up to `upTo`: all by default). */
  of(origin: string, upTo = Number.POSITIVE_INFINITY): KeptDelta[] {
    return [...(this.byOrigin.get(origin)?.values() ?? [])].filter((delta) => delta.batch.seq <= upTo).sort((a, b) => a.batch.seq - b.batch.seq);
  }

  /**
   * `origin` left, or starts over: what is kept of its deltas was relayed to `members`, and is kept
   * until each of them has it all (`heard`). Answers it: the deltas relayed now, those kept since
   * the last relay of `origin`'s (`since`: all by default).
   */
  async relayed(origin: string, members: readonly string[], since = 0): Promise<KeptDelta[]> {
    const relayed = this.of(origin).filter((delta) => delta.batch.seq > since);
    const upTo = relayed.at(-1)?.batch.seq ?? since;
    const earlier = this.relayedTo.get(origin);
    this.relayedTo.set(origin, {
      waiting: new Set([...(earlier?.waiting ?? []), ...members]),
      reached: new Set([...(earlier?.reached ?? []), ...members]),
      upTo: Math.max(upTo, earlier?.upTo ?? 0),
    });
    await this.forgetOnceRelayed(origin);
    return relayed;
  }

  /**
   * `member` has `origin`'s deltas up to `upTo` (wire.ts, `relayed`; it may say so before this site
   * relayed anything). Answers what to relay to it: when this site relayed `origin`'s deltas
   * before `member` joined (or started over), what it keeps past `upTo`.
   */
  async heard(member: string, origin: string, upTo: number): Promise<KeptDelta[]> {
    // An origin that started over says how far it has its own old deltas: nothing relayed waits for that.
    if (member === origin) return [];
    const heard = this.heardUpTo.get(origin) ?? new Map<string, number>();
    this.heardUpTo.set(origin, heard);
    heard.set(member, Math.max(upTo, heard.get(member) ?? 0));
    const relayed = this.relayedTo.get(origin);
    let missing: KeptDelta[] = [];
    if (relayed && !relayed.reached.has(member)) {
      relayed.reached.add(member);
      missing = this.of(origin).filter((delta) => delta.batch.seq > upTo);
      if (missing.length > 0) relayed.waiting.add(member);
    }
    await this.forgetOnceRelayed(origin);
    return missing;
  }

  /** The first of `origin`'s deltas kept here, or null. */
  firstKept(origin: string): number | null {
    return this.of(origin)[0]?.batch.seq ?? null;
  }

  /** The last of `origin`'s deltas this site relayed (0: none, or all it relayed every member has). */
  relayedUpTo(origin: string): number {
    return this.relayedTo.get(origin)?.upTo ?? 0;
  }

  /**
   * `member` joined the group: what this site relayed of `departed` (members gone) is kept until
   * it too says it has it all (its copy may have been taken before its source had it all).
   */
  joined(member: string, departed: readonly string[]): void {
    for (const origin of departed) this.relayedTo.get(origin)?.waiting.add(member);
  }

  /**
   * `member` starts over from a copy: what it said it had counts no more. What this site relayed
   * of `departed` is relayed to it again once it says how far its copy has it; what it relayed of
   * a member starting over waits for it no more (its new life hears of it from its copy).
   */
  async startsOver(member: string, departed: readonly string[]): Promise<void> {
    for (const heard of this.heardUpTo.values()) heard.delete(member);
    for (const [origin, relayed] of this.relayedTo) {
      relayed.reached.delete(member);
      if (departed.includes(origin)) relayed.waiting.add(member);
      else relayed.waiting.delete(member);
      await this.forgetOnceRelayed(origin);
    }
  }

  /** `member` left too: nothing relayed waits for it any more. */
  async left(member: string): Promise<void> {
    for (const [origin, { waiting }] of this.relayedTo) {
      waiting.delete(member);
      await this.forgetOnceRelayed(origin);
    }
  }

  private async forgetOnceRelayed(origin: string): Promise<void> {
    const relayed = this.relayedTo.get(origin);
    if (!relayed) return;
    for (const member of relayed.waiting) if ((this.heardUpTo.get(origin)?.get(member) ?? 0) >= relayed.upTo) relayed.waiting.delete(member);
    if (relayed.waiting.size > 0) return;
    this.relayedTo.delete(origin);
    // Only what was relayed: a member that started over goes on sending, numbered after it.
    await this.settle(origin, Math.max(relayed.upTo, this.settledUpTo.get(origin) ?? 0));
  }
}

function holderOf(origin: string, seq: number): string {
  return `kept:${origin}:${seq}`;
}
