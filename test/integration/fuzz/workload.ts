import { mulberry32, type Side } from '../../harness/test-link';

/**
 * The fuzz workload as data: each op is a plain JSON description `{ kind, side, args }`, made
 * from a seed alone. Targets are not chosen here but by the site when the op runs: `pick` is a
 * fraction that selects among what exists there at that moment (ordered by ID or path), so a
 * prefix of a seed's ops replays the same on fresh sites.
 */

export type { Side };
export type ArgValue = string | number | boolean;

/** Kinds that are WordPress work in one PHP request (see op-php.ts). */
export type RequestKind =
  | 'create-post'
  | 'edit-post'
  | 'trash-post'
  | 'untrash-post'
  | 'delete-post'
  | 'set-post-meta'
  | 'delete-post-meta'
  | 'create-term'
  | 'delete-term'
  | 'set-post-terms'
  | 'create-comment'
  | 'edit-comment'
  | 'delete-comment'
  | 'create-user'
  | 'set-user-meta'
  | 'delete-user'
  | 'set-option'
  | 'delete-option'
  | 'bulk-update-pages'
  | 'upload'
  | 'write-file'
  | 'rename-file'
  | 'delete-file'
  | 'rename-folder'
  | 'activate-plugin'
  | 'deactivate-plugin'
  | 'ledger-row';

/**
 * Workload kinds: request kinds, plus `concurrent-writes` (2–8 request kinds on one side, each
 * in its own page request, all issued at once, so they run on the site's PHP instances at the same
 * time; see `concurrentWrites`) and `rotate` (the site's PHP runtime is replaced, as php-wasm does
 * every few hundred requests; on an older build that loses `/internal/shared`, the engine's files).
 */
export type WorkloadKind = RequestKind | 'concurrent-writes' | 'rotate';

/**
 * Sync steps between workload ops: drain a side's pending changes, deliver some messages to it,
 * or `repair`: what a tab's 3-second timer does (`runTabTimer`: a rejoin a reload left unanswered
 * asked again, the engine put back if a rotation took its files).
 */
export type SyncKind = 'flush' | 'deliver' | 'repair';

/**
 * What happens to a side's tab: `reload`, its saved site's page reloads abruptly (what is in flight
 * to or from it is lost, the site keeps /wordpress) and a new peer resumes there. Not a workload
 * op: drawn between bursts by a dice of its own (see generateOps), so every seed's workload stayed
 * what it was before reloads existed.
 */
export type TabKind = 'reload';

/**
 * What happens to a sync group's membership (group fuzzing only, see group-workload.ts): `join`, a
 * new member boots and joins with a copy from a live member; `leave`, a member leaves; `restore`,
 * a member's page reloaded and lost its temporary site, restored from another member's copy.
 */
export type MembershipKind = 'join' | 'leave' | 'restore';

/** Kinds a fuzz run may leave out (`exclude`). */
export type ExcludableKind = WorkloadKind | TabKind | MembershipKind;

/** One op on a side: a pair's `a` or `b`, or a group member's peer id (`GroupOp`). */
export interface Op<S extends string = Side> {
  readonly kind: WorkloadKind | SyncKind | TabKind | MembershipKind;
  readonly side: S;
  readonly args: Readonly<Record<string, ArgValue>>;
}

export function isSyncStep(op: Op<string>): boolean {
  return op.kind === 'flush' || op.kind === 'deliver' || op.kind === 'repair';
}

/** Ops of the workload (what `workloadOps` counts): neither sync steps nor tab events. */
export function isWorkloadOp(op: Op<string>): boolean {
  return op.kind in GENERATORS;
}

/** Ops of request kinds: consecutive ones on one side share one PHP request (see executeOps). */
export function isRequestOp<S extends string>(op: Op<S>): op is Op<S> & { readonly kind: RequestKind } {
  return isWorkloadOp(op) && op.kind !== 'concurrent-writes' && op.kind !== 'rotate';
}

export class Dice {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Three decimals: enough to spread picks, short in a pasted op list. */
  fraction(): number {
    return Math.floor(this.next() * 1000) / 1000;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  oneOf<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  words(count: number): string {
    return Array.from({ length: count }, () => this.oneOf(WORDS)).join(' ');
  }
}

const WORDS = ['tea', 'river', 'Ünïcødé', 'quote\'s', '"dq"', 'back\\slash', 'emoji 🌊', 'a&b', '<em>x</em>', 'percent%s', 'zero'];
const META_KEYS = ['fuzz_color', 'fuzz_size', 'fuzz_link', 'fuzz_list'];
const OPTION_NAMES = ['fuzz_color', 'fuzz_links', 'fuzz_counter', 'fuzz_nested', 'blogdescription'];
const TERM_NAMES = ['Red', 'Green', 'Blue', 'Teal', 'Sand', 'Night'];
const USER_NAMES = ['ann', 'bob', 'cyd', 'dee', 'eve'];
const FILE_NAMES = ['a.txt', 'b.txt', 'c.bin', 'sub/d.txt', 'sub/e.bin', 'deep/x/f.txt', 'deep/y.txt'];
const FOLDER_NAMES = ['sub', 'deep', 'deep/x', 'moved', 'deep/moved'];

/** A value for meta or an option: plain, numeric, or an array (serialized) that may hold the site URL. */
function valueArgs(dice: Dice): Record<string, ArgValue> {
  const shape = dice.oneOf(['text', 'number', 'url-array', 'nested'] as const);
  return { shape, text: dice.words(1 + dice.int(3)), number: dice.int(1000) };
}

type Generator = { weight: number; args: (dice: Dice) => Record<string, ArgValue> };

const GENERATORS: Record<WorkloadKind, Generator> = {
  'create-post': {
    weight: 10,
    args: (d) => ({ type: d.oneOf(['post', 'page']), status: d.oneOf(['publish', 'draft', 'private']), title: d.words(2), linkSelf: d.chance(0.4) }),
  },
  'edit-post': { weight: 8, args: (d) => ({ pick: d.fraction(), title: d.words(2), linkSelf: d.chance(0.3) }) },
  'trash-post': { weight: 3, args: (d) => ({ pick: d.fraction() }) },
  'untrash-post': { weight: 1, args: (d) => ({ pick: d.fraction() }) },
  'delete-post': { weight: 3, args: (d) => ({ pick: d.fraction(), withAttachments: d.chance(0.3) }) },
  'set-post-meta': { weight: 8, args: (d) => ({ pick: d.fraction(), key: d.oneOf(META_KEYS), add: d.chance(0.3), ...valueArgs(d) }) },
  'delete-post-meta': { weight: 3, args: (d) => ({ pick: d.fraction(), key: d.oneOf(META_KEYS) }) },
  'create-term': { weight: 4, args: (d) => ({ taxonomy: d.oneOf(['category', 'post_tag']), name: d.oneOf(TERM_NAMES), parentPick: d.chance(0.3) ? d.fraction() : -1 }) },
  'delete-term': { weight: 2, args: (d) => ({ taxonomy: d.oneOf(['category', 'post_tag']), pick: d.fraction() }) },
  'set-post-terms': {
    weight: 6,
    args: (d) => ({ pick: d.fraction(), taxonomy: d.oneOf(['category', 'post_tag']), termPicks: [d.fraction(), d.fraction()].slice(0, 1 + d.int(2)).join(','), append: d.chance(0.5) }),
  },
  'create-comment': { weight: 6, args: (d) => ({ pick: d.fraction(), parentPick: d.chance(0.4) ? d.fraction() : -1, content: d.words(3), linkSelf: d.chance(0.2) }) },
  'edit-comment': { weight: 3, args: (d) => ({ pick: d.fraction(), content: d.words(2), status: d.oneOf(['approve', 'hold', 'spam', 'trash', 'keep']) }) },
  'delete-comment': { weight: 2, args: (d) => ({ pick: d.fraction() }) },
  'create-user': { weight: 3, args: (d) => ({ login: `${d.oneOf(USER_NAMES)}${d.int(4)}`, role: d.oneOf(['editor', 'author', 'subscriber']) }) },
  'set-user-meta': { weight: 4, args: (d) => ({ pick: d.fraction(), key: d.oneOf(META_KEYS), ...valueArgs(d) }) },
  'delete-user': { weight: 1, args: (d) => ({ pick: d.fraction() }) },
  'set-option': { weight: 7, args: (d) => ({ name: d.oneOf(OPTION_NAMES), autoload: d.chance(0.5), ...valueArgs(d) }) },
  'delete-option': { weight: 2, args: (d) => ({ name: d.oneOf(OPTION_NAMES.slice(0, -1)) }) },
  'bulk-update-pages': { weight: 1, args: (d) => ({ delta: 1 + d.int(5) }) },
  upload: { weight: 4, args: (d) => ({ name: `fuzz-${d.int(6)}.${d.oneOf(['txt', 'pdf'])}`, parentPick: d.chance(0.5) ? d.fraction() : -1, bytesSeed: d.int(1e6), size: d.int(3000) }) },
  'write-file': { weight: 6, args: (d) => ({ path: d.oneOf(FILE_NAMES), bytesSeed: d.int(1e6), size: d.int(2000) }) },
  'rename-file': { weight: 3, args: (d) => ({ pick: d.fraction(), to: d.oneOf(FILE_NAMES) }) },
  'delete-file': { weight: 2, args: (d) => ({ pick: d.fraction() }) },
  'rename-folder': { weight: 1, args: (d) => ({ pick: d.fraction(), to: d.oneOf(FOLDER_NAMES) }) },
  'activate-plugin': { weight: 1, args: () => ({}) },
  'deactivate-plugin': { weight: 1, args: () => ({}) },
  'ledger-row': { weight: 3, args: (d) => ({ action: d.oneOf(['insert', 'insert', 'update', 'delete']), pick: d.fraction(), label: d.words(1), amount: d.int(100) }) },
  // The writes themselves come from `writesSeed` (concurrentWrites): the op stays short in a pasted list.
  'concurrent-writes': { weight: 5, args: (d) => ({ count: 2 + d.int(7), writesSeed: d.int(1e6) }) },
  rotate: { weight: 3, args: (d) => ({ instances: d.oneOf(['primary', 'secondaries', 'all']) }) },
};

export const WORKLOAD_KINDS = Object.keys(GENERATORS) as WorkloadKind[];

/**
 * What one page request of `concurrent-writes` may do: what an editor's overlapping requests do
 * (saves, meta, terms, comments, options, uploads, a file), not plugin activation or folder moves.
 */
export const CONCURRENT_WRITE_KINDS: readonly RequestKind[] = [
  'create-post',
  'edit-post',
  'trash-post',
  'set-post-meta',
  'delete-post-meta',
  'create-term',
  'set-post-terms',
  'create-comment',
  'edit-comment',
  'set-user-meta',
  'set-option',
  'delete-option',
  'upload',
  'write-file',
  'ledger-row',
];

function weightOf(kinds: readonly WorkloadKind[]): number {
  return kinds.reduce((sum, kind) => sum + GENERATORS[kind].weight, 0);
}

function workloadKind<K extends WorkloadKind>(dice: Dice, kinds: readonly K[], totalWeight: number): K {
  let roll = dice.int(totalWeight);
  for (const kind of kinds) {
    roll -= GENERATORS[kind].weight;
    if (roll < 0) return kind;
  }
  throw new Error('unreachable: weights cover the roll');
}

/** The writes of a `concurrent-writes` op, each a request-kind op on the same side, from its args alone. */
export function concurrentWrites<S extends string>(op: Op<S>): Op<S>[] {
  const dice = new Dice(Number(op.args.writesSeed));
  const total = weightOf(CONCURRENT_WRITE_KINDS);
  return Array.from({ length: Number(op.args.count) }, () => {
    const kind = workloadKind(dice, CONCURRENT_WRITE_KINDS, total);
    return { kind, side: op.side, args: GENERATORS[kind].args(dice) };
  });
}

function syncStep<S extends string>(dice: Dice, sides: readonly S[]): Op<S> {
  const side = dice.oneOf(sides);
  if (dice.chance(0.15)) return { kind: 'repair', side, args: {} };
  return dice.chance(0.4) ? { kind: 'flush', side, args: {} } : { kind: 'deliver', side, args: { count: 1 + dice.int(4) } };
}

/** Chance of a reload after a burst: a 200-op seed (about 57 bursts) has 0–2, most often 0 or 1. */
const RELOAD_CHANCE_PER_BURST = 0.012;

/** The tab events' own dice, so that drawing them leaves the workload dice's sequence alone. */
function tabDice(seed: number): Dice {
  return new Dice((seed ^ 0x7ab5eed) >>> 0);
}

/**
 * Who the ops run on: the sides a burst or a sync step may pick right now, and the tab events drawn
 * after each burst from the tab dice (a pair's reloads; a group's joins, leaves and restores,
 * which change the sides).
 */
export interface Roster<S extends string> {
  sides(): readonly S[];
  afterBurst(tabs: Dice): Op<S>[];
}

/** The pair's two sides, and now and then a side's reload (unless `reload` is excluded). */
function pairRoster(exclude: readonly ExcludableKind[]): Roster<Side> {
  const reloads = !exclude.includes('reload');
  return {
    sides: () => ['a', 'b'],
    afterBurst(tabs) {
      const reloadHere = tabs.chance(RELOAD_CHANCE_PER_BURST);
      const reloadSide = tabs.oneOf(['a', 'b'] as const);
      return reloads && reloadHere ? [{ kind: 'reload', side: reloadSide, args: {} }] : [];
    },
  };
}

/**
 * `workloadOps` workload ops of `seed` on a pair: see `generateWorkload`, with a side's reload
 * now and then. `exclude`: kinds not to generate.
 */
export function generateOps(seed: number, workloadOps: number, exclude: readonly ExcludableKind[] = []): Op[] {
  return generateWorkload(seed, workloadOps, pairRoster(exclude), exclude);
}

/**
 * `workloadOps` workload ops of `seed`: bursts of 1–6 ops on one side (one request each burst
 * of request kinds, see executeOps), with sync steps between bursts at random, and after each
 * burst the roster's tab events. Bursts on several sides between two deliveries are concurrent
 * edits as far as the sites can tell. `exclude`: workload kinds not to generate.
 */
export function generateWorkload<S extends string>(seed: number, workloadOps: number, roster: Roster<S>, exclude: readonly ExcludableKind[] = []): Op<S>[] {
  const dice = new Dice(seed);
  const tabs = tabDice(seed);
  const kinds = WORKLOAD_KINDS.filter((kind) => !exclude.includes(kind));
  const totalWeight = weightOf(kinds);
  const ops: Op<S>[] = [];
  for (let made = 0; made < workloadOps; ) {
    const side = dice.oneOf(roster.sides());
    for (let burst = 1 + dice.int(6); burst > 0 && made < workloadOps; burst--, made++) {
      const kind = workloadKind(dice, kinds, totalWeight);
      ops.push({ kind, side, args: GENERATORS[kind].args(dice) });
    }
    while (dice.chance(0.6)) ops.push(syncStep(dice, roster.sides()));
    ops.push(...roster.afterBurst(tabs));
  }
  return ops;
}
