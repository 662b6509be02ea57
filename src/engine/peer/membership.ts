import type { SequencedBatch } from '../../sync/sequencing';
import type { EnvelopeOf } from '../../sync/wire';
import type { HandedOverDelta } from '../copy';
import type { BlobTransfer } from '../blob-transfer';
import type { HeldDelta } from '../copy-exchange';
import type { WireDelta } from '../delta';
import type { Control, DeltaLinkOptions } from './delta-link';
import type { GroupLinks, LinkParts } from './group-links';
import type { KeptDelta, KeptDeltas } from './kept-deltas';
import type { PeerJournal } from './peer-journal';

export interface MembershipContext {
  /** This member's peer id. */
  readonly peerId: string;
  readonly siteUrl: string;
  readonly links: GroupLinks;
  readonly kept: KeptDeltas;
  readonly blobs: BlobTransfer;
  readonly journal: PeerJournal;
  /** The parts of a new link to `remotePeerId` (not added to `links`). */
  readonly openLink: (remotePeerId: string, startFrom?: DeltaLinkOptions['startFrom']) => LinkParts;
  /** A delta no one will send again (relayed, or from a member that left): applied, or held while sync is off. */
  readonly takeDelta: (parts: LinkParts, held: HeldDelta) => Promise<void>;
  /** A delta its origin sent itself (held back here, or on its way when it left): as `takeDelta`, not taken for a relayed one. */
  readonly takeFromOrigin: (parts: LinkParts, held: HeldDelta) => Promise<void>;
  /** What every remaining link acknowledged leaves the site. */
  readonly releaseAckedByAll: () => Promise<void>;
  readonly reportPending: () => void;
  /** Whether this site waits for a copy (its first, or one in flight): its state is about to be replaced. */
  readonly awaitingCopy: () => boolean;
}

/** A member starting over, as the others reconcile its old life (see Membership.reset). */
interface Reconciling {
  /** The members yet to say how far they have its old life's deltas (itself too, once its copy is installed: it relays those its copy handed over). */
  readonly waiting: Set<string>;
  /** The furthest of its old life's deltas any member said it has. */
  upTo: number;
  /**
   * Its new life's site URL, as the coordinator named it: only words naming it count (a word on an
   * earlier restore may come late). None given: every word counts.
   */
  readonly life?: string;
  /** Started by its hello (`awaitOldLife`): it waits for the relays up to there, not for words. */
  readonly byHello?: true;
  /** Its copy request, on its copy's source, while held back. */
  request?: EnvelopeOf<'copy-request'>;
  /** Where its new life's deltas go on (its `hello`), on the other members, while held back. */
  helloSeq?: number;
  /** When its `hello` came (`performance.now()`), on the other members. */
  helloAt?: number;
  /** Its new life's deltas, while held back. */
  readonly newLife: HeldDelta[];
  /**
   * Members whose copy this site answered meanwhile: the copy holds the old life only as far as
   * this site had it then, and those members count on it (the others' relays went to their life
   * before). What more of the old life comes here goes on to them (see `answerCopy`).
   */
  readonly copiedTo: Set<string>;
}

/**
 * Who is in the group, as one member sees it: members that join, start over from a copy or leave;
 * a copy's target greeting the others (`hello`) and greeted by them; the deltas of a member that
 * left, relayed among those that stay (wire.ts, `relay`, `relayed`). Runs inside the member's steps.
 */
export class Membership {
  /**
   * By member starting over: the members yet to say how far they have its old life's deltas, the
   * furthest any said, and its copy request while held back; on the other members, its `hello`
   * and its new life's deltas while held back.
   */
  private readonly reconciling = new Map<string, Reconciling>();
  /**
   * Members that joined or start over, until they said where their deltas go on (`hello`, or
   * `copy-installed` to their copy's source): what they send before that is numbered past what
   * this site has of them, and no gap to ask for.
   */
  private readonly ungreeted = new Set<string>();
  /** Members that joined (not started over), until their copy is installed or they leave. */
  private readonly joining = new Set<string>();
  /**
   * By joining member: its copy request, held while this site lacks some member's old life (that
   * member starts over): the copy would lack it too, and nobody would relay it to a member that
   * was not there when it started over. Answered once every such member is reconciled here.
   */
  private readonly joinRequestsHeld = new Map<string, EnvelopeOf<'copy-request'>>();
  /** By member that started over: the site URL of its latest life, named in what this site says of its deltas. */
  private readonly lives = new Map<string, string>();
  /** This site's own deltas up to here are of a life before its latest copy (0: it never started over). */
  private ownOldLifeUpTo = 0;
  /** Relays that came while this site waited for a copy: taken once it is installed (or given up). */
  private relaysDuringCopy: { relayer: string; envelope: EnvelopeOf<'relay', WireDelta> }[] = [];

  constructor(private readonly context: MembershipContext) {}

  /**
   * A member joined the group: a link to it opens, holding every delta of this site some member
   * has not acknowledged yet. The newcomer installs a copy from one member, then says (`hello`)
   * what of this site's the copy held; the rest goes to it.
   */
  add(remotePeerId: string): void {
    const { links, peerId } = this.context;
    if (links.get(remotePeerId) || remotePeerId === peerId) return;
    this.openHoldingRetained(remotePeerId, links.all()[0]!.link.lastSeq, links.retained());
    this.ungreeted.add(remotePeerId);
    this.joining.add(remotePeerId);
    // Its copy may be taken before its source has every relayed delta of a member gone.
    this.context.kept.joined(remotePeerId, this.departedMembers());
  }

  /**
   * A member starts over (its page reloaded and its site is restored from another member's copy):
   * its link opens again as for a member that joins, so what the copy lacks of this site's is
   * still here to send. Call on every other member before the member asks for its copy.
   */
  async reset(remotePeerId: string, life?: string): Promise<void> {
    const { links } = this.context;
    if (!links.get(remotePeerId)) return;
    if (life !== undefined) this.lives.set(remotePeerId, life);
    else this.lives.delete(remotePeerId);
    // Taken before the link goes: what only it had not acknowledged is kept too.
    const retained = links.retained();
    // Started over again before its last restore was reconciled here: what was held back of that life goes.
    this.reconciling.delete(remotePeerId);
    this.forgetJoining(remotePeerId);
    this.forgetCopiedTo(remotePeerId);
    const closed = await this.close(remotePeerId);
    const others = links.all();
    // Its old life may have reached only some members, and its new one numbers its deltas after what
    // its copy holds: every member first has every delta of the old life any member had.
    await this.relayToOthers(closed, others);
    this.openHoldingRetained(remotePeerId, closed.link.lastSeq, retained);
    links.get(remotePeerId)!.restartInbox(closed.link.appliedUpTo);
    this.ungreeted.add(remotePeerId);
    // What its old life had of members gone counts no more, nor does it answer for others starting over.
    await this.context.kept.startsOver(remotePeerId, this.departedMembers());
    await this.stopWaitingFor(remotePeerId);
    // It says how far it has its old life once its copy is installed (relayOwnOldLife); its copy's source does not wait for that.
    // Nor does this site wait for a member whose copy it holds back: that copy is made once it has the old life (see copyRequested).
    const waiting = new Set([...others.map((parts) => parts.remotePeerId).filter((member) => !this.joinRequestsHeld.has(member)), remotePeerId]);
    this.reconciling.set(remotePeerId, { waiting, upTo: closed.link.appliedUpTo, newLife: [], copiedTo: new Set(), ...(life !== undefined ? { life } : {}) });
  }

  /**
   * A delta of `parts`' member, sent by it: held back (answers true) while it starts over and this
   * site lacks some of its old life another member had. Its new life numbers after what its copy
   * held of the old one, and the old deltas come relayed: taken after them, in the origin's order.
   */
  holdsBack(parts: LinkParts, delta: HeldDelta): boolean {
    const reconciling = this.reconciling.get(parts.remotePeerId);
    if (!reconciling) return false;
    // Sent again while held back (its timer): once is enough.
    if (!reconciling.newLife.some((held) => held.batch.seq === delta.batch.seq)) reconciling.newLife.push(delta);
    return true;
  }

  /**
   * Whether a gap in `origin`'s deltas that its latest seq shows may be asked for again: not while
   * it joins or starts over (its deltas before its `hello` are not its to send) nor while this site
   * has not had its old life as far as any member had it.
   */
  mayAskForLostDeltas(origin: string): boolean {
    return !this.reconciling.has(origin) && !this.ungreeted.has(origin);
  }

  /** Whether this site still waits for `member`'s old life (it starts over): some of it may not be here yet. */
  reconciles(member: string): boolean {
    return this.reconciling.has(member);
  }

  /** This site installed a copy: its own numbering goes on after `seq`, what its source had of it (see `greeted`). */
  startedOverAfter(seq: number): void {
    this.ownOldLifeUpTo = seq;
  }

  /**
   * Where a member asking this site's deltas from `from` again gets them on the link: its own
   * old life (up to its latest copy) reaches a member relayed, by the members that had it
   * (`relayOwnOldLife`, `answerCopy`); only the current life is asked of the link.
   */
  resendFrom(from: number): number {
    return from <= this.ownOldLifeUpTo ? this.ownOldLifeUpTo + 1 : from;
  }

  /** The member installed this site's copy: its deltas go on from there (CopySourceFlow.installed). */
  greetedWithCopy(remotePeerId: string): void {
    this.ungreeted.delete(remotePeerId);
    this.forgetJoining(remotePeerId);
  }

  /**
   * A copy request of a member that starts over is answered once this site has every delta of its
   * old life that any other member had (each says how far it has them, `relayed`): the copy then
   * holds them all, and the new life's deltas, numbered after it, are never taken for old ones.
   */
  async copyRequested(parts: LinkParts, request: EnvelopeOf<'copy-request'>): Promise<void> {
    const reconciling = this.reconciling.get(parts.remotePeerId);
    // The same request twice (the transport repeated it): it is answered once, when reconciled.
    if (reconciling?.request?.copyId === request.copyId) return;
    // Asked again (the member's timer found the copy stalled): a member that never answers does not hold the restore for ever.
    if (reconciling && reconciling.request === undefined) {
      reconciling.request = request;
      reconciling.waiting.delete(parts.remotePeerId);
      // Nothing more may come to wait for (no other member, or all said so already).
      return this.answerOnceReconciled(parts.remotePeerId);
    }
    if (this.reconciling.delete(parts.remotePeerId)) await this.answerJoinRequestsOnceAllReconciled();
    if (this.joining.has(parts.remotePeerId) && this.reconciling.size > 0) {
      // Asked again (its timer found the copy stalled): a member that never answers does not hold the join for ever.
      const askedAgain = this.joinRequestsHeld.has(parts.remotePeerId);
      this.joinRequestsHeld.delete(parts.remotePeerId);
      if (!askedAgain) {
        this.joinRequestsHeld.set(parts.remotePeerId, request);
        // It cannot say how far it has anyone's old life before its copy is in.
        await this.stopWaitingFor(parts.remotePeerId);
        return;
      }
    }
    await this.answerCopy(parts, request);
  }

  /**
   * Answers `target`'s copy request. The copy holds the old life of each member starting over
   * only as far as this site has it now: should some of it come later, it goes on to the target
   * (`copiedTo`), which was not there when the member started over. A restored member's copy is
   * not held back for that (as a joining member's is, see `joinRequestsHeld`): two members
   * restored at once from each other's sources would wait for each other's copy.
   */
  private async answerCopy(target: LinkParts, request: EnvelopeOf<'copy-request'>): Promise<void> {
    for (const [origin, { copiedTo }] of this.reconciling) {
      const parts = this.context.links.get(origin);
      if (origin === target.remotePeerId || !parts) continue;
      copiedTo.add(target.remotePeerId);
      for (const batch of parts.link.unapplied()) {
        const siteUrl = parts.arrivals.get(batch.seq)?.siteUrl ?? parts.lastSiteUrl;
        target.link.control('relay', relayOf(origin, { batch, siteUrl }));
      }
    }
    await target.copyOut.answer(request);
  }

  /**
   * `member` has the deltas of `origin` (a member gone, or starting over) up to `upTo`. A member
   * that joined (or started over) after this site relayed them gets what it lacks of them.
   */
  async heard(member: string, origin: string, upTo: number, life?: string): Promise<void> {
    const missing = await this.context.kept.heard(member, origin, upTo);
    const to = this.context.links.get(member);
    for (const delta of missing) to?.link.control('relay', relayOf(origin, delta));
    const reconciling = this.reconciling.get(origin);
    if (!reconciling || reconciling.byHello || (reconciling.life !== undefined && !sameSite(life, reconciling.life))) return;
    reconciling.waiting.delete(member);
    reconciling.upTo = Math.max(reconciling.upTo, upTo);
    await this.answerOnceReconciled(origin);
  }

  /**
   * A member left the group: its link closes, and what only it had not acknowledged is released.
   * It may have sent its last deltas to only some members: what this site kept of its deltas goes
   * to every member that stays (`relay`), and its deltas still on their way here are applied.
   * The last other member cannot be removed (the group ends instead).
   */
  async remove(remotePeerId: string): Promise<void> {
    const { links, kept } = this.context;
    if (links.size <= 1 || !links.get(remotePeerId)) return;
    const gone = await this.close(remotePeerId, 'left');
    this.ungreeted.delete(remotePeerId);
    this.forgetJoining(remotePeerId);
    this.forgetCopiedTo(remotePeerId);
    if (this.reconciling.delete(remotePeerId)) await this.answerJoinRequestsOnceAllReconciled();
    await this.relayToOthers(gone, links.all());
    await kept.left(remotePeerId);
    await this.stopWaitingFor(remotePeerId);
    await this.context.releaseAckedByAll();
    this.context.reportPending();
  }

  /**
   * The member at `old` left, or starts over: what this site kept of its deltas (after `since`)
   * goes to `others`, each told how far this site has them; kept until each of them has them all.
   */
  private async relayToOthers(old: LinkParts, others: readonly LinkParts[], since = 0): Promise<void> {
    const origin = old.remotePeerId;
    const relayed = await this.context.kept.relayed(origin, others.map((parts) => parts.remotePeerId), since);
    for (const { link } of others) for (const delta of relayed) link.control('relay', relayOf(origin, delta));
    this.tellRelayed(old, others);
  }

  /**
   * A member starting over greeted this site `quietMs` ago or more, and another member has still
   * not said how far it has the old life (its tab hangs): this site waits for it no more, as the
   * copy's source does once the restored member asks again. What only the silent member had of the
   * old life does not come. The member starting over itself is still waited for: it is there (it
   * greeted), and its word follows its relays of the old life.
   */
  async stopWaitingForSilent(quietMs: number): Promise<void> {
    const now = performance.now();
    for (const [origin, { waiting, helloAt }] of [...this.reconciling]) {
      if (helloAt === undefined || now - helloAt < quietMs || ![...waiting].some((member) => member !== origin)) continue;
      for (const member of [...waiting]) if (member !== origin) waiting.delete(member);
      await this.answerOnceReconciled(origin);
    }
  }

  /** Members starting over wait for `member` no more to say how far it has their old life (it left, or starts over too). */
  private async stopWaitingFor(member: string): Promise<void> {
    for (const [origin, { waiting }] of this.reconciling) {
      if (!waiting.delete(member)) continue;
      await this.answerOnceReconciled(origin);
    }
  }

  /**
   * A copy of this site goes to `target`: what this site kept of the members' deltas the copy
   * holds (`applied`), which the target keeps too. Should their origin start over or leave before
   * every member has them, the target may be the only member left with them. Of a target that
   * starts over, its own old deltas: it relays them to the members that lack them. And this
   * site's own deltas some member may lack, up to `ownUpTo` (the copy holds them): those some
   * link has not acknowledged, and those of its own old life it keeps until every member has
   * them (it started over itself). The target keeps them for relaying should this site leave
   * first. The unacknowledged ones are sent again after the copy too, but one that reached the
   * target before its copy began was not applied, nor kept, and a relay missing it left a member
   * short for good (fuzz seed 7607); the old life's were not sent at all (seed 7725).
   */
  handOver(target: LinkParts, applied: Readonly<Record<string, number>>, ownUpTo: number): HandedOverDelta[] {
    const upTo = { ...applied, [target.remotePeerId]: target.link.appliedUpTo, [this.context.peerId]: ownUpTo };
    const { links, peerId, siteUrl } = this.context;
    const kept = [...links.all(), ...links.allDeparted(), { remotePeerId: peerId }].flatMap(({ remotePeerId: origin }) =>
      this.context.kept.of(origin, upTo[origin] ?? 0).map(({ batch, siteUrl: url }) => ({ origin, seq: batch.seq, siteUrl: url, payload: batch.payload })),
    );
    const ownKept = new Set(kept.filter(({ origin }) => origin === peerId).map(({ seq }) => seq));
    const unacknowledged = links.retained().filter((batch) => batch.seq <= ownUpTo && !ownKept.has(batch.seq));
    return [...kept, ...unacknowledged.map((batch) => ({ origin: peerId, seq: batch.seq, siteUrl, payload: batch.payload }))];
  }

  /** A delta of a member that left, still on its way when it left (`gone`, its link): applied (and relayed, see `applied`). */
  async fromGone(gone: LinkParts, held: HeldDelta): Promise<void> {
    await this.context.takeFromOrigin(gone, held);
  }

  /**
   * Once this site has what every member had of the old life of `origin` (starting over): answers
   * its copy request held back (on its copy's source), or takes its `hello` and new deltas held
   * back (on the others).
   */
  private async answerOnceReconciled(origin: string): Promise<void> {
    const reconciling = this.reconciling.get(origin);
    const parts = this.context.links.get(origin);
    if (!reconciling || !parts || reconciling.waiting.size > 0 || parts.link.appliedUpTo < reconciling.upTo) return;
    this.reconciling.delete(origin);
    if (reconciling.request) await this.answerCopy(parts, reconciling.request);
    if (reconciling.helloSeq !== undefined && reconciling.helloSeq > parts.link.appliedUpTo) parts.restartInbox(reconciling.helloSeq);
    for (const delta of reconciling.newLife) await this.context.takeFromOrigin(parts, delta);
    await this.answerJoinRequestsOnceAllReconciled();
  }

  /** Once every member starting over is reconciled here, the copies held for members that join are made. */
  private async answerJoinRequestsOnceAllReconciled(): Promise<void> {
    if (this.reconciling.size > 0) return;
    const held = [...this.joinRequestsHeld];
    this.joinRequestsHeld.clear();
    for (const [member, request] of held) {
      const parts = this.context.links.get(member);
      if (parts) await this.answerCopy(parts, request);
    }
  }

  private forgetJoining(member: string): void {
    this.joining.delete(member);
    this.joinRequestsHeld.delete(member);
  }

  /** `member` starts over or left: the copy it took from this site counts no more. */
  private forgetCopiedTo(member: string): void {
    for (const { copiedTo } of this.reconciling.values()) copiedTo.delete(member);
  }

  /** Every link closes (the member stops): the copies it served are withdrawn. */
  async closeAll(): Promise<void> {
    for (const parts of this.context.links.all()) await parts.copyOut.withdraw().catch(() => undefined);
  }

  /**
   * The copy from `source` is installed: each other member's deltas go on after what the copy
   * included of them, and each is told where this site's go on (`hello`). The members gone that
   * the copy names get a link for their deltas the members relay, and every member hears how far
   * the copy has them (`relayed`): what one relayed before this site was here comes again. What
   * the source kept for relaying (`kept`) is kept here; this site's own old deltas among them
   * (it starts over) go to the members, which wait for word of them (see `reset`).
   */
  async joinOthers(source: string, applied: Readonly<Record<string, number>>, kept: readonly HandedOverDelta[]): Promise<void> {
    const { links, peerId } = this.context;
    for (const [member, upTo] of Object.entries(applied)) {
      if (member === peerId || member === source || links.get(member) || links.departed(member)) continue;
      const gone = this.context.openLink(member);
      gone.restartInbox(upTo);
      links.addDeparted(gone);
    }
    // Kept before anything is sent: this site's own old deltas among them are not settled until every member has them (SyncPeer.settledUpTo).
    for (const { origin, seq, siteUrl, payload } of kept) {
      if (origin === peerId || links.get(origin) || links.departed(origin)) await this.context.kept.keepHad(origin, { batch: { seq, payload }, siteUrl }, source);
    }
    for (const parts of links.all()) {
      if (parts.remotePeerId === source) continue;
      parts.restartInbox(applied[parts.remotePeerId] ?? 0);
      parts.link.restartResends();
      parts.link.control('hello', { siteUrl: this.context.siteUrl });
    }
    // What the source kept of members gone, some member may still lack: should the source reload
    // before they all have it, only this site would hold it. It goes to every member, as the source's did.
    for (const gone of links.allDeparted()) await this.relayToOthers(gone, links.all());
    await this.relayOwnOldLife(source);
    // A member that started over while this site's own copy was in flight: the copy may hold its old life as far as any member had it.
    for (const origin of [...this.reconciling.keys()]) await this.answerOnceReconciled(origin);
  }

  /**
   * This site started over from a copy of `source`'s: its old deltas the copy handed over (those
   * some member may lack) go to every other member, and every member hears how far this site
   * has them: each waits for that before it takes this site's new deltas (see `reset`).
   */
  private async relayOwnOldLife(source: string): Promise<void> {
    const { links, kept, peerId } = this.context;
    const others = links.all().filter((parts) => parts.remotePeerId !== source);
    const relayed = await kept.relayed(peerId, others.map((parts) => parts.remotePeerId));
    for (const { link } of others) for (const delta of relayed) link.control('relay', relayOf(peerId, delta));
    for (const { link } of links.all()) link.control('relayed', { origin: peerId, upTo: relayed.at(-1)?.batch.seq ?? 0, life: this.context.siteUrl });
  }

  /** The relays held while this site waited for a copy, taken now (it was installed, or given up). */
  async takeRelaysHeldDuringCopy(): Promise<void> {
    if (this.context.awaitingCopy()) return;
    const held = this.relaysDuringCopy;
    this.relaysDuringCopy = [];
    for (const { relayer, envelope } of held) {
      const parts = this.context.links.get(relayer);
      if (parts) await this.relayed(parts, envelope);
    }
  }

  /**
   * A member's state was replaced by a copy (`hello`): its deltas go on after `seq`, and this
   * site's go to it from what the copy held. Its link was opened (again) before it asked for the
   * copy (`add`, `reset`), so every one of them is still here; a member that acknowledged more
   * before its copy than the copy held was not reset, and is told so. A hello that later
   * envelopes of the member overtook on the way (`overtaken`) moves nothing back: the deltas they
   * carried were applied here, and acknowledged there, after it. A hello past what this site has
   * of the member skips nothing: the rest of its old life comes first (`awaitOldLife`).
   */
  greeted(parts: LinkParts, envelope: EnvelopeOf<'hello'>, overtaken: boolean): void {
    this.ungreeted.delete(parts.remotePeerId);
    this.forgetJoining(parts.remotePeerId);
    const reconciling = this.reconciling.get(parts.remotePeerId);
    // A member starting over: its old life's deltas relayed here come first (see holdsBack); its new
    // life's are held back meanwhile, so nothing past the hello is applied when the inbox moves.
    if (reconciling) Object.assign(reconciling, { helloSeq: envelope.seq, helloAt: performance.now() });
    else if (envelope.seq > parts.link.appliedUpTo) this.awaitOldLife(parts.remotePeerId, envelope.seq);
    else if (!overtaken) parts.restartInbox(envelope.seq);
    // This site's deltas of its own old life (up to its restart) count as acknowledged on every
    // link, but reach a member relayed (relayOwnOldLife, awaitOldLife), not on the link: only its
    // current life's can be missing for good.
    const lacksFrom = Math.max(envelope.ackUpTo, this.ownOldLifeUpTo) + 1;
    if (!overtaken && lacksFrom <= parts.link.ackedUpTo) {
      this.context.journal.write([
        {
          direction: 'received',
          kind: 'pairing',
          target: parts.remotePeerId,
          summary: `A member restarted from a copy without this site's changes ${lacksFrom} to ${parts.link.ackedUpTo}, which it had acknowledged before: pair again to bring it back in step`,
          status: 'failed',
        },
      ]);
    }
    parts.link.resendAll();
  }

  /**
   * A member that started over unseen by this site (it joined since, from a copy taken before the
   * member's old life reached its source) greets it past what this site has of that old life. The
   * rest of the old life comes relayed (the member relays it itself, see relayOwnOldLife): its new
   * life waits for it, as on the members that saw it start over, rather than skip it.
   */
  private awaitOldLife(origin: string, helloSeq: number): void {
    this.reconciling.set(origin, { waiting: new Set(), upTo: helloSeq, helloSeq, newLife: [], copiedTo: new Set(), byHello: true });
  }

  /**
   * A delta of `envelope.origin`'s, relayed by `relayer` (the origin left the group or starts over,
   * or it came with a copy): applied in the origin's order, once, as if the origin had sent it,
   * its big files pulled from the relayer. While this site waits for a copy, held until then.
   */
  async relayed(relayer: LinkParts, envelope: EnvelopeOf<'relay', WireDelta>): Promise<void> {
    const { links, journal, peerId } = this.context;
    const { origin } = envelope;
    // This site's own deltas come back from every member that kept them: nothing to apply.
    if (origin === peerId) return;
    if (this.context.awaitingCopy()) {
      this.relaysDuringCopy.push({ relayer: relayer.remotePeerId, envelope });
      return;
    }
    const parts = links.get(origin) ?? links.departed(origin);
    if (!parts) {
      journal.refused('peer message', `Rejected relay: ${origin.slice(0, 100)} is not a member of this group, nor one that left it`);
      return;
    }
    const had = parts.link.appliedUpTo >= envelope.originSeq;
    const delta = { batch: { seq: envelope.originSeq, payload: envelope.payload }, siteUrl: envelope.siteUrl };
    // A member starting over: its old life goes on to the members this site copied meanwhile.
    for (const member of this.reconciling.get(origin)?.copiedTo ?? []) {
      if (member !== relayer.remotePeerId) links.get(member)?.link.control('relay', relayOf(origin, delta));
    }
    parts.relayedBy = relayer.remotePeerId;
    await this.context.takeDelta(parts, delta);
    // What it applies now is told to every member (`applied`); what it had, to the relayer.
    if (had && links.departed(origin) === parts) this.tellRelayed(parts, [relayer]);
  }

  /**
   * Deltas were applied through the link `parts`. If its member left, they are relayed on to every
   * member, which may lack them (its own on their way when it left, or waiting here for an earlier
   * one; relayed ones, whose relayer may reload before all have them); if its member left, or they
   * came relayed, every member hears how far this site
   * has them (its relayers forget them once all have them); if it starts over, its copy may be
   * answered now.
   */
  async applied(parts: LinkParts): Promise<void> {
    const { links, kept } = this.context;
    if (links.departed(parts.remotePeerId) === parts) await this.relayToOthers(parts, links.all(), kept.relayedUpTo(parts.remotePeerId));
    else if (parts.relayedBy !== null) this.tellRelayed(parts);
    await this.answerOnceReconciled(parts.remotePeerId);
  }

  /** Tells every member (or `to`) how far this site has the deltas of the member that left at `gone`: those that relayed them here forget them once all have them. */
  private tellRelayed(gone: LinkParts, to = this.context.links.all()): void {
    const life = this.lives.get(gone.remotePeerId);
    for (const { link } of to) link.control('relayed', { origin: gone.remotePeerId, upTo: gone.link.appliedUpTo, ...(life !== undefined ? { life } : {}) });
  }

  private departedMembers(): string[] {
    return this.context.links.allDeparted().map((parts) => parts.remotePeerId);
  }

  /** A link to `remotePeerId` holding `retained` (this site's deltas some member has not acknowledged) under the numbering so far. */
  private openHoldingRetained(remotePeerId: string, lastSeq: number, retained: readonly SequencedBatch<WireDelta>[]): void {
    this.context.links.add(this.context.openLink(remotePeerId, { lastSeq, retained }));
    this.context.reportPending();
  }

  /**
   * The link to `remotePeerId` goes: the copy it served is withdrawn, the blobs it was asked for
   * forgotten. A member that `left` keeps its link for its deltas still on their way. Call with a
   * link there.
   */
  private async close(remotePeerId: string, left?: 'left'): Promise<LinkParts> {
    const { links, blobs } = this.context;
    const parts = (left ? links.retire(remotePeerId) : links.remove(remotePeerId))!;
    await parts.copyOut.withdraw().catch(() => undefined);
    blobs.forgetFetches(remotePeerId);
    return parts;
  }
}

/** Whether two site URLs name the same site (a trailing slash aside). */
function sameSite(a: string | undefined, b: string): boolean {
  return a !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The body of a `relay` of `origin`'s delta: as its origin sent it. */
function relayOf(origin: string, { batch, siteUrl }: KeptDelta): Control<'relay'> {
  return { origin, originSeq: batch.seq, siteUrl, payload: batch.payload };
}
