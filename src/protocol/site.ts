import * as v from 'valibot';

/** How the Playground page keeps a site: `temporary` dies with the tab's reload. */
export const StorageKindSchema = v.picklist(['temporary', 'opfs', 'local-fs', 'unknown']);
export type StorageKind = v.InferOutput<typeof StorageKindSchema>;

/** Where the bridge found the page's client: the Sites API (current builds) or the older global. */
export const ClientSourceSchema = v.picklist(['playgroundSites', 'playground']);
export type ClientSource = v.InferOutput<typeof ClientSourceSchema>;

const shortText = v.pipe(v.string(), v.maxLength(200));

/** What a Playground tab reports about the site it runs. */
export const SiteInfoSchema = v.strictObject({
  scope: v.pipe(v.string(), v.regex(/^[\w.-]{1,100}$/, 'a scope is a site slug')),
  siteUrl: v.pipe(v.string(), v.url(), v.maxLength(500)),
  name: shortText,
  wordpressVersion: shortText,
  phpVersion: shortText,
  storage: StorageKindSchema,
  clientSource: ClientSourceSchema,
});
export type SiteInfo = v.InferOutput<typeof SiteInfoSchema>;
