export * from './ranges';
export { installIdShards, restoreIdShardFiles, surveyIdTables, type SiteIdSurveyWithPlan } from './install';
export { uninstallIdShards } from './uninstall';
export { readIdShardStatus, type IdShardStatus, type TableIdStatus } from './status';
export { ID_SHARDS_BYPASS_GLOBAL, ID_SHARDS_LIBRARY_PATH, ID_SHARDS_PRELOAD_PATH } from './id-shards-php';
export { writeIdShardLibrary } from './site-script';
