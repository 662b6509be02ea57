import { test } from 'vitest';
import { SINGLE_CHANGES, TARGET_POST_PHP } from './group-changes';
import { SETUP } from './pair';
import { bootstrapInterval, median, percentile, recordSection, type Measurement } from './record';
import { TimedGroup, type ChangeTiming } from './timed-group';

/**
 * Propagation latency in a sync group of three against a group of two (the baseline: the same
 * code path, `TestGroup` with equal sites), measured in the same run: from a single change's
 * commit on one member (its request's PHP) to that change applied on each other member (its peer's
 * journal line). Messages are delivered as they are sent, so the time holds the origin's drain and
 * pull, the delta's sends, and each member's receive and apply. Changes rotate over the members as
 * origins and over four kinds (a post published, a title, an option, a small image uploaded); the
 * two groups take turns sample by sample, so a change in the machine's speed hits both alike.
 *
 * All five sites share this process's one JS thread (PHP WASM runs on it): the two members of the
 * group of three that take a change apply it one after the other here, where tabs would apply it
 * side by side, each in its own PHP worker.
 */

const SAMPLES = 160;
const TARGET_RATIO = 1.5;

/** Each member makes each kind of change once before anything is measured. */
async function warmUp(config: TimedGroup, targetPostId: number): Promise<void> {
  // Negative numbers: values of their own, so that no change leaves the site as it was (it would send nothing).
  let n = 0;
  for (const origin of config.members) for (const change of SINGLE_CHANGES) await config.timeChange(origin, change.php(--n, targetPostId));
}

/** Sample `i`'s origin: the members in turn, shifted every round of kinds so each kind comes from each member. */
function originOf(config: TimedGroup, i: number): string {
  const round = Math.floor(i / SINGLE_CHANGES.length);
  return config.members[(i + round) % config.members.length]!;
}

interface Sample {
  readonly kind: string;
  readonly timing: ChangeTiming;
}

const toLast = (sample: Sample) => Math.max(...sample.timing.appliedMs.values());
const toFirst = (sample: Sample) => Math.min(...sample.timing.appliedMs.values());
const p95 = (values: number[]) => percentile(values, 95);
const ms = (value: number) => `${Math.round(value)} ms`;

function spread(values: number[]): string {
  return `p50 ${ms(median(values))}, p95 ${ms(p95(values))}, max ${ms(Math.max(...values))}`;
}

function latencyRows(label: string, values: number[], count: number): Measurement[] {
  return [
    { name: `${label}, p50`, value: median(values), unit: 'ms', notes: `${count} changes` },
    { name: `${label}, p95`, value: p95(values), unit: 'ms', notes: `90% interval ${bootstrapInterval([values], p95).map(Math.round).join('–')} ms` },
    { name: `${label}, max`, value: Math.max(...values), unit: 'ms' },
  ];
}

/** p50 to the last member per kind of change, three against two. */
function byKind(two: Sample[], three: Sample[]): Measurement[] {
  return SINGLE_CHANGES.map(({ name }) => {
    const of = (samples: Sample[]) => median(samples.filter((sample) => sample.kind === name).map(toLast));
    return { name: `… ${name}: p50 to the last member, three`, value: of(three), unit: 'ms', notes: `two: ${ms(of(two))}` };
  });
}

test('propagation latency: a change to the last member of a group of three, against a group of two', async () => {
  const two = new TimedGroup('latency-2', ['two-a', 'two-b']);
  const three = new TimedGroup('latency-3', ['three-a', 'three-b', 'three-c']);
  const configs = [two, three];
  const samples = new Map<TimedGroup, Sample[]>(configs.map((config) => [config, []]));
  try {
    const targets = new Map<TimedGroup, number>();
    for (const config of configs) {
      await config.start();
      const { answer } = await config.timeChange<{ committedAt: number; postId: number }>(config.members[0]!, TARGET_POST_PHP);
      targets.set(config, answer.postId);
      await warmUp(config, answer.postId);
    }
    for (const config of configs) for (const times of config.applyMs.values()) times.length = 0;

    for (let i = 0; i < SAMPLES; i++) {
      const change = SINGLE_CHANGES[i % SINGLE_CHANGES.length]!;
      // Who goes first alternates too: neither group always runs right after the other's change.
      for (const config of i % 2 ? [...configs].reverse() : configs) {
        const timing = await config.timeChange(originOf(config, i), change.php(i, targets.get(config)!));
        samples.get(config)!.push({ kind: change.name, timing });
      }
    }
    for (const config of configs) await config.expectReplicated();

    const [twoSamples, threeSamples] = [samples.get(two)!, samples.get(three)!];
    const baseline = twoSamples.map(toLast);
    const last = threeSamples.map(toLast);
    const ratio = p95(last) / p95(baseline);
    const ratioInterval = bootstrapInterval([baseline, last], (a, b) => p95(b!) / p95(a!));
    const applies = (config: TimedGroup) => [...config.applyMs.values()].flat();
    console.log(
      JSON.stringify({
        two: spread(baseline),
        threeLast: spread(last),
        threeFirst: spread(threeSamples.map(toFirst)),
        ratio,
        ratioInterval,
        sentTwo: spread(twoSamples.map((s) => s.timing.sentMs)),
        sentThree: spread(threeSamples.map((s) => s.timing.sentMs)),
        applyTwo: spread(applies(two)),
        applyThree: spread(applies(three)),
        byKind: byKind(twoSamples, threeSamples).map((row) => `${row.name} ${ms(row.value)} (${row.notes})`),
      }),
    );

    recordSection('27-engine-group-latency', `Sync engine: propagation latency in a group of three against a pair (${SETUP}, ${SAMPLES} single changes each, interleaved)`, [
      ...latencyRows('two members: commit on one → applied on the other', baseline, twoSamples.length),
      ...latencyRows('three members: commit on one → applied on the last of the other two', last, threeSamples.length),
      {
        name: 'three members: p95 to the last member, against two',
        value: ratio,
        unit: '×',
        baseline: 'p95 of the group of two, same run',
        target: `≤ ${TARGET_RATIO}×`,
        met: ratio <= TARGET_RATIO,
        notes: `90% interval ${ratioInterval.map((value) => value.toFixed(2)).join('–')}`,
      },
      { name: 'three members: commit → applied on the first of the other two, p50', value: median(threeSamples.map(toFirst)), unit: 'ms' },
      ...byKind(twoSamples, threeSamples),
      {
        name: "commit → delta sent on the origin (the request's drain, the pull, the delta), p50, two",
        value: median(twoSamples.map((sample) => sample.timing.sentMs)),
        unit: 'ms',
      },
      { name: '… three', value: median(threeSamples.map((sample) => sample.timing.sentMs)), unit: 'ms' },
      { name: "a member's receive() of one delta (validate, apply, acknowledge), p50, two", value: median(applies(two)), unit: 'ms' },
      { name: '… three', value: median(applies(three)), unit: 'ms' },
    ]);
  } finally {
    for (const config of configs) await config.stop();
  }
});
