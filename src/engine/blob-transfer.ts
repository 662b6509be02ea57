import { BLOB_CHUNK_BYTES, type BlobStore, type BlobWriteChange } from '../files';
import type { JournalEntry } from '../protocol/journal-entry';
import type { EnvelopeOf } from '../sync/wire';
import { base64ToBytes, bytesToBase64 } from '../platform/base64';

/** The holder of blobs received deltas name. */
const RECEIVED = 'in';

/** Chunks of a blob on their way or being stored at once (the store takes them in any order). */
export const BLOB_WINDOW = 12;
/** A fetch that heard nothing for this long asks again for what it is waiting for. */
export const BLOB_STALL_MS = 5_000;

type Body<K extends 'blob-request' | 'blob-chunk' | 'blob-missing'> = Omit<EnvelopeOf<K>, 'v' | 'pairId' | 'from' | 'to' | 'seq' | 'ackUpTo' | 'hlc'>;
export type BlobMessage = Body<'blob-request'> | Body<'blob-chunk'> | Body<'blob-missing'>;
type NewEntry = Omit<JournalEntry, 'id' | 'time' | 'site'>;
/** A blob as a transfer needs to know it: its name and size. */
export type BlobRef = Pick<BlobWriteChange, 'sha256' | 'size'>;
/** One chunk's bytes, however they came. */
export type ChunkBytes = Pick<Body<'blob-chunk'>, 'sha256' | 'offset' | 'size'> & { readonly bytes: Uint8Array };

/** This tab's lane (wire.ts): its address, and how to answer the paired tab on that tab's lane. */
export interface TransferLane {
  readonly address: string;
  readonly send: (to: string, chunk: ChunkBytes) => void;
}

export interface BlobTransferOptions {
  /** This site's blob store (the recorder stages big files into it). */
  readonly store: Pick<BlobStore, 'has' | 'partSize' | 'readChunk' | 'writeChunk' | 'finish' | 'remove'>;
  /** Sends one blob envelope's body to the member `to` (the caller adds the header). */
  readonly send: (to: string, message: BlobMessage) => void;
  /**
   * A channel straight between the two tabs, beside the link: chunks are asked for with its
   * address and served on the asker's. Without it (or once it proved unreachable) they go over the link.
   */
  readonly lane?: TransferLane;
  /** A fetch ended (the blob is in the store, or it failed): deltas waiting for it may go on. */
  readonly onFetchEnded: () => void;
  /** Bytes of a blob being pulled are in the store's part up to `written`. */
  readonly onStored?: (sha256: string, written: number) => void;
  readonly journal: (entries: NewEntry[]) => void;
  /**
   * Runs the bookkeeping after a chunk reached the store in order with the owner's other work
   * (the chunk's write itself runs at once, alongside the window's other chunks). Default: at once.
   */
  readonly inOrder?: (work: () => Promise<void>) => Promise<void>;
  readonly now?: () => number;
}

/** Whether a received delta's blobs are all in this site's store. */
export type BlobReadiness = { readonly kind: 'ready' } | { readonly kind: 'waiting' } | { readonly kind: 'failed'; readonly reason: string };

interface Fetch {
  readonly sha256: string;
  readonly size: number;
  /** The member whose delta named the blob: it serves the bytes. */
  readonly source: string;
  /** Bytes stored from the start of the blob without a gap. */
  written: number;
  /** The next offset to ask for. */
  next: number;
  readonly inFlight: Set<number>;
  /** Chunks received and being written to the store. */
  storing: number;
  /** Chunks stored past a gap (the link may reorder): `written` moves over them once the gap fills. */
  readonly stored: Set<number>;
  finishing: boolean;
  lastHeard: number;
  /** This fetch stalled with its chunks asked for on the lane: the rest is asked for over the link. */
  viaLink: boolean;
}

/**
 * Big files between a site and the other members of its group: the sending side serves chunks of
 * the blobs its unacknowledged deltas name to whoever asks; the receiving side pulls the blobs a
 * delta names from the member that sent it before it is
 * applied, one blob at a time with at most BLOB_WINDOW chunks out or being stored, each stored as
 * it arrives, in any order (resuming where the stored bytes stop having a gap).
 *
 * The store is shared by both sides and the recorder: a blob is removed only when nothing holds
 * it any more (an unacknowledged outgoing delta, an incoming delta not yet applied).
 */
export class BlobTransfer {
  private readonly holders = new Map<string, Set<string>>();
  /** Sizes of the blobs this side's unacknowledged deltas name, and which blobs each delta names. */
  private readonly offered = new Map<string, number>();
  private readonly offeredBySeq = new Map<number, string[]>();
  private readonly offeredFor = new Map<string, string[]>();
  private readonly queue: { sha256: string; size: number; source: string }[] = [];
  private active: Fetch | null = null;
  private readonly failed = new Map<string, string>();
  /** Whether chunks asked for on this side's lane arrive there: untried until one does, or until a fetch stalls first. */
  private lane: 'untried' | 'works' | 'unreachable' = 'untried';

  constructor(private readonly options: BlobTransferOptions) {}

  // --- Sending side ------------------------------------------------------------------------

  /** Blobs served for `holder` (e.g. a full-state copy) until `withdraw(holder)`. */
  offerFor(holder: string, blobs: readonly BlobRef[]): void {
    const names = unique(blobs).map(({ sha256, size }) => {
      this.offered.set(sha256, size);
      this.hold(sha256, holder);
      return sha256;
    });
    this.offeredFor.set(holder, names);
  }

  /** `holder` needs its blobs no more: they go, unless something else holds them. */
  async withdraw(holder: string): Promise<void> {
    const names = this.offeredFor.get(holder);
    if (names === undefined) return;
    this.offeredFor.delete(holder);
    for (const name of names) await this.letGo(name, holder);
  }

  /** Outgoing delta `seq` names these blobs: they are served until it is acknowledged. */
  offer(seq: number, blobs: readonly BlobWriteChange[]): void {
    if (blobs.length === 0) return;
    const names = unique(blobs).map(({ sha256, size }) => {
      this.offered.set(sha256, size);
      this.hold(sha256, `out:${seq}`);
      return sha256;
    });
    this.offeredBySeq.set(seq, names);
  }

  /** The peer acknowledged every delta up to `upTo`: their blobs go, unless something else holds them. */
  async releaseAcked(upTo: number): Promise<void> {
    for (const [seq, names] of this.offeredBySeq) {
      if (seq > upTo) continue;
      this.offeredBySeq.delete(seq);
      for (const name of names) await this.letGo(name, `out:${seq}`);
    }
  }

  /** Answers a chunk request: the bytes from its offset, or that this side has no such blob. */
  async serve(request: Body<'blob-request'>, from: string): Promise<void> {
    const { sha256, offset } = request;
    const size = this.offered.get(sha256);
    if (size === undefined) {
      this.options.send(from, { kind: 'blob-missing', sha256 });
      return;
    }
    if (offset >= size || offset % BLOB_CHUNK_BYTES !== 0) {
      this.reject(`Rejected blob request: offset ${offset} is not a chunk of the ${size} bytes of ${sha256.slice(0, 12)}…`);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.options.store.readChunk(sha256, offset, Math.min(BLOB_CHUNK_BYTES, size - offset));
    } catch {
      this.options.send(from, { kind: 'blob-missing', sha256 });
      return;
    }
    if (request.replyTo !== undefined && this.options.lane) {
      try {
        this.options.lane.send(request.replyTo, { sha256, offset, size, bytes });
        return;
      } catch {
        // The lane is closed or cannot carry these bytes: the link can.
      }
    }
    this.options.send(from, { kind: 'blob-chunk', sha256, offset, size, base64: bytesToBase64(bytes) });
  }

  // --- Receiving side ----------------------------------------------------------------------

  /**
   * Whether the blobs a received delta names are all here; starts pulling those that are not.
   * Asked again for the same delta (a resend, the next apply attempt) it starts no second fetch.
   * A failed fetch is reported once: asked again after that, it starts over.
   */
  async prepare(blobs: readonly BlobRef[], source: string, holder = RECEIVED): Promise<BlobReadiness> {
    let waiting = false;
    for (const { sha256, size } of unique(blobs)) {
      this.hold(sha256, holder);
      const failure = this.failed.get(sha256);
      if (failure !== undefined) {
        this.failed.delete(sha256);
        return { kind: 'failed', reason: failure };
      }
      if (this.active?.sha256 === sha256) {
        this.askAgainIfStalled(this.active);
        waiting = true;
      } else if (this.queue.some((queued) => queued.sha256 === sha256)) {
        waiting = true;
      } else if (!(await this.options.store.has(sha256))) {
        this.queue.push({ sha256, size, source });
        waiting = true;
      }
    }
    if (!waiting) return { kind: 'ready' };
    await this.startNext();
    return { kind: 'waiting' };
  }

  /** One chunk of the blob being pulled, from the link (see `receiveBytes`). */
  async receiveChunk(chunk: Body<'blob-chunk'>, from: string): Promise<void> {
    const fetch = this.awaiting(chunk, from);
    if (fetch === null) return;
    const { sha256, offset, size } = chunk;
    await this.receiveBytes(fetch, { sha256, offset, size, bytes: base64ToBytes(chunk.base64) });
  }

  /** One chunk of the blob being pulled, from this side's lane: the lane works. */
  async receiveLaneChunk(chunk: ChunkBytes, from: string): Promise<void> {
    const fetch = this.awaiting(chunk, from);
    if (fetch === null) return;
    this.lane = 'works';
    await this.receiveBytes(fetch, chunk);
  }

  /** The fetch a chunk belongs to, if it was asked for and has not come yet (late and repeated chunks are dropped). */
  private awaiting({ sha256, offset }: Pick<ChunkBytes, 'sha256' | 'offset'>, from: string): Fetch | null {
    const fetch = this.active;
    return fetch !== null && fetch.source === from && fetch.sha256 === sha256 && fetch.inFlight.has(offset) ? fetch : null;
  }

  /**
   * A chunk of `fetch`: written to the store at once (the window's chunks are written side by
   * side), then booked through `inOrder`. Malformed ones are journaled.
   */
  private async receiveBytes(fetch: Fetch, chunk: ChunkBytes): Promise<void> {
    const expected = Math.min(BLOB_CHUNK_BYTES, fetch.size - chunk.offset);
    const { bytes } = chunk;
    if (chunk.size !== fetch.size || bytes.byteLength !== expected) {
      const summary = `${bytes.byteLength} bytes at ${chunk.offset} of a blob of ${chunk.size}, expected ${expected} of ${fetch.size}`;
      this.reject(`Rejected blob chunk: ${summary}`);
      // The peer has other bytes under that name than the delta announced: asking again would not help.
      await this.inOrder(() => this.end(fetch, `the paired site sent ${summary}`));
      return;
    }
    fetch.inFlight.delete(chunk.offset);
    fetch.storing += 1;
    fetch.lastHeard = this.now();
    let failure: string | null = null;
    try {
      await this.options.store.writeChunk(fetch.sha256, chunk.offset, bytes);
    } catch (error) {
      failure = `could not store its bytes: ${error instanceof Error ? error.message : String(error)}`;
    }
    await this.inOrder(() => this.booked(fetch, chunk.offset, failure));
  }

  /** A chunk's write ended: the stored bytes without a gap grow, more is asked for, or the blob is finished. */
  private async booked(fetch: Fetch, offset: number, failure: string | null): Promise<void> {
    fetch.storing -= 1;
    if (failure !== null) return this.end(fetch, failure);
    if (this.active !== fetch) return;
    fetch.stored.add(offset);
    while (fetch.stored.delete(fetch.written)) fetch.written = Math.min(fetch.size, fetch.written + BLOB_CHUNK_BYTES);
    this.options.onStored?.(fetch.sha256, fetch.written);
    if (fetch.written < fetch.size) this.askForMore(fetch);
    else if (!fetch.finishing) await this.finish(fetch);
  }

  /** The member `from` does not have a blob this side is pulling from it (any more). */
  async onMissing(sha256: string, from: string): Promise<void> {
    const reason = 'the paired site no longer has these bytes';
    if (this.active?.sha256 === sha256 && this.active.source === from) {
      await this.end(this.active, reason);
      return;
    }
    const queued = this.queue.findIndex((entry) => entry.sha256 === sha256 && entry.source === from);
    if (queued < 0) return;
    this.queue.splice(queued, 1);
    this.failed.set(sha256, reason);
    this.options.onFetchEnded();
  }

  /** The chunks asked for and not received yet are asked for again now (the link was down). */
  askAgain(): void {
    const fetch = this.active;
    if (fetch === null) return;
    fetch.lastHeard = this.now();
    for (const offset of fetch.inFlight) this.request(fetch, offset);
  }

  /**
   * Nothing came for a while: what was asked for is asked for again, over the link. The lane is
   * only a faster way: a fetch that stalled on it goes on over the link, and a lane that never
   * brought a chunk is given up for good (the tabs cannot reach each other directly, e.g. one is
   * in an incognito window); one that did is tried again for the next blob.
   */
  askAgainAfterStall(): void {
    const fetch = this.active;
    if (fetch === null) return;
    if (this.options.lane && this.lane !== 'unreachable' && !fetch.viaLink) {
      fetch.viaLink = true;
      const never = this.lane === 'untried';
      if (never) this.lane = 'unreachable';
      this.options.journal([
        {
          direction: 'local',
          kind: 'pairing',
          target: 'big files',
          summary: never
            ? 'The paired tab cannot be reached directly (another browser profile, or an incognito window?): big files go through the extension, more slowly'
            : `A big file (${formatSize(fetch.size)}) stopped coming straight from the paired tab: the rest comes through the extension`,
          status: 'info',
        },
      ]);
    }
    this.askAgain();
  }

  /**
   * The deltas that asked `source` for blobs are gone (its numbering started over): no fetch from
   * it goes on and no failure is remembered. Parts stay in the store: a delta naming the same blob
   * again resumes where its part ended.
   */
  forgetFetches(source: string): void {
    if (this.active?.source === source) this.active = null;
    const kept = this.queue.filter((entry) => entry.source !== source);
    this.queue.splice(0, this.queue.length, ...kept);
    this.failed.clear();
    // Another member's fetch waiting behind a forgotten one starts now; one that cannot start fails when its delta asks again.
    void this.startNext().catch(() => undefined);
  }

  /** A received delta was applied (or given up): the blobs it named go, unless something else holds them. */
  async releaseReceived(blobs: readonly BlobRef[], holder = RECEIVED): Promise<void> {
    for (const { sha256 } of unique(blobs)) await this.letGo(sha256, holder);
  }

  /**
   * What `holder` prepared is not wanted any more (a copy given up): fetches of blobs nothing
   * else holds stop, and those blobs and their parts go.
   */
  async abandon(blobs: readonly BlobRef[], holder: string): Promise<void> {
    for (const { sha256 } of unique(blobs)) {
      const others = [...(this.holders.get(sha256) ?? [])].filter((name) => name !== holder);
      if (others.length > 0) continue;
      if (this.active?.sha256 === sha256) this.active = null;
      const queued = this.queue.findIndex((entry) => entry.sha256 === sha256);
      if (queued >= 0) this.queue.splice(queued, 1);
      this.failed.delete(sha256);
      this.holders.delete(sha256);
      this.offered.delete(sha256);
      await this.options.store.remove(sha256).catch(() => undefined);
    }
    await this.startNext();
  }

  /** Blobs the recorder staged and did not send (echoes, files already on the peer): removed unless held. */
  async discardUnlessHeld(names: Iterable<string>): Promise<void> {
    for (const name of names) if (!this.holders.has(name)) await this.options.store.remove(name).catch(() => undefined);
  }

  // ---------------------------------------------------------------------------------------

  private async startNext(): Promise<void> {
    while (this.active === null) {
      const next = this.queue.shift();
      if (next === undefined) return;
      // Chunks are asked for at their boundaries: a part that ends between two is taken up from the last one.
      const part = await this.options.store.partSize(next.sha256);
      const written = part >= next.size ? part : part - (part % BLOB_CHUNK_BYTES);
      const fetch: Fetch = { ...next, written, next: written, inFlight: new Set(), storing: 0, stored: new Set(), finishing: false, lastHeard: this.now(), viaLink: false };
      this.active = fetch;
      if (written >= fetch.size) await this.finish(fetch);
      else this.askForMore(fetch);
    }
  }

  private askForMore(fetch: Fetch): void {
    while (fetch.inFlight.size + fetch.storing + fetch.stored.size < BLOB_WINDOW && fetch.next < fetch.size) {
      fetch.inFlight.add(fetch.next);
      this.request(fetch, fetch.next);
      fetch.next += BLOB_CHUNK_BYTES;
    }
  }

  private request(fetch: Fetch, offset: number): void {
    const lane = this.options.lane;
    const replyTo = lane && this.lane !== 'unreachable' && !fetch.viaLink ? { replyTo: lane.address } : {};
    this.options.send(fetch.source, { kind: 'blob-request', sha256: fetch.sha256, offset, ...replyTo });
  }

  /** Requests or chunks lost on the way (a service worker stopped in between): asked for again. */
  private askAgainIfStalled(fetch: Fetch): void {
    if (this.now() - fetch.lastHeard >= BLOB_STALL_MS) this.askAgainAfterStall();
  }

  private async finish(fetch: Fetch): Promise<void> {
    fetch.finishing = true;
    let failure: string | null;
    try {
      const result = await this.options.store.finish(fetch.sha256);
      failure = result.ok ? null : `its bytes arrived with sha256 ${result.actualSha256}, not the one announced`;
    } catch (error) {
      failure = `could not store its bytes: ${error instanceof Error ? error.message : String(error)}`;
    }
    await this.end(fetch, failure);
  }

  /** The fetch is over: the blob is in the store (`failure` null) or not; the next one starts. */
  private async end(fetch: Fetch, failure: string | null): Promise<void> {
    if (this.active !== fetch) return;
    this.active = null;
    if (failure !== null) {
      this.failed.set(fetch.sha256, failure);
      await this.options.store.remove(fetch.sha256).catch(() => undefined);
    }
    this.options.onFetchEnded();
    await this.startNext();
  }

  private hold(name: string, holder: string): void {
    const holders = this.holders.get(name) ?? new Set();
    holders.add(holder);
    this.holders.set(name, holders);
  }

  private async letGo(name: string, holder: string): Promise<void> {
    const holders = this.holders.get(name);
    if (!holders?.delete(holder) || holders.size > 0) return;
    this.holders.delete(name);
    this.offered.delete(name);
    await this.options.store.remove(name).catch(() => undefined);
  }

  private reject(summary: string): void {
    this.options.journal([{ direction: 'received', kind: 'input', target: 'peer message', summary: summary.slice(0, 500), status: 'rejected' }]);
  }

  private inOrder(work: () => Promise<void>): Promise<void> {
    return this.options.inOrder ? this.options.inOrder(work) : work();
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }
}

function unique<T extends BlobRef>(blobs: readonly T[]): T[] {
  const seen = new Set<string>();
  return blobs.filter(({ sha256 }) => !seen.has(sha256) && (seen.add(sha256), true));
}

function formatSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}
