import * as v from 'valibot';
import { SiteInfoSchema } from './site';

/** Name of the long-lived `chrome.runtime` port each Playground tab's content script opens. */
export const TAB_PORT_NAME = 'playground-sync/tab';

/** Content script -> background. */
export const TabToBackgroundSchema = v.variant('type', [
  v.strictObject({ type: v.literal('tab/site'), site: SiteInfoSchema }),
  v.strictObject({ type: v.literal('tab/waiting'), reason: v.pipe(v.string(), v.maxLength(500)) }),
  v.strictObject({ type: v.literal('tab/error'), error: v.pipe(v.string(), v.maxLength(2000)) }),
]);
export type TabToBackground = v.InferOutput<typeof TabToBackgroundSchema>;
