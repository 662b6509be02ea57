import * as v from 'valibot';
import { MAX_GROUP_MEMBERS, PairIdSchema } from './ids';
import { SitePathSchema, TabIdSchema, type ContentSummary } from './runtime';

/** Popup -> background (`runtime.sendMessage`). The popup reads state from storage; it only sends commands. */
export const PopupCommandSchema = v.variant('type', [
  /**
   * Sync two or more tabs (a group). Without `keep`, sites whose content differs are not grouped:
   * the reply lists every summary and the popup asks which site to keep. With `keep`, that tab's
   * full state is copied to every other one, then live sync starts.
   */
  v.strictObject({
    type: v.literal('popup/pair'),
    tabIds: v.pipe(v.array(TabIdSchema), v.minLength(2), v.maxLength(MAX_GROUP_MEMBERS)),
    keep: v.optional(TabIdSchema),
  }),
  /** Adds a tab to a group: its site is replaced by a copy of the group's. */
  v.strictObject({ type: v.literal('popup/add-tab'), pairId: PairIdSchema, tabId: TabIdSchema }),
  /** Takes a tab out of a group (the group goes on without it; with two tabs left, this unpairs). */
  v.strictObject({ type: v.literal('popup/remove-tab'), pairId: PairIdSchema, tabId: TabIdSchema }),
  v.strictObject({ type: v.literal('popup/unpair'), pairId: PairIdSchema }),
  v.strictObject({ type: v.literal('popup/set-sync'), pairId: PairIdSchema, on: v.boolean() }),
  /** Whether rows made while synced get low IDs afterwards, the same on every site (docs/ids.md). */
  v.strictObject({ type: v.literal('popup/set-low-ids'), pairId: PairIdSchema, on: v.boolean() }),
  v.strictObject({ type: v.literal('popup/clear-journal') }),
  /** The user read why a pairing ended: the notice goes. */
  v.strictObject({ type: v.literal('popup/dismiss-ended'), pairId: PairIdSchema }),
  /** Both sites apply again what they could not apply (a failed change's "Try again"). */
  v.strictObject({ type: v.literal('popup/retry'), pairId: PairIdSchema }),
  /** Show the same page of both sites, each in its tab (a journal entry's "Open in both tabs"). */
  v.strictObject({ type: v.literal('popup/open-in-tabs'), pairId: PairIdSchema, path: SitePathSchema }),
]);
export type PopupCommand = v.InferOutput<typeof PopupCommandSchema>;

export type PopupReply =
  | { ok: true }
  | { ok: false; error: string }
  /** The two sites hold different content: which one to keep? */
  | { ok: false; error: string; differ: { tabId: number; summary: ContentSummary }[] };
