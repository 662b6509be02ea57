import { GROUP_SLOTS } from '../../../src/ids/ranges';
import { generateWorkload, type Dice, type ExcludableKind, type Op, type Roster } from './workload';

/**
 * The group fuzz workload: the pair's workload ops and sync steps (workload.ts) on the live members
 * of a sync group, named by peer id (`m1`, `m2`, … in the order they first joined), with membership
 * changes drawn after each burst from the tab dice: `join` (a new member, its copy from `args.from`),
 * `leave` (never below two members) and `restore` (a member's page reloaded and lost its temporary
 * site: a fresh site under its id, restored from `args.from`). Membership follows from the ops
 * alone, so a prefix of them replays the same.
 *
 * The pair's `reload` (a saved site resuming through `rejoin`) is not drawn: the resume path runs
 * per link and is untested for groups (see README.md).
 */

export type GroupOp = Op<string>;

/** Per burst: with fewer members than at the start joins are likelier, with more leaves are. */
const MEMBERSHIP_CHANCES = { join: 0.012, joinWhenFewer: 0.035, leave: 0.012, leaveWhenMore: 0.035, restore: 0.018 };

export const MEMBERSHIP_KINDS = ['join', 'leave', 'restore'] as const;

export function memberName(index: number): string {
  return `m${index}`;
}

/** The first members of a group of `count`: `m1` … `m<count>`. */
export function firstMembers(count: number): string[] {
  return Array.from({ length: count }, (_, at) => memberName(at + 1));
}

/** `workloadOps` workload ops of `seed` on a group that starts with `members` members. `exclude`: kinds not to generate. */
export function generateGroupOps(seed: number, workloadOps: number, members: number, exclude: readonly ExcludableKind[] = []): GroupOp[] {
  if (members < 2) throw new Error('A sync group has at least two members');
  return generateWorkload(seed, workloadOps, groupRoster(members, exclude), [...exclude, 'reload']);
}

function groupRoster(startMembers: number, exclude: readonly ExcludableKind[]): Roster<string> {
  const live = firstMembers(startMembers);
  // Slots are never reused: every member that ever joined took one.
  let everJoined = startMembers;
  const allowed = (kind: (typeof MEMBERSHIP_KINDS)[number]) => !exclude.includes(kind);
  return {
    sides: () => live,
    afterBurst(tabs: Dice): GroupOp[] {
      const roll = tabs.fraction();
      const joinChance = live.length < startMembers ? MEMBERSHIP_CHANCES.joinWhenFewer : MEMBERSHIP_CHANCES.join;
      const leaveChance = live.length > startMembers ? MEMBERSHIP_CHANCES.leaveWhenMore : MEMBERSHIP_CHANCES.leave;
      const member = tabs.oneOf(live);
      const other = tabs.oneOf(live.filter((name) => name !== member));
      if (roll < joinChance) {
        if (!allowed('join') || everJoined >= GROUP_SLOTS) return [];
        const joiner = memberName(++everJoined);
        live.push(joiner);
        return [{ kind: 'join', side: joiner, args: { from: member } }];
      }
      if (roll < joinChance + leaveChance) {
        if (!allowed('leave') || live.length <= 2) return [];
        live.splice(live.indexOf(member), 1);
        return [{ kind: 'leave', side: member, args: {} }];
      }
      if (roll < joinChance + leaveChance + MEMBERSHIP_CHANCES.restore) {
        return allowed('restore') ? [{ kind: 'restore', side: member, args: { from: other } }] : [];
      }
      return [];
    },
  };
}
