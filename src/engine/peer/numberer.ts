import { MAX_RENUMBERINGS_PER_BATCH, reclaimLowIds } from '../../db';
import type { EngineGuard } from './engine-guard';
import type { PeerJournal } from './peer-journal';
import type { PeerSite } from './peer-site';
import type { Steps } from './steps';

/** How soon a pass looks again at posts it left high because they were open in an editor. */
export const DEFERRED_AGAIN_MS = 15_000;

export interface NumbererOptions {
  readonly site: PeerSite;
  readonly peerId: string;
  readonly guard: EngineGuard;
  readonly journal: PeerJournal;
  readonly steps: Steps;
  /** Quiet time after the last change before a pass, so one pass takes what one save made. */
  readonly settleMs: number;
  /** Whether deltas flow now (not paused, no copy in flight, not rejoining): a pass waits otherwise. */
  readonly mayRun: () => boolean;
  /**
   * The pass stored its renumberings in the site's outbox, a batch of their own in order with the
   * site's other changes (durable: sent again after a reload until acknowledged): takes them into
   * a delta now. Call from a step.
   */
  readonly renumbered: () => Promise<void>;
}

/**
 * The group's numberer, when this site is it (docs/ids.md): after changes settle, gives every
 * row made while synced the next low ID of its table, here, and sends the renumberings to every
 * member in this site's own stream of deltas (from its outbox). Off on every other member.
 */
export class Numberer {
  private active = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A pass is booked as a step and has not started yet. */
  private queued = false;

  constructor(private readonly options: NumbererOptions) {}

  get isActive(): boolean {
    return this.active;
  }

  /** Whether this site hands out low IDs. On, a pass follows at once (rows may wait from before). */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    if (active) this.schedule();
    else this.cancel();
  }

  /** Rows may have come (this site's own or a member's): a pass once the site has been quiet for a moment. */
  schedule(): void {
    if (!this.active) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.book();
    }, this.options.settleMs);
  }

  /** Runs the pass a change booked now instead of after the quiet time. Call from a step. */
  async passIfDue(): Promise<void> {
    if (this.timer === undefined) return;
    this.cancel();
    await this.pass();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private book(): void {
    if (this.queued) return;
    this.queued = true;
    void this.options.steps.run(async () => {
      this.queued = false;
      await this.pass();
    });
  }

  /** One pass, as a step; another follows while a pass takes as many rows as one delta holds. */
  private async pass(): Promise<void> {
    const { site, peerId, guard, journal, mayRun, renumbered } = this.options;
    // Paused or waiting: the next change after it flows again books another pass.
    if (!this.active || !mayRun()) return;
    let result;
    try {
      result = await guard.run(() => reclaimLowIds(site.client, { by: peerId, max: MAX_RENUMBERINGS_PER_BATCH }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      journal.write([{ direction: 'local', kind: 'rows', target: 'low IDs', summary: `Rows made while synced could not be given low IDs: ${reason.slice(0, 500)}`, status: 'failed' }]);
      return;
    }
    if (!result.sharded) {
      // A site without ID shards makes no provisional rows: nothing to number, ever.
      this.setActive(false);
      return;
    }
    // Posts open in an editor keep their ID until it closes (renumber-pass.php): looked at again a while later.
    if (result.deferred > 0 && this.timer === undefined) this.timer = setTimeout(() => this.schedule(), DEFERRED_AGAIN_MS);
    if (result.mappings.length === 0) return;
    await renumbered();
    if (result.mappings.length >= MAX_RENUMBERINGS_PER_BATCH) this.book();
  }
}
