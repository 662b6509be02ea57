import type { CopySourceFlow } from './copy-source-flow';
import type { CopyTargetFlow } from './copy-target-flow';
import type { DeltaLink } from './delta-link';
import type { ApplyDeltaContext } from './apply-delta';
import type { RejoinFlow } from './rejoin-flow';

/** What one member keeps for each other member of its group. */
export interface LinkParts {
  readonly remotePeerId: string;
  readonly link: DeltaLink;
  readonly copyIn: CopyTargetFlow;
  readonly copyOut: CopySourceFlow;
  readonly rejoin: RejoinFlow;
  readonly applying: ApplyDeltaContext;
  /** That member's URL from its latest delta, for its held deltas applied later. */
  lastSiteUrl: string;
}

/**
 * A member's links, one per other member of the group. Every link carries the member's deltas
 * under the same numbering (one per origin), so what all of them acknowledged (`ackedByAll`) is
 * what the site may forget.
 */
export class GroupLinks {
  private readonly links = new Map<string, LinkParts>();
  private releasedUpTo = 0;

  add(parts: LinkParts): void {
    if (this.links.has(parts.remotePeerId)) throw new Error(`Already linked to ${parts.remotePeerId}`);
    this.links.set(parts.remotePeerId, parts);
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

  /** Deltas of this member some link still waits to have acknowledged (the badge's count). */
  get pendingCount(): number {
    return Math.max(0, ...this.all().map((parts) => parts.link.pending.length));
  }
}
