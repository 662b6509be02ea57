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
  /** By origin gone: the members this site relayed its deltas to that have not said they have them all. */
  private readonly relayedTo = new Map<string, Set<string>>();
  /** By origin gone: how far each member said it has its deltas. */
  private readonly heardUpTo = new Map<string, Map<string, number>>();

  constructor(private readonly blobs: BlobTransfer) {}

  /** A delta of `origin`'s was applied here (call before its received blobs are let go). */
  keep(origin: string, kept: KeptDelta): void {
    const deltas = this.byOrigin.get(origin) ?? new Map<number, KeptDelta>();
    this.byOrigin.set(origin, deltas);
    if (deltas.has(kept.batch.seq)) return;
    deltas.set(kept.batch.seq, kept);
    this.blobs.offerFor(holderOf(origin, kept.batch.seq), blobWritesOf(kept.batch.payload));
  }

  /** Every member has `origin`'s deltas up to `upTo`: they are forgotten, with their blobs. */
  async settle(origin: string, upTo: number): Promise<void> {
    const deltas = this.byOrigin.get(origin);
    if (!deltas) return;
    for (const seq of [...deltas.keys()]) {
      if (seq > upTo) continue;
      deltas.delete(seq);
      await this.blobs.withdraw(holderOf(origin, seq));
    }
  }

  /** What is kept of `origin`'s deltas, in its order. */
  of(origin: string): KeptDelta[] {
    return [...(this.byOrigin.get(origin)?.values() ?? [])].sort((a, b) => a.batch.seq - b.batch.seq);
  }

  /** `origin` left: its kept deltas were relayed to `members`, and are kept until each of them has them all (`heard`). */
  relayed(origin: string, members: readonly string[]): Promise<void> {
    this.relayedTo.set(origin, new Set(members));
    return this.forgetOnceRelayed(origin);
  }

  /** `member` has `origin`'s deltas up to `upTo` (wire.ts, `relayed`; it may say so before this site relayed anything). */
  heard(member: string, origin: string, upTo: number): Promise<void> {
    const heard = this.heardUpTo.get(origin) ?? new Map<string, number>();
    this.heardUpTo.set(origin, heard);
    heard.set(member, Math.max(upTo, heard.get(member) ?? 0));
    return this.forgetOnceRelayed(origin);
  }

  /** `member` left too: nothing relayed waits for it any more. */
  async left(member: string): Promise<void> {
    for (const [origin, waiting] of this.relayedTo) {
      waiting.delete(member);
      await this.forgetOnceRelayed(origin);
    }
  }

  private async forgetOnceRelayed(origin: string): Promise<void> {
    const waiting = this.relayedTo.get(origin);
    if (!waiting) return;
    const last = this.of(origin).at(-1)?.batch.seq ?? 0;
    for (const member of waiting) if ((this.heardUpTo.get(origin)?.get(member) ?? 0) >= last) waiting.delete(member);
    if (waiting.size > 0) return;
    this.relayedTo.delete(origin);
    this.heardUpTo.delete(origin);
    await this.forget(origin);
  }

  /** Forgets everything kept of `origin`'s (it starts over from a copy: its numbering restarts after what the copy held). */
  async forget(origin: string): Promise<void> {
    await this.settle(origin, Number.POSITIVE_INFINITY);
    this.byOrigin.delete(origin);
  }
}

function holderOf(origin: string, seq: number): string {
  return `kept:${origin}:${seq}`;
}
