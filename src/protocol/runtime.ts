import * as v from 'valibot';
import { JournalEntrySchema } from './journal-entry';
import { ID_PATTERN, MAX_FORMER_NUMBERERS, MAX_GROUP_MEMBERS, PairIdSchema, PeerIdSchema } from './ids';
import { SiteInfoSchema } from './site';

/** Name of the long-lived `chrome.runtime` port each Playground tab's content script opens. */
export const TAB_PORT_NAME = 'playground-sync/tab';

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const tabId = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/**
 * Which page document of a tab reports, and which of that document's Playground clients: a new
 * document is a reload (or a navigation); a new client in the same document is a site switch
 * (`?site-slug=`, the site manager, `playgroundSites.setActiveSite`) or a reboot.
 */
export const TabDocumentSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(ID_PATTERN, 'a document id is 1-64 ASCII letters, digits or dashes')),
  client: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});
export type TabDocument = v.InferOutput<typeof TabDocumentSchema>;

/** The pairing a tab's content script currently runs a sync peer for. */
export const PeerRoleSchema = v.strictObject({ pairId: PairIdSchema, peerId: PeerIdSchema });
export type PeerRole = v.InferOutput<typeof PeerRoleSchema>;

/**
 * What a tab knows of its site's content, shown when two sites to pair already differ. `digest`
 * covers everything that would sync (every synced row, URL-normalised, and every synced file),
 * not what only one tab made by being looked at: two fresh sites have equal digests.
 */
export const ContentSummarySchema = v.strictObject({
  posts: count,
  pages: count,
  comments: count,
  users: count,
  media: count,
  plugins: v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(500)),
  theme: v.pipe(v.string(), v.maxLength(200)),
  /** Rows of every synced table. */
  rows: count,
  /** Files in the synced tree. */
  files: count,
  digest: v.pipe(v.string(), v.maxLength(100)),
});
export type ContentSummary = v.InferOutput<typeof ContentSummarySchema>;

/** Content script -> background, over the tab's port. Envelopes stay opaque: the receiving peer validates them. */
export const TabToBackgroundSchema = v.variant('type', [
  /**
   * The site the tab runs now, in which document and client, and the peer it runs, if any (after a
   * service-worker restart the peer lives on).
   */
  v.strictObject({
    type: v.literal('tab/site'),
    site: SiteInfoSchema,
    document: TabDocumentSchema,
    peer: v.optional(v.nullable(PeerRoleSchema)),
  }),
  v.strictObject({ type: v.literal('tab/waiting'), reason: v.pipe(v.string(), v.maxLength(500)) }),
  v.strictObject({ type: v.literal('tab/error'), error: v.pipe(v.string(), v.maxLength(2000)) }),
  v.strictObject({ type: v.literal('tab/envelope'), pairId: PairIdSchema, envelope: v.unknown() }),
  v.strictObject({ type: v.literal('tab/journal'), entries: v.pipe(v.array(JournalEntrySchema), v.maxLength(1000)) }),
  /** Journal lines of this tab whose status changed (a sent batch acknowledged: `applied`). */
  v.strictObject({
    type: v.literal('tab/journal-status'),
    ids: v.pipe(v.array(JournalEntrySchema.entries.id), v.maxLength(1000)),
    status: JournalEntrySchema.entries.status,
  }),
  /** Unacknowledged changes of this side (the badge). */
  v.strictObject({ type: v.literal('tab/pending'), pairId: PairIdSchema, pending: count }),
  /** What keeps this side from syncing right now (its engine files lost, a change it cannot apply), or null: none. */
  v.strictObject({ type: v.literal('tab/problem'), pairId: PairIdSchema, problem: v.nullable(v.pipe(v.string(), v.maxLength(500))) }),
  /** A full-state copy this tab receives or sends: bytes so far of the whole. */
  v.strictObject({ type: v.literal('tab/copy-progress'), pairId: PairIdSchema, done: count, total: count }),
  /** The copy is installed (target) and live sync runs, or it failed (`error`). */
  v.strictObject({ type: v.literal('tab/copy-done'), pairId: PairIdSchema, error: v.optional(v.pipe(v.string(), v.maxLength(2000))) }),
]);
export type TabToBackground = v.InferOutput<typeof TabToBackgroundSchema>;

/**
 * A page of a site, relative to the site's URL ("/wp-admin/post.php?post=5&action=edit"): never
 * another host (`//host`), a scheme, or a character a URL does not carry as is.
 */
export const SitePathSchema = v.pipe(
  v.string(),
  v.maxLength(500),
  v.regex(/^\/(?!\/)[\w\-./?=&%~+,:@]*$/, 'a path of the site ("/wp-admin/…")'),
);

/**
 * Background -> content script (`tabs.sendMessage`, top frame). `peer/start` roles: `source`
 * start, then send this site's full state; `target` start, wait for the peer's full state,
 * install it, then sync; `resume` a saved site that reloaded goes on from what it kept (no copy).
 */
const formerNumberers = v.pipe(v.array(PeerIdSchema), v.maxLength(MAX_FORMER_NUMBERERS));

export const BackgroundToTabSchema = v.variant('type', [
  v.strictObject({ type: v.literal('bg/summary') }),
  v.strictObject({
    type: v.literal('bg/peer-start'),
    pairId: PairIdSchema,
    peerId: PeerIdSchema,
    /** The group's other members. */
    members: v.pipe(v.array(PeerIdSchema), v.minLength(1), v.maxLength(MAX_GROUP_MEMBERS - 1)),
    role: v.picklist(['source', 'target', 'resume']),
    /** A `target`'s copy comes from this member. */
    copyFrom: v.optional(PeerIdSchema),
    /** This site's slot in the group's ID plan: the range its new rows take their IDs from. */
    slot: v.pipe(v.number(), v.integer(), v.minValue(0)),
    syncOn: v.boolean(),
    /** This site is the group's numberer: it gives the rows made while synced low IDs (docs/ids.md). */
    numberer: v.optional(v.boolean()),
    /** The group's numberer, once low IDs were on: changes made after its renumberings wait for them. */
    numbererPeer: v.optional(PeerIdSchema),
    /** The numberers before it (they left, or a copy replaced their site): their renumberings too. */
    formerNumberers: v.optional(formerNumberers),
  }),
  /**
   * The group's membership changed while this tab runs in it: a member joined (`add`: a link to
   * it opens before it asks anyone for its copy), left (`remove`), or starts over from a copy after
   * its reload (`reset`: its link opens again; `life`: the site URL of its new life, which names
   * this restore in what the members say of the old life, see wire.ts `relayed`).
   */
  v.strictObject({
    type: v.literal('bg/member'),
    pairId: PairIdSchema,
    change: v.picklist(['add', 'remove', 'reset']),
    peerId: PeerIdSchema,
    life: v.optional(SiteInfoSchema.entries.siteUrl),
  }),
  /** The member this tab's copy was asked of reloaded and lost its site: the copy is asked of `peerId` instead. */
  v.strictObject({ type: v.literal('bg/copy-from'), pairId: PairIdSchema, peerId: PeerIdSchema }),
  /** The pairing ended (unpaired, its other tab closed or left): the tab removes the engine from its site. */
  v.strictObject({ type: v.literal('bg/peer-stop'), pairId: PairIdSchema }),
  v.strictObject({ type: v.literal('bg/envelope'), pairId: PairIdSchema, envelope: v.unknown() }),
  v.strictObject({ type: v.literal('bg/sync'), pairId: PairIdSchema, on: v.boolean() }),
  /**
   * The group's switch for low IDs changed, or the numberer's site left and another took over
   * (`formerNumberers` grew): the numberer's site (`numbererPeer`) starts or stops handing them
   * out, every member orders the changes made after every numberer's renumberings.
   */
  v.strictObject({
    type: v.literal('bg/numbering'),
    pairId: PairIdSchema,
    on: v.boolean(),
    numbererPeer: PeerIdSchema,
    formerNumberers: v.optional(formerNumberers),
  }),
  /** Apply again what this site could not apply (the user fixed the cause). */
  v.strictObject({ type: v.literal('bg/retry'), pairId: PairIdSchema }),
  /** Show a page of the site in the tab ("Open in both tabs" of a journal entry). */
  v.strictObject({ type: v.literal('bg/open-path'), path: SitePathSchema }),
]);
export type BackgroundToTab = v.InferOutput<typeof BackgroundToTabSchema>;

/** The content script's answer to a background message. */
export type TabReply = { ok: true; summary?: ContentSummary } | { ok: false; error: string };

export { tabId as TabIdSchema };
