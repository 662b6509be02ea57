import type { TestGroup } from '../group-support';
import type { OpTarget } from './execute-op';
import type { GroupOp } from './group-workload';

/**
 * Ops on a sync group's members (`TestGroup`). A member's copy in flight is finished (only its
 * messages and its source's delivered) before WordPress work runs there, as a user waits for the
 * popup's copy to end before editing, and before a membership change touches a member the copy
 * comes from (a coordinator asks a live member, and does not let the source go mid-copy).
 *
 * A member leaves, or reloads before its restore, whenever the op comes, its changes in flight or
 * not: the other members relay what each kept of its deltas (Membership).
 */
export function groupTarget(group: TestGroup): OpTarget<string> {
  const copiesFrom = async (source: string) => {
    for (const member of group.members) if (group.copySourceOf(member) === source) await group.untilCopied(member);
  };
  return {
    site: (member) => group.site(member),
    peer: (member) => group.peer(member),
    deliver: (member, count) => group.link.deliverSome(member, count),
    beforeWork: (member) => group.untilCopied(member),
    async tabEvent(op: GroupOp) {
      const from = String(op.args.from);
      switch (op.kind) {
        case 'join':
          await group.untilCopied(from);
          await group.boot(op.side);
          return group.join(op.side, from);
        case 'leave':
          await copiesFrom(op.side);
          return group.leave(op.side);
        case 'restore':
          await copiesFrom(op.side);
          await group.untilCopied(from);
          return group.restore(op.side, from);
        default:
          throw new Error(`${op.kind}: not an op on a group`);
      }
    },
  };
}
