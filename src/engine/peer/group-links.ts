import type { CopySourceFlow } from './copy-source-flow';
import type { CopyTargetFlow } from './copy-target-flow';
import type { DeltaLink } from './delta-link';
import type { ApplyDeltaContext } from './apply-delta';
import type { RejoinFlow } from './rejoin-flow';
import type { SequencedBatch } from '../../sync/sequencing';
import type { WireDelta } from '../delta';

/** How a delta of a member's arrived: its origin's URL then, and who relayed it (null: its origin sent it). */
export interface Arrival {
  readonly siteUrl: string;
  readonly relayedBy: string | null;
}

/** What one member keeps for each other member of its group. */
export interface LinkParts {
  readonly remotePeerId: string;
  readonly link: DeltaLink;
  readonly copyIn: CopyTargetFlow;
  readonly copyOut: CopySourceFlow;
  readonly rejoin: RejoinFlow;
  readonly applying: ApplyDeltaContext;
  /** That member's URL on the delta applied last (or being applied). */
  lastSiteUrl: string;
  /** The member that relayed that member's latest delta (received, or applied last), or null: it sent it itself. */
  relayedBy: string | null;
  /**
   * How each of that member's deltas waiting here arrived, by seq: they may be applied later with
   * others, which came with another URL (a life of the member before it started over) or relayer.
   */
  readonly arrivals: Map<number, Arrival>;
  /** That member's deltas go on after `appliedUpTo` (a rejoin, a copy): those held here, and their blob fetches, are gone. */
  readonly restartInbox: (appliedUpTo: number) => void;
}

/**
 * A member's links, one per other member of the group. Every link carries the member's deltas
 * under the same numbering (one per origin), so what all of them acknowledged (`ackedByAll`) is
 * what the site may forget.
 */
export class GroupLinks {
  private readonly links = new Map<string, LinkParts>();
  /** The links to members that left: their deltas still in flight, or relayed by the members that stay, are applied through them. */
  private readonly gone = new Map<string, LinkParts>();
  private releasedUpTo = 0;

  add(parts: LinkParts): void {
    if (this.links.has(parts.remotePeerId)) throw new Error(`Already linked to ${parts.remotePeerId}`);
    this.gone.delete(parts.remotePeerId);
    this.links.set(parts.remotePeerId, parts);
  }

  /** The member `remotePeerId` left: its link no longer counts, but still takes its deltas (`departed`). Answers it. */
  retire(remotePeerId: string): LinkParts | undefined {
    const parts = this.remove(remotePeerId);
    if (parts) this.gone.set(remotePeerId, parts);
    return parts;
  }

  /** The link to a member that left. */
  departed(remotePeerId: string): LinkParts | undefined {
    return this.gone.get(remotePeerId);
  }

  /** The links to members that left. */
  allDeparted(): readonly LinkParts[] {
    return [...this.gone.values()];
  }

  /** A link to a member that left before this site joined (a copy named it): its deltas relayed by the members come through it. */
  addDeparted(parts: LinkParts): void {
    if (this.links.has(parts.remotePeerId) || this.gone.has(parts.remotePeerId)) return;
    this.gone.set(parts.remotePeerId, parts);
  }

  /** Every link deltas are applied through: the members' and those of members that left. */
  receiving(): readonly LinkParts[] {
    return [...this.links.values(), ...this.gone.values()];
  }

  /** Takes the link to `remotePeerId` away; answers it. */
  remove(remotePeerId: string): LinkParts | undefined {
    const parts = this.links.get(remotePeerId);
    this.links.delete(remotePeerId);
    return parts;
  }

  get size(): number {
    return this.links.size;
  }

  get(remotePeerId: string): LinkParts | undefined {
    return this.links.get(remotePeerId);
  }

  all(): readonly LinkParts[] {
    return [...this.links.values()];
  }

  some(test: (parts: LinkParts) => boolean): boolean {
    return this.all().some(test);
  }

  /** The highest seq every link acknowledged. */
  get ackedByAll(): number {
    return Math.min(...this.all().map((parts) => parts.link.ackedUpTo));
  }

  /**
   * The acknowledgement every link has reached, when it moved past the one answered before (the
   * site may then forget what it carried); null otherwise.
   */
  newlyAckedByAll(): number | null {
    const upTo = this.ackedByAll;
    if (upTo <= this.releasedUpTo) return null;
    this.releasedUpTo = upTo;
    return upTo;
  }

  /** This member's deltas some link has not had acknowledged: every one after `ackedByAll`. */
  retained(): readonly SequencedBatch<WireDelta>[] {
    const slowest = this.all().reduce((slow, parts) => (parts.link.ackedUpTo < slow.link.ackedUpTo ? parts : slow));
    return slowest.link.pending;
  }

  /**
   * Whether deltas reach this site from more than one origin: the members', and those of members
   * that left (relayed, maybe still on their way). A delta then says what it builds on (`WireDelta.deps`):
   * in a group of two left by a third, what the third sent may reach the other member after this site's next change.
   */
  get receivesFromSeveral(): boolean {
    return this.links.size + this.gone.size >= 2;
  }

  /** The deltas this site applied of every other member, and of every member that left, by member, but for `except`'s. */
  appliedFrom(except?: string): Record<string, number> {
    return Object.fromEntries(this.receiving().filter((parts) => parts.remotePeerId !== except).map((parts) => [parts.remotePeerId, parts.link.appliedUpTo]));
  }

  /** Deltas of this member some link still waits to have acknowledged (the badge's count). */
  get pendingCount(): number {
    return Math.max(0, ...this.all().map((parts) => parts.link.pending.length));
  }
}
