import type { LaneChunk } from './wire';

/** A tab's end of the lanes (wire.ts): where it receives, and how it answers another tab's lane. */
export interface BlobLane {
  /** This tab's address: the paired tab answers a `blob-request` naming it on it. */
  readonly address: string;
  /**
   * Posts `message` to the lane at `to`. Nothing tells whether anyone listens (a fetch that hears
   * nothing asks again); throws when the message cannot go at all (a closed lane).
   */
  send(to: string, message: LaneChunk): void;
}

/** Lanes a tab answers on at once, at most (each pairing's peer has one; older ones are closed). */
const OPEN_ANSWER_LANES = 4;

/**
 * Lanes over BroadcastChannel: the two tabs of a pairing are pages of the same origin, so a channel
 * of a name only they know joins them directly (a web API, in Node as in the browser). Messages
 * are structured clones: a chunk's bytes cross as bytes. The name is random and is only ever
 * told over the link, so no page script can listen or post on it; what arrives is checked anyway.
 */
export class BroadcastLane implements BlobLane {
  private readonly answering = new Map<string, BroadcastChannel>();

  private constructor(
    readonly address: string,
    private readonly receiving: BroadcastChannel,
  ) {}

  /** Opens this tab's lane; every message posted to it goes to `onMessage`, unchecked. */
  static open(onMessage: (message: unknown) => void): BroadcastLane {
    const address = `pgsync-lane:${crypto.randomUUID()}`;
    const receiving = new BroadcastChannel(address);
    receiving.onmessage = (event: MessageEvent) => onMessage(event.data);
    return new BroadcastLane(address, receiving);
  }

  send(to: string, message: LaneChunk): void {
    let channel = this.answering.get(to);
    if (channel === undefined) {
      channel = new BroadcastChannel(to);
      this.answering.set(to, channel);
      for (const [address, old] of this.answering) {
        if (this.answering.size <= OPEN_ANSWER_LANES) break;
        old.close();
        this.answering.delete(address);
      }
    }
    // Bytes in shared memory cannot leave their agent cluster (the other tab): they go as a copy.
    const bytes = message.bytes.buffer instanceof ArrayBuffer ? message.bytes : message.bytes.slice();
    channel.postMessage({ ...message, bytes });
  }

  close(): void {
    this.receiving.close();
    for (const channel of this.answering.values()) channel.close();
    this.answering.clear();
  }
}
