import { afterEach, describe, expect, it } from 'vitest';
import { failuresIn, inWordPress } from '../engine-support';
import { TestGroup } from '../group-support';
import type { GroupOp } from './group-workload';
import { replayGroupOps } from './run-group-fuzz';

/**
 * What the group fuzzer found, written as TestGroup scenarios (no link faults, so the
 * interleaving is the one described). Each failed before its fix.
 */

const THREE = ['m1', 'm2', 'm3'];
const AST_NIGHTLY = { driver: 'ast', wp: 'nightly' } as const;

const publish = (group: TestGroup, member: string, title: string) =>
  inWordPress<number>(group.site(member), `$result = wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);`);
const titledOn = (group: TestGroup, member: string, title: string) =>
  inWordPress<number>(group.site(member), `$result = count(get_posts(['title' => '${title}', 'post_status' => 'publish']));`);

const NOTE = '/wordpress/wp-content/plugins/group-note.txt';
const writeNote = (group: TestGroup, member: string, text: string) => group.site(member).client.writeFile(NOTE, text);

async function equalGroup(name: string): Promise<TestGroup> {
  const group = new TestGroup(AST_NIGHTLY, name);
  for (const member of THREE) await group.boot(member);
  await group.create(THREE, 'm1', false);
  return group;
}

describe('group fuzz regressions', () => {
  let group: TestGroup | undefined;
  afterEach(async () => {
    await group?.stop();
    group = undefined;
  });

  // Seed 3 (3 members, 100 workload ops): a joiner's `hello` to m2 was held back on the link and its
  // first delta overtook it. m2 applied and acknowledged the delta, then the late hello restarted
  // its inbox before it; the joiner had forgotten the delta (acknowledged by all), so every later
  // delta of the joiner's waited on m2 for one no one could send again ("Resend from 1 asked, but
  // everything up to 1 was acknowledged and dropped").
  it('keeps what a joiner sent when its hello arrives after its first delta', async () => {
    group = await equalGroup('overtaken-hello');
    await group.boot('m4');
    await group.join('m4', 'm1');
    await group.untilCopied('m4');
    await publish(group, 'm4', 'First from the joiner');
    await group.peer('m4').flush();
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'delta')).toBe(true);
    await group.sync();
    await publish(group, 'm4', 'Second from the joiner');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm2', 'Second from the joiner')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
    for (const member of group.members) expect(group.peer(member).pendingCount, member).toBe(0);
  });

  // A member gone with a change that reached only some members: the members that stay relay what
  // they kept of its deltas to each other (wire.ts, `relay`). Failed before relaying: m2 never
  // had the post.
  it('takes a change of a member that left abruptly to every member that stays', async () => {
    group = await equalGroup('abrupt-leave');
    await publish(group, 'm3', 'Only m1 heard of it');
    await group.peer('m3').flush();
    await group.link.deliverSome('m1', 100);
    expect(await titledOn(group, 'm1', 'Only m1 heard of it')).toBe(1);
    await group.leave('m3');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm2', 'Only m1 heard of it')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // A member's change still on its way when the others heard it left: the member it reaches relays
  // it to the others (m2, with sync off, had dropped its own copy of it).
  it('relays a change of a member that left which arrives after the others closed their links to it', async () => {
    group = await equalGroup('late-after-leave');
    group.peer('m2').setPaused(true);
    await publish(group, 'm3', 'On its way as m3 left');
    await group.peer('m3').flush();
    await group.link.deliverSome('m2', 100);
    await group.leave('m3', true);
    expect(group.link.queuedFor('m1').length).toBeGreaterThan(0);
    await group.link.deliverSome('m1', 100);
    expect(await titledOn(group, 'm1', 'On its way as m3 left')).toBe(1);
    group.peer('m2').setPaused(false);
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm2', 'On its way as m3 left')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7101 (3 members, 300 workload ops): m3 was restored from m2, whose latest changes had not
  // reached m1 yet; m2 then left. m3 held them by its copy, not as deltas it applied, so no one
  // kept them to relay, and m1 never had them. Now a copy's source sends its unacknowledged deltas
  // after the copy, and the target keeps them. (A member gone whose deltas another has only by a
  // copy from a third member, gone too, is still not relayed.)
  it('takes a change of a member that left to every member, when another had it only by a copy of it', async () => {
    group = await equalGroup('left-after-copy');
    await publish(group, 'm2', 'Only in the copy');
    await group.peer('m2').flush();
    await group.restore('m3', 'm2');
    await group.untilCopied('m3');
    expect(await titledOn(group, 'm3', 'Only in the copy')).toBe(1);
    expect(await titledOn(group, 'm1', 'Only in the copy')).toBe(0);
    await group.leave('m2');
    await group.sync();
    await group.expectConverged();
  });

  // A member whose page reloaded while a change of its own had reached only some members: the others
  // relay its old life's deltas among themselves, and its copy's source answers once it has them all
  // (Membership.reset). Failed before: the old change stayed where it was. When the restored member's
  // copy request reaches its source before the relay, the source waits for it (without the wait, the
  // copy lacks the old change, and the restored member's next change, numbered as that one, is taken
  // for it). Seed 7213: the old change reached m2 only, m3 was restored from m2, and m3's hello reached
  // m1 before m2's relay: m1 moved its inbox past the change and dropped the relay as a duplicate; now
  // a member holds a restored member's hello and new deltas until it has the old life as far as any
  // member had it.
  it.each([
    ['its copy request after the relay', 'm1', 'm2', null],
    ['its copy request before the relay', 'm1', 'm2', 'copy-request'],
    ['its hello before the relay (seed 7213)', 'm2', 'm1', 'hello'],
  ] as const)('takes a change of a member whose page reloaded before it reached every member, %s', async (_, heardBy, lacking, overtaking) => {
    group = await equalGroup(`abrupt-restore-${overtaking ?? 'in-order'}`);
    await publish(group, 'm3', 'Only one member heard of it');
    await group.peer('m3').flush();
    await group.link.deliverSome(heardBy, 100);
    expect(await titledOn(group, heardBy, 'Only one member heard of it')).toBe(1);
    await group.restore('m3', 'm2');
    if (overtaking === 'hello') await group.untilCopied('m3');
    if (overtaking) expect(await group.link.deliverFirst(overtaking === 'hello' ? 'm1' : 'm2', (message) => message.kind === overtaking)).toBe(true);
    await group.sync();
    await publish(group, 'm3', 'First after the reload');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, lacking, 'Only one member heard of it')).toBe(1);
    expect(await titledOn(group, 'm1', 'First after the reload')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7401 (5 members, 300 workload ops), the shape of it: a change of m3's reached m2 only; m4
  // joined with a copy from m2, which held it; m2 left, and m3 reloaded before it had sent it to m1
  // again. m4 had it only in its database, not among the deltas it kept, so no one relayed it to m1.
  // A copy's source now hands its target, with the copy, what it kept of the deltas the copy holds.
  it('relays a change of a reloaded member that another member had only through a copy from a member gone since', async () => {
    group = await equalGroup('handed-over-with-copy');
    await publish(group, 'm3', 'Only m2 heard of it');
    await group.peer('m3').flush();
    await group.link.deliverSome('m2', 100);
    await group.boot('m4');
    await group.join('m4', 'm2');
    await group.untilCopied('m4');
    expect(await titledOn(group, 'm4', 'Only m2 heard of it')).toBe(1);
    await group.leave('m2');
    await group.restore('m3', 'm4');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm1', 'Only m2 heard of it')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7216 (3 members, 300 workload ops), the shape of it: m2's change reached m3 only; m2 reloaded
  // and was restored from m3, which relayed the change to m1; then m3 reloaded too, before its relay
  // reached m1 (lost with its page). m1 stopped waiting for m3's word on m2's old life, took m2's
  // hello and skipped the change. Now a restored member relays its own old deltas that its copy
  // handed over, and the others wait for its word too.
  it('takes a change of a reloaded member to every member when the member that relayed it reloads before the relay lands', async () => {
    group = await equalGroup('relayer-reloads');
    await publish(group, 'm2', 'Only m3 heard of it');
    await group.peer('m2').flush();
    await group.link.deliverSome('m3', 100);
    await group.restore('m2', 'm3');
    await group.untilCopied('m2');
    expect(await titledOn(group, 'm1', 'Only m3 heard of it')).toBe(0);
    await group.restore('m3', 'm2');
    await group.sync();
    await publish(group, 'm2', 'First after the reloads');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm1', 'Only m3 heard of it')).toBe(1);
    expect(await titledOn(group, 'm1', 'First after the reloads')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7222 (3 members, 300 workload ops), the shape of it: m3's second change reached m1 before its
  // first, and waited there for it; m3 left, m2 relayed the first, and m1 applied both. m1 had relayed
  // what it kept of m3 when m3 left, not the second it applied later: m2 never had it.
  it('relays the change of a member gone that waited for an earlier one, once the relay of that one lets it through', async () => {
    group = await equalGroup('waiting-for-a-relay');
    await publish(group, 'm3', 'First from m3');
    await group.peer('m3').flush();
    const first = group.peer('m3').pendingCount;
    await publish(group, 'm3', 'Second from m3');
    await group.peer('m3').flush();
    const seqOf = (message: { kind: string }) => (message.kind === 'delta' ? (message as unknown as { seq: number }).seq : 0);
    while (await group.link.deliverFirst('m2', (message) => seqOf(message) > 0 && seqOf(message) <= first));
    while (await group.link.deliverFirst('m1', (message) => seqOf(message) > first));
    expect(await titledOn(group, 'm1', 'Second from m3')).toBe(0);
    await group.leave('m3');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm2', 'Second from m3')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7226 (3 members, 300 workload ops), the shape of it: a restored member's copy request reached
  // its source twice (the transport repeated it) while the source waited for the relay of the member's
  // old change: the second was taken for the member asking again after a stall and answered at once,
  // without the change, and the member's new changes were numbered as old ones.
  it('answers a restored member’s copy request repeated by the transport only once its old life is reconciled', async () => {
    group = await equalGroup('repeated-copy-request');
    await publish(group, 'm3', 'Only m1 heard of it');
    await group.peer('m3').flush();
    await group.link.deliverSome('m1', 100);
    await group.restore('m3', 'm2');
    const request = group.link.queuedFor('m2').find((json) => json.includes('"kind":"copy-request"'))!;
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'copy-request')).toBe(true);
    await group.peer('m2').receive(JSON.parse(request));
    await group.sync();
    await publish(group, 'm3', 'First after the reload');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm2', 'Only m1 heard of it')).toBe(1);
    expect(await titledOn(group, 'm1', 'First after the reload')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7228 (3 members, 300 workload ops), the shape of it: m5 (joined from m2) wrote a row of a table
  // that a delta of another member had created; its delta reached m1 before that one did, and m1
  // failed it ("no such table"). A member's deltas now name what it had applied of the others
  // (`WireDelta.deps`), and a member applies one only once it has those too.
  it('applies a member’s change that builds on another member’s only once it has that one too', async () => {
    group = await equalGroup('causal-order');
    const table = `$table = $GLOBALS['wpdb']->prefix . 'group_notes';`;
    await inWordPress(group.site('m1'), `${table} $GLOBALS['wpdb']->query("CREATE TABLE $table (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, note text, PRIMARY KEY (id))"); $result = 1;`);
    await group.peer('m1').flush();
    await group.link.deliverSome('m2', 100);
    await inWordPress(group.site('m2'), `${table} $result = $GLOBALS['wpdb']->insert($table, ['note' => 'from m2']);`);
    await group.peer('m2').flush();
    const fromM2 = (message: { kind: string }) => message.kind === 'delta' && (message as unknown as { from: string }).from === 'm2';
    expect(await group.link.deliverFirst('m3', fromM2)).toBe(true);
    await group.sync();
    await group.expectConverged();
    expect(await inWordPress<string>(group.site('m3'), `${table} $result = $GLOBALS['wpdb']->get_var("SELECT note FROM $table");`)).toBe('from m2');
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7246 (3 members, 300 workload ops), the shape of it: m3 left with a change only m4 had; m4
  // relayed it; m1 reloaded and was restored from m2, whose copy was taken before m4's relay reached
  // m2; then m4 reloaded too, before m1 heard of the change. m2 had it, but relayed deltas of a member
  // gone were not kept (their relayer was to keep them): no one could send it to m1.
  it('takes a change of a member gone to a restored member when the member that relayed it reloads too', async () => {
    group = await equalGroup('relayed-then-relayer-reloads');
    await group.boot('m4');
    await group.join('m4', 'm1');
    await group.untilCopied('m4');
    await group.sync();
    await publish(group, 'm3', 'Only m4 heard of it');
    await group.peer('m3').flush();
    await group.link.deliverSome('m4', 100);
    await group.leave('m3');
    await group.restore('m1', 'm2');
    const fromM4About = (origin: string, kind: string) => (message: { kind: string }) =>
      message.kind === kind && (message as unknown as { from: string; origin: string }).from === 'm4' && (message as unknown as { origin: string }).origin === origin;
    // m2 takes the copy request, hears from m4 how far it has m1's old life, and answers before m4's relay.
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'copy-request')).toBe(true);
    expect(await group.link.deliverFirst('m2', fromM4About('m1', 'relayed'))).toBe(true);
    expect(await group.link.deliverFirst('m2', fromM4About('m3', 'relay'))).toBe(true);
    expect(await titledOn(group, 'm2', 'Only m4 heard of it')).toBe(1);
    await group.untilCopied('m1');
    await group.restore('m4', 'm2');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm1', 'Only m4 heard of it')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7244 (3 members, 300 workload ops), the shape of it: m1 reloaded while m4's own copy (a restore)
  // was in flight; m4's copy held m1's old life as far as any member had it, but nothing looked at m1's
  // reconciliation again once it was installed, so m4 held m1's hello and new changes for ever.
  it('takes the new changes of a member that reloaded while this member’s own copy was in flight', async () => {
    group = await equalGroup('restore-during-own-copy');
    await publish(group, 'm1', 'Only m2 heard of it');
    await group.peer('m1').flush();
    await group.link.deliverSome('m2', 100);
    await group.restore('m3', 'm2');
    await group.restore('m1', 'm2');
    await group.untilCopied('m1');
    // m3, its copy still in flight, hears how far m2 and m1 have m1's old life before the copy brings it.
    while (await group.link.deliverFirst('m3', (message) => message.kind === 'relayed'));
    await group.untilCopied('m3');
    await group.sync();
    await publish(group, 'm1', 'First after both reloads');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm3', 'First after both reloads')).toBe(1);
    for (const member of group.members) expect(group.peer(member).pendingCount, member).toBe(0);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7218 (3 members, 300 workload ops), the shape of it: m3 left with a change that reached m1
  // only; m4 joined with a copy from m2 taken before m1's relay reached m2. m4 had never known m3, so
  // it took no relay of m3's, and no one sent it again. A copy now names the members gone with how
  // far it has their deltas; its target says so to every member, and each relays what it kept past it.
  it('takes to a member that joined after another left the change of the member gone its copy lacked', async () => {
    group = await equalGroup('joined-after-leave');
    await publish(group, 'm3', 'Only m1 heard of it');
    await group.peer('m3').flush();
    await group.link.deliverSome('m1', 100);
    await group.leave('m3');
    await group.boot('m4');
    await group.join('m4', 'm2');
    // m2 captures the copy before m1's relay reaches it.
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'copy-request')).toBe(true);
    await group.untilCopied('m4');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm4', 'Only m1 heard of it')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7407 (5 members, 300 workload ops), the shape of it: m1 reloaded with a change only m3 had;
  // m4 joined with a copy from m2, m1's copy source, taken before m3's relay of that change reached
  // m2. m4 had not seen m1 start over: m1's hello, past what m4's copy had of m1, moved m4's inbox
  // over the change, and m1's own relay of it came too late. Now such a hello waits for the rest.
  it('takes to a member that joined while another started over the old change its copy lacked', async () => {
    group = await equalGroup('joined-during-restore');
    await publish(group, 'm1', 'Old life, only m3 heard of it');
    await group.peer('m1').flush();
    await group.link.deliverSome('m3', 100);
    await group.restore('m1', 'm2');
    await group.boot('m4');
    await group.join('m4', 'm2');
    // m2 captures m4's copy before m3's relay of m1's change reaches it (m1's own copy waits for that relay).
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'copy-request' && (message as { from?: string }).from === 'm4')).toBe(true);
    await group.untilCopied('m4');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm4', 'Old life, only m3 heard of it')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
    for (const member of group.members) expect(group.peer(member).pendingCount, member).toBe(0);
  });

  // Seed 7415 (5 members, 300 workload ops), the shape of it: m1 reloaded with a change only m2, its
  // copy source, had; its copy went in and it relayed the change before m4 joined. m4's copy came
  // from m3 before m3 had the change (m3 was still reconciling m1's old life): nobody relayed it to
  // m4, which had not been there, and m1 had let it go. A member now makes a joiner's copy only once
  // every member starting over is reconciled here.
  it('makes a joiner’s copy only once the old life of a member starting over is all here', async () => {
    group = await equalGroup('joined-from-reconciling');
    await publish(group, 'm1', 'Old life, only m2 heard of it');
    await group.peer('m1').flush();
    await group.link.deliverSome('m2', 100);
    await group.restore('m1', 'm2');
    await group.untilCopied('m1');
    await group.boot('m4');
    await group.join('m4', 'm3');
    // m3 has not heard of the change yet: its relays wait on the link.
    expect(await group.link.deliverFirst('m3', (message) => message.kind === 'copy-request' && (message as { from?: string }).from === 'm4')).toBe(true);
    await group.untilCopied('m4');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm4', 'Old life, only m2 heard of it')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
    for (const member of group.members) expect(group.peer(member).pendingCount, member).toBe(0);
  });

  // Seed 7419 (5 members, 300 workload ops), the shape of it: m3 left with a change only m2 had; m2
  // relayed it to m1, and m4 joined with a copy from m2 (which holds it); then m2 reloaded before
  // its relay reached m1, and its copy from m1 lacked it. Only m4's database had it: a copy handed
  // over what its source kept of the live members only. Now it hands over what it kept of the
  // members gone too, and the target relays that to every member.
  it('takes a change of a member gone to every member when its relayer reloads after a copy of it was taken', async () => {
    group = await equalGroup('relayer-copied-then-reloaded');
    await publish(group, 'm3', 'Gone with m3');
    await group.peer('m3').flush();
    await group.link.deliverSome('m2', 100);
    await group.leave('m3');
    await group.boot('m4');
    await group.join('m4', 'm2');
    await group.untilCopied('m4');
    // m2's relay to m1 is lost with its page.
    await group.restore('m2', 'm1');
    await group.untilCopied('m2');
    await group.sync();
    await group.expectConverged();
    for (const member of group.members) expect(await titledOn(group, member, 'Gone with m3'), member).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7278 (3 members, 300 workload ops), the shape of it: m3 reloaded twice. m1's word on m3's
  // first old life ("I have it up to here", `relayed`) was still on its way to m2 when m3 reloaded
  // again and asked m2 for its copy. m2 took that late word for one on this restore and answered at
  // once, without m3's change that only m1 had: m3's new life numbered its changes like it, and m1
  // refused them. Each word on a member starting over now names its new life (its site URL).
  it('answers a restored member’s copy only on words about this restore, not a late one about the last', async () => {
    group = await equalGroup('late-word');
    await group.restore('m3', 'm1');
    // Only m1 and m3 talk until m3's copy is in: m1's word to m2 stays on the link.
    for (let round = 0; group.copySourceOf('m3') !== undefined; round++) {
      if (round > 1000) throw new Error("m3's copy from m1 stalled");
      await group.link.deliverSome('m3', 100);
      await group.link.deliverSome('m1', 100);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await publish(group, 'm3', 'From the second life');
    await group.peer('m3').flush();
    await group.link.deliverSome('m1', 100);
    await group.restore('m3', 'm2');
    const fromM1 = (message: { kind: string }) => (message as { from?: string }).from === 'm1';
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'relayed' && fromM1(message))).toBe(true);
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'copy-request')).toBe(true);
    await group.untilCopied('m3');
    await group.sync();
    await publish(group, 'm3', 'From the third life');
    await group.sync();
    await group.expectConverged();
    for (const member of group.members) {
      expect(await titledOn(group, member, 'From the second life'), member).toBe(1);
      expect(await titledOn(group, member, 'From the third life'), member).toBe(1);
    }
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seed 7210 (3 members, 300 workload ops): m1 had MAX_BATCHES_IN_FLIGHT database batches unacknowledged
  // (a member was slow), so its later batches waited in its site's outbox, not yet deltas; m5's copy
  // from m1 held their rows, and its database cursor for m1 went past them. m1 reloaded before it sent
  // them: no member had them to relay, m1's copy from m4 lacked them (its new life reused their IDs),
  // and m5 dropped m1's new batches, numbered alike, as duplicates. A copy's source now makes every
  // batch waiting in its outbox a delta before it captures its state.
  it('relays the rows a member had only in its site outbox when a copy of it was taken', async () => {
    group = await equalGroup('copy-of-unsent-batches');
    group.peer('m2').setPaused(true);
    for (let post = 1; post <= 6; post++) {
      await publish(group, 'm1', `Waiting post ${post}`);
      await group.peer('m1').flush();
    }
    await group.link.deliverSome('m3', 100);
    await group.boot('m4');
    await group.join('m4', 'm1');
    await group.untilCopied('m4');
    expect(await titledOn(group, 'm4', 'Waiting post 6')).toBe(1);
    await group.restore('m1', 'm3');
    group.peer('m2').setPaused(false);
    await group.sync();
    await publish(group, 'm1', 'First after the reload');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm1', 'Waiting post 6')).toBe(1);
    expect(await titledOn(group, 'm4', 'First after the reload')).toBe(1);
    expect(failuresIn(group.journal)).toEqual([]);
  });

  // Seeds 7203–7205 (3 members): a group down to two, one of them reloaded: the copy's source waited
  // for word of the old life from other members, and there were none (a pair's restore is the same).
  it('restores the reloaded member of a group of two without waiting for anyone', async () => {
    group = new TestGroup(AST_NIGHTLY, 'restore-in-two');
    for (const member of ['m1', 'm2']) await group.boot(member);
    await group.create(['m1', 'm2'], 'm1', false);
    await publish(group, 'm2', 'Before the reload');
    await group.sync();
    await group.restore('m2', 'm1');
    await group.untilCopied('m2');
    await publish(group, 'm2', 'After the reload');
    await group.sync();
    await group.expectConverged();
    expect(await titledOn(group, 'm1', 'After the reload')).toBe(1);
  });

  // Seed 45 (5 members, 20 workload ops; the CI seed first chosen), shrunk to 21 ops: after m5's
  // page reloaded and its restore from m2 began, m2 wrote b.txt, which m1 had written before. m2's
  // copy held m2's b.txt and none of m1's changes; m2 then spared its newer b.txt from m1's older
  // write, but m5, which had forgotten every file version with its old site, took m1's write over
  // the copy's b.txt:
  //   file wp-content/plugins/fuzz-files/b.txt: m1 3c3ce2f0… ≠ m5 568b595c…
  // A copy now carries its source's file versions (seed 5015, 300 ops, 5 members: the same with a joiner).
  it('gives a restored member the file its copy source wrote while the copy was in flight (seed 45)', async () => {
    const ops: GroupOp[] = [
      {"kind":"write-file","side":"m1","args":{"path":"c.bin","bytesSeed":459485,"size":963}},
      {"kind":"create-post","side":"m1","args":{"type":"page","status":"draft","title":"<em>x</em> a&b","linkSelf":false}},
      {"kind":"delete-post-meta","side":"m1","args":{"pick":0.103,"key":"fuzz_link"}},
      {"kind":"rotate","side":"m1","args":{"instances":"secondaries"}},
      {"kind":"write-file","side":"m1","args":{"path":"b.txt","bytesSeed":908711,"size":795}},
      {"kind":"rename-file","side":"m1","args":{"pick":0.832,"to":"deep/x/f.txt"}},
      {"kind":"flush","side":"m2","args":{}},
      {"kind":"repair","side":"m1","args":{}},
      {"kind":"join","side":"m6","args":{"from":"m3"}},
      {"kind":"create-post","side":"m3","args":{"type":"post","status":"publish","title":"percent%s emoji 🌊","linkSelf":false}},
      {"kind":"deliver","side":"m2","args":{"count":4}},
      {"kind":"repair","side":"m5","args":{}},
      {"kind":"create-post","side":"m3","args":{"type":"page","status":"private","title":"tea \"dq\"","linkSelf":true}},
      {"kind":"repair","side":"m4","args":{}},
      {"kind":"set-user-meta","side":"m2","args":{"pick":0.506,"key":"fuzz_size","shape":"nested","text":"back\\slash emoji 🌊","number":680}},
      {"kind":"flush","side":"m3","args":{}},
      {"kind":"set-post-meta","side":"m4","args":{"pick":0.569,"key":"fuzz_list","add":false,"shape":"number","text":"Ünïcødé percent%s","number":389}},
      {"kind":"delete-file","side":"m4","args":{"pick":0.315}},
      {"kind":"create-term","side":"m4","args":{"taxonomy":"category","name":"Green","parentPick":0.628}},
      {"kind":"restore","side":"m5","args":{"from":"m2"}},
      {"kind":"write-file","side":"m2","args":{"path":"b.txt","bytesSeed":83257,"size":762}},
    ];
    expect(await replayGroupOps(ops, { combination: AST_NIGHTLY, linkSeed: 45, members: 5 })).toBeNull();
  });

  it('keeps on a restored member the file its copy source wrote later than a change the source had not applied yet', async () => {
    group = await equalGroup('newer-file-in-copy');
    await writeNote(group, 'm1', 'older, from m1');
    await group.peer('m1').flush();
    expect(group.peer('m1').pendingCount).toBe(1);
    await group.restore('m3', 'm2');
    await writeNote(group, 'm2', 'newer, from m2');
    // m2 captures the copy before it hears of m1's older write, which loses there once it arrives.
    expect(await group.link.deliverFirst('m2', (message) => message.kind === 'copy-request')).toBe(true);
    await group.sync();
    expect(group.copies.at(-1)).toBeUndefined();
    await group.expectConverged();
    expect(await group.site('m3').client.readFileAsText(NOTE)).toBe('newer, from m2');
    expect(failuresIn(group.journal)).toEqual([]);
  });
});
