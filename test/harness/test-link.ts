/**
 * A message link between sync peers for tests: messages cross as JSON (as over
 * `chrome.runtime` ports, so anything JSON cannot carry shows up here), and a seeded random
 * source can duplicate, reorder and hold them back. `settle()` delivers until every side is quiet.
 * With two sides a message goes to the other one; with more, to the side its `to` names (name
 * the sides by their members' peer ids).
 */
export interface LinkFaults {
  /** Chance that a message is delivered twice. */
  duplicate?: number;
  /** Chance that a message is delivered after later ones. */
  reorder?: number;
  /** Chance that a message is held back for a later `settle()` round. */
  delay?: number;
}

/** The two sides of a pair. */
export type Side = 'a' | 'b';
/** Any side: a pair's, or a group member's (named by its peer id). */
type Name = string;
type Receiver = (message: unknown) => Promise<void>;

interface InFlight {
  from: Name;
  to: Name;
  json: string;
  heldRounds: number;
}

export class TestLink {
  private readonly queue: InFlight[] = [];
  private readonly receivers = new Map<Name, Receiver>();
  private readonly random: () => number;
  /** Every message as sent, for reading in a failure. */
  readonly log: { from: Name; json: string }[] = [];
  /** Told the side each message is queued for, as it is queued (see prompt-delivery.ts). */
  onQueued: ((to: Name) => void) | null = null;

  constructor(
    private readonly faults: LinkFaults = {},
    seed = 1,
  ) {
    this.random = mulberry32(seed);
  }

  /** Registers `side`'s receiver and returns the function it sends with. */
  attach(side: Name, receive: Receiver): (message: unknown) => void {
    this.receivers.set(side, receive);
    return (message) => {
      const to = this.destination(side, message);
      const json = JSON.stringify(message);
      this.log.push({ from: side, json });
      this.queue.push({ from: side, to, json, heldRounds: this.chance(this.faults.delay) ? 1 + Math.floor(this.random() * 3) : 0 });
      if (this.chance(this.faults.duplicate)) this.queue.push({ from: side, to, json, heldRounds: 1 });
      this.onQueued?.(to);
    };
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Messages queued to `to` (held ones included), oldest first, as sent. */
  queuedFor(to: Name): string[] {
    return this.queue.filter((message) => message.to === to).map((message) => message.json);
  }

  /**
   * Loses every message in flight to or from `side` (its page went away with them), held and
   * duplicated copies included; with `onlyTo`, only those to it (what it sent still arrives, as
   * the background routes what a closed tab sent before). Answers how many were lost.
   */
  discard(side: Name, onlyTo = false): number {
    const kept = this.queue.filter((message) => message.to !== side && (onlyTo || message.from !== side));
    const lost = this.queue.length - kept.length;
    this.queue.splice(0, this.queue.length, ...kept);
    return lost;
  }

  /** Delivers messages (and whatever they cause) until none are left, in at most `maxRounds`. */
  async settle(maxRounds = 1000): Promise<void> {
    for (let round = 0; this.queue.length > 0; round++) {
      if (round >= maxRounds) throw new Error(`TestLink did not settle in ${maxRounds} rounds`);
      const batch = this.queue.splice(0, this.queue.length);
      if (this.chance(this.faults.reorder)) shuffle(batch, this.random);
      for (const message of batch) {
        if (message.heldRounds > 0) {
          this.queue.push({ ...message, heldRounds: message.heldRounds - 1 });
          continue;
        }
        const receive = this.receivers.get(message.to);
        if (!receive) throw new Error(`Nothing attached on side ${message.to}`);
        await receive(JSON.parse(message.json));
      }
    }
  }

  /**
   * Delivers up to `count` of the messages queued for `to` (and whatever they cause), oldest
   * first unless the batch is reordered; a held message passed over waits one round less.
   */
  async deliverSome(to: Name, count: number): Promise<void> {
    const ready: InFlight[] = [];
    for (const message of this.queue) {
      if (ready.length >= count) break;
      if (message.to !== to) continue;
      if (message.heldRounds > 0) message.heldRounds -= 1;
      else ready.push(message);
    }
    for (const message of ready) this.queue.splice(this.queue.indexOf(message), 1);
    if (this.chance(this.faults.reorder)) shuffle(ready, this.random);
    const receive = this.receivers.get(to);
    if (!receive) throw new Error(`Nothing attached on side ${to}`);
    for (const message of ready) await receive(JSON.parse(message.json));
  }

  /**
   * Hands every message queued for `to` to its receiver at once, without waiting for one to be
   * handled before the next (as the extension's content script does), then waits for them all.
   */
  async deliverAtOnce(to: Name): Promise<void> {
    const ready = this.queue.filter((message) => message.to === to);
    for (const message of ready) this.queue.splice(this.queue.indexOf(message), 1);
    const receive = this.receivers.get(to);
    if (!receive) throw new Error(`Nothing attached on side ${to}`);
    await Promise.all(ready.map((message) => receive(JSON.parse(message.json))));
  }

  /**
   * Delivers the oldest message queued for `to` that `matches` (held or not), and whatever it
   * causes, ahead of the others: a message overtaking older ones on the way. Answers whether one did.
   */
  async deliverFirst(to: Name, matches: (message: { kind: string }) => boolean): Promise<boolean> {
    const message = this.queue.find((queued) => queued.to === to && matches(JSON.parse(queued.json) as { kind: string }));
    if (!message) return false;
    this.queue.splice(this.queue.indexOf(message), 1);
    const receive = this.receivers.get(to);
    if (!receive) throw new Error(`Nothing attached on side ${to}`);
    await receive(JSON.parse(message.json));
    return true;
  }

  /** The side `to` names when one is attached under that name; otherwise the other of two sides ('a' and 'b'). */
  private destination(from: Name, message: unknown): Name {
    const named = typeof message === 'object' && message !== null ? (message as { to?: unknown }).to : undefined;
    if (typeof named === 'string' && this.receivers.has(named)) return named;
    if (from === 'a' || from === 'b') return from === 'a' ? 'b' : 'a';
    throw new Error(`No side for a message from ${from} to ${String(named)}`);
  }

  private chance(probability = 0): boolean {
    return probability > 0 && this.random() < probability;
  }
}

/** Small, fast, seedable PRNG: the same seed gives the same run. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
