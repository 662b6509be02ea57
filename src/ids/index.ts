export * from './ranges';
export { installIdShards, surveyIdTables, type SiteIdSurveyWithPlan } from './install';
export { uninstallIdShards } from './uninstall';
export { readIdShardStatus, type IdShardStatus, type TableIdStatus } from './status';
export { IdShardRefusal } from './site-script';
export { ID_SHARDS_BYPASS_GLOBAL } from './id-shards-php';
