import { compareHlc, decodeHlc, encodeHlc, type Hlc } from '../../sync/hlc';
import type { Envelope, EnvelopeOf } from '../../sync/wire';
import { decodeDelta, encodeDelta, type WireDelta } from '../delta';
import type { FileVersions } from '../file-versions';
import { filesWanted, lostWithReload, pathsBelowFoldersOnTheWay, pathsOnTheWay, type BatchPositions, type ReloadLoss } from '../rejoin';
import { readSiteFacts, siteFileHashes, type SiteFacts } from '../copy';
import type { DeltaLink } from './delta-link';
import type { LocalChanges } from './local-changes';
import type { PeerJournal } from './peer-journal';
import type { PeerSite } from './peer-site';

export interface RejoinContext {
  readonly site: PeerSite;
  readonly peerId: string;
  readonly remotePeerId: string;
  readonly link: DeltaLink;
  readonly local: LocalChanges;
  readonly fileVersions: FileVersions;
  readonly journal: PeerJournal;
  /** When this page (this peer) started: the paired site's rejoin envelopes carry theirs. */
  readonly pageSince: Hlc;
  /** The paired site's deltas go on after `appliedUpTo`. */
  readonly restartInbox: (appliedUpTo: number) => void;
  readonly resendPending: () => void;
  /**
   * This site's database went back behind what the paired site has of it (`lost`): says so, and
   * answers whether a full-state copy from the paired site replaces it (see
   * `SyncPeer.restoreAfterGoingBack`). Call from a step.
   */
  readonly wentBack: (lost: ReloadLoss) => Promise<boolean>;
}

/**
 * Resuming after a saved site reloaded (see rejoin.ts): the reloaded site kept its files and
 * database and lost its peer; it asks the paired site to go on from where it stands, and the
 * paired site answers with where it stands and the files it wants. Also tells which envelopes
 * are from before a reload, on either side, and so are ignored.
 */
export class RejoinFlow {
  /** This site reloaded and asked to rejoin (under this id): nothing else goes out or comes in until it is answered. */
  private asked: { id: string; askedAt: number } | null = null;
  /** Where the database stood as the reload left it (read by the first request: later ones may see batches this page made since). */
  private kept: BatchPositions | null = null;
  /** Envelopes of the paired site's stamped before this are from before a reload (of either side). */
  private peerSince: Hlc | null = null;
  /** The start of the paired site's latest page heard of: rejoin envelopes from an earlier page are from a page that is gone. */
  private peerPageSince: Hlc | null = null;
  /** The stamp of the latest rejoin request answered: its duplicates and the page's older requests are not answered again. */
  private answeredAt: Hlc | null = null;

  constructor(private readonly context: RejoinContext) {}

  /** Whether this site still waits for the answer to its rejoin request. */
  get waiting(): boolean {
    return this.asked !== null;
  }

  /** Asks the paired site to go on from where this reloaded site stands; its files as the reload left them go with it. */
  async ask(): Promise<void> {
    const { site, link, pageSince } = this.context;
    const id = crypto.randomUUID();
    this.asked = { id, askedAt: performance.now() };
    if (this.kept === null) {
      const engine = engineOf(await readSiteFacts(site.client));
      this.kept = { lastBatchSeq: engine.lastBatchSeq, appliedOfPeer: engine.cursors[this.context.remotePeerId] ?? 0 };
    }
    const files = await siteFileHashes(site.client);
    // Deltas enqueued meanwhile (rows the outbox kept) wait for the answer; they are numbered after baseSeq.
    link.control('rejoin', { rejoinId: id, pageSince: encodeHlc(pageSince), baseSeq: link.ackedUpTo, files: [...files] });
  }

  /** Asks again under a new id if unanswered for `quietMs` (the request or its answer may be lost). Resolves whether it did. */
  async askAgainIfUnanswered(quietMs: number): Promise<boolean> {
    if (this.asked === null || performance.now() - this.asked.askedAt < quietMs) return false;
    await this.ask();
    return true;
  }

  /**
   * While this site waits for the answer to its rejoin, only that answer counts: anything else
   * was sent before the paired site heard of the reload (its numbering and acks are the old page's).
   * Afterwards, and on the other side of a rejoin, envelopes stamped before it are stale.
   * Rejoin envelopes are judged by the page that sent them instead: when both sites reloaded, a
   * page stamps its own request before its answer to the other's, and that request still stands.
   */
  isStale(envelope: Envelope<WireDelta>, clock: Hlc | null): boolean {
    if (envelope.kind === 'rejoin' || envelope.kind === 'rejoined') {
      const page = decodeHlc(envelope.pageSince);
      if (page === null || clock === null || isBefore(page, this.peerPageSince)) return true;
      this.peerPageSince = page;
      if (envelope.kind === 'rejoined') return this.asked === null || envelope.rejoinId !== this.asked.id;
      // Both sites reloaded: each answers the other's rejoin while waiting for its own answer.
      return this.answeredAt !== null && compareHlc(clock, this.answeredAt) <= 0;
    }
    return this.asked !== null || isBefore(clock, this.peerSince);
  }

  /**
   * The paired site reloaded and kept what it had: its deltas now go on after its `baseSeq`, this
   * site's unacknowledged ones go to it again, and it is asked for the files it changed whose
   * changes were lost with its page.
   */
  async answer(request: EnvelopeOf<'rejoin'>, clock: Hlc | null): Promise<void> {
    const { site, link, local, journal, peerId, remotePeerId, pageSince } = this.context;
    this.answeredAt = clock;
    this.peerSince = latest(this.peerSince, clock);
    // The paired site's new page refused nothing yet.
    link.restartResends();
    // Files recorded here and not sent yet are on the way too.
    await local.send(null);
    // The reloaded site forgot which of this site's file changes a newer one has overtaken since.
    link.mapPending((payload) => this.withoutOvertakenFiles(payload));
    const here = await siteFileHashes(site.client);
    const bothReloaded = this.asked === null ? null : { reloadedWinsDifferences: remotePeerId < peerId };
    const want = filesWanted(request.files, here, pathsOnTheWay(link.pending), bothReloaded);
    this.context.restartInbox(request.baseSeq);
    const appliedOfYours = engineOf(await readSiteFacts(site.client)).cursors[remotePeerId] ?? 0;
    link.control('rejoined', { rejoinId: request.rejoinId, pageSince: encodeHlc(pageSince), baseSeq: link.ackedUpTo, want, appliedOfYours, releasedOfMine: local.acknowledgedBatch });
    journal.write([
      {
        direction: 'received',
        kind: 'pairing',
        target: 'paired site',
        summary: `The paired site reloaded and resumes from its saved state: ${link.unacknowledgedCount} change(s) of this site go to it again, ${want.length} of its file(s) come here`,
        status: 'info',
        ...(want.length > 0 ? { detail: want.slice(0, 200).join('\n') } : {}),
      },
    ]);
    this.context.resendPending();
    const settle = pathsBelowFoldersOnTheWay(link.pending, here.keys(), request.files.map(([path]) => path));
    if (settle.length > 0) await local.send(null, await local.readCurrent(settle));
  }

  /** The paired site answered: deltas flow again from both positions, with the files it asked for first. */
  async answered(answer: EnvelopeOf<'rejoined'>, clock: Hlc | null): Promise<void> {
    const { link, local, journal } = this.context;
    if (this.asked === null || this.asked.id !== answer.rejoinId) return;
    const lost = this.kept === null ? null : lostWithReload(this.kept, answer);
    this.asked = null;
    this.peerSince = latest(this.peerSince, clock);
    link.restartResends();
    this.context.restartInbox(answer.baseSeq);
    // The paired site has what the database lost (it applied what this page sent, and sent what
    // it applied): in a pair its full state replaces this site's, rather than deltas numbered anew over it.
    if (lost && (await this.context.wentBack(lost))) return;
    const files = await local.readCurrent(answer.want);
    journal.write([
      {
        direction: 'local',
        kind: 'pairing',
        target: 'paired site',
        summary: `Resumed after the reload from this site’s saved state: ${link.unacknowledgedCount} change(s) kept on this site go out, ${files.length} file(s) the paired site lacked are sent`,
        status: 'info',
      },
    ]);
    this.context.resendPending();
    if (files.length > 0) await local.send(null, files);
    local.schedulePull();
  }

  /** `payload` without the file changes a newer change to their path (this site's, or one applied from the paired site) overtook. */
  private withoutOvertakenFiles(payload: WireDelta): WireDelta {
    const decoded = decodeDelta(payload);
    if (!decoded.ok) return payload;
    const { delta } = decoded;
    const current = delta.files.filter((change) => !this.context.fileVersions.overtaken(change, delta.hlc));
    return current.length === delta.files.length ? payload : encodeDelta({ ...delta, files: current });
  }
}

/** The engine's positions in a site's facts (a site without the engine's tables has none). */
function engineOf(facts: SiteFacts): { lastBatchSeq: number; cursors: Readonly<Record<string, number>> } {
  return facts.engine ?? { lastBatchSeq: 0, cursors: {} };
}

/** Whether `clock` is known and earlier than `mark` (nothing is before an unknown mark). */
function isBefore(clock: Hlc | null, mark: Hlc | null): boolean {
  return clock !== null && mark !== null && compareHlc(clock, mark) < 0;
}

function latest(a: Hlc | null, b: Hlc | null): Hlc | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareHlc(a, b) < 0 ? b : a;
}
