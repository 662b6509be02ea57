import type { EnvelopeOf } from '../../sync/wire';
import type { BlobTransfer } from '../blob-transfer';
import { captureCopy, copyBlobs, copyToEnvelopes, type HandedOverDelta } from '../copy';
import { CopySource, formatBytes, type HeldDelta } from '../copy-exchange';
import type { FileVersions } from '../file-versions';
import type { DeltaLink } from './delta-link';
import type { LocalChanges } from './local-changes';
import type { PeerJournal } from './peer-journal';
import type { PeerSite } from './peer-site';

export interface CopySourceContext {
  readonly site: PeerSite;
  readonly link: DeltaLink;
  readonly blobs: BlobTransfer;
  readonly journal: PeerJournal;
  readonly local: LocalChanges;
  /** This site's file versions: the copy carries them with its files. */
  readonly fileVersions: Pick<FileVersions, 'entries'>;
  readonly wallClock?: () => number;
  /** The deltas of the group's other members this site applied, by member: the copy includes them. */
  readonly appliedFromOthers: () => Record<string, number>;
  /** What this site kept for relaying of the deltas the copy holds (`applied`, and the target's own): the copy hands them over. */
  readonly handOver: (applied: Readonly<Record<string, number>>, ownUpTo: number) => HandedOverDelta[];
  /** Why this site cannot serve a copy now (sync paused, waiting for a copy itself), or null. */
  readonly cannotServe: () => string | null;
  /** The paired site's deltas go on after `appliedUpTo`. */
  readonly restartInbox: (appliedUpTo: number) => void;
  /** Applies the paired site's deltas held while it installed the copy. */
  readonly applyHeld: (held: readonly HeldDelta[]) => Promise<void>;
}

/** Who holds a copy's blobs in the store while this site serves them. */
const holderOf = (copyId: string) => `copy:${copyId}`;

/**
 * The source's end of a full-state copy: captures this site's state (everything it sent before
 * is in it), sends its header, serves its bytes until the target installed it or gave it up.
 * The target's deltas are held meanwhile: they are from before the copy replaced its site.
 */
export class CopySourceFlow {
  private readonly source = new CopySource();
  /** The copy whose blobs this site serves, if any. */
  private served: string | null = null;

  constructor(private readonly context: CopySourceContext) {}

  /** Whether the target's deltas are held (a copy is being installed there). */
  get holding(): boolean {
    return this.source.holding;
  }

  holdDelta(delta: HeldDelta): void {
    this.source.holdDelta(delta);
  }

  /** Answers a copy request; call from a step. */
  async answer(request: EnvelopeOf<'copy-request'>): Promise<void> {
    const { site, link, blobs, journal, local } = this.context;
    const refuse = (reason: string) => link.control('copy-abort', { copyId: request.copyId, reason });
    const cannot = this.context.cannotServe();
    if (cannot !== null) return refuse(cannot);
    if (!this.source.accept(request)) return;
    // One copy is served at a time: a new request means the target gave up the one before.
    await this.withdraw();
    try {
      // Everything captured so far goes into the outbox first: the copy contains up to baseSeq.
      await local.pullAll();
      await local.send(null);
      const baseSeq = link.lastSeq;
      const applied = this.context.appliedFromOthers();
      const captured = await captureCopy(site.client, {
        // Nothing records a version while this step runs: they are the versions of the files captured.
        versions: this.context.fileVersions.entries(),
        store: site.store,
        discard: (names) => blobs.discardUnlessHeld(names),
        targetFiles: new Map(request.files),
        siteUrl: site.siteUrl,
        wallClock: this.context.wallClock,
      });
      const copy = { ...captured, kept: this.context.handOver(applied, baseSeq) };
      // Served until the target installed the copy or gave it up.
      blobs.offerFor(holderOf(request.copyId), copyBlobs(copy.meta));
      this.served = request.copyId;
      const envelopes = await copyToEnvelopes(copy, { copyId: request.copyId, baseSeq, applied, header: link.stamp() });
      for (const envelope of envelopes) link.post(envelope);
      // This site's deltas the target has only by the copy (and any after it), sent again: the target
      // keeps those some member has not acknowledged for relaying, should this site leave the group
      // before they reached every member (KeptDeltas).
      link.resendAll();
      const { meta } = copy;
      const line = journal.write([
        {
          direction: 'sent',
          kind: 'pairing',
          target: 'full-state copy',
          summary: `Sent this site’s full state: ${meta.fileCount.toLocaleString('en-US')} files (${meta.shippedFileCount.toLocaleString('en-US')} with bytes), ${formatBytes(meta.database.size)} database`,
          status: 'pending',
        },
      ]);
      journal.trackCopy(request.copyId, line);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      refuse(`The paired site could not take its full state: ${message}`.slice(0, 2000));
      journal.write([{ direction: 'sent', kind: 'pairing', target: 'full-state copy', summary: `Could not send this site’s full state: ${message}`.slice(0, 500), status: 'failed' }]);
      await this.withdraw();
      await this.context.applyHeld(this.source.settle(request.copyId) ?? []);
    }
  }

  /** The target installed the copy: its deltas go on after `seq` (its numbering may have restarted). */
  async installed(envelope: EnvelopeOf<'copy-installed'>): Promise<void> {
    if (this.served === envelope.copyId) await this.withdraw();
    const held = this.source.settle(envelope.copyId);
    if (held === null) return;
    this.context.journal.copySettled(envelope.copyId, 'applied');
    this.context.restartInbox(envelope.seq);
    this.context.journal.write([{ direction: 'sent', kind: 'pairing', target: 'full-state copy', summary: 'The paired site installed this site’s full state', status: 'applied' }]);
    await this.context.applyHeld(held);
  }

  /** The target gave up the copy. */
  async aborted(envelope: EnvelopeOf<'copy-abort'>): Promise<void> {
    if (this.served === envelope.copyId) await this.withdraw();
    const held = this.source.settle(envelope.copyId);
    if (held === null) return;
    this.context.journal.copySettled(envelope.copyId, 'info');
    this.context.journal.write([
      {
        direction: 'sent',
        kind: 'pairing',
        target: 'full-state copy',
        summary: `The paired site did not install this site’s full state: ${envelope.reason}`.slice(0, 500),
        status: 'info',
        detail: envelope.reason,
      },
    ]);
    await this.context.applyHeld(held);
  }

  /** The blobs of the copy this site serves go from its store (unless a delta still names one). */
  async withdraw(): Promise<void> {
    if (this.served === null) return;
    const id = this.served;
    this.served = null;
    await this.context.blobs.withdraw(holderOf(id));
  }
}
