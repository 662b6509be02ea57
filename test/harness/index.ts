/**
 * Node test harness: real WordPress Playground sites (PHP WASM) behind the page client's shape.
 *
 *   const site = await bootNodeSite({ wp: '6.5', driver: 'ast', siteUrl: 'https://playground.wordpress.net/scope:a/' });
 *   const state = await dumpSiteState(site);
 *   compareSiteStates(stateA, stateB, { aUrl, bUrl, ignore: LOCAL_ONLY_RULES });
 *   await site.dispose();
 */
export {
  SQLITE_DRIVER_IDS,
  WORDPRESS_VERSION_IDS,
  sqliteDriverArtifact,
  wordPressArtifact,
  type SqliteDriverArtifact,
  type SqliteDriverId,
  type WordPressArtifact,
  type WordPressVersionId,
} from './artifacts';
export { bootNodeSite, type BootNodeSiteOptions, type NodeSite, type SiteFacts, type VisitResult } from './boot-node-site';
export { forgetSnapshotsInMemory } from './snapshot-cache';
export { bootBarePhp } from './php-runtime';
export { ALL_COMBINATIONS, type Combination } from './combinations';
export { retargetSiteUrl } from './retarget-site-url';
export { serializePhp, type PhpValue } from './php-serialized';
export { cellBytes, dumpSiteState, type Cell, type Row, type SiteState } from './site-state';
export {
  LOCAL_ONLY_RULES,
  SITE_URL_PLACEHOLDER,
  compareSiteStates,
  formatDifferences,
  wpTable,
  type CompareOptions,
  type IgnoreRule,
  type StateDifference,
} from './state-compare';
export { mentionsSiteUrl, replaceSiteUrl, siteUrlBase } from './site-url';
