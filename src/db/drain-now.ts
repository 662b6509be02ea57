import * as v from 'valibot';
import type { SiteClient } from '../platform/site-client';
import { ChangeBatchSchema, type ChangeBatch } from './batch';
import { runEngineTask } from './engine-task';

const DrainResultSchema = v.object({ batch: v.nullable(ChangeBatchSchema) });

/**
 * Drains now, as the end of a request does: for changes made by code that never loaded
 * WordPress (raw PDO, bare scripts). The batch is posted to `onMessage` listeners exactly like a
 * request's drain and returned once a listener answered `CHANGES_STORED_REPLY`; `null` when
 * nothing changed or nobody stored it (then the changes stay for the next drain).
 */
export async function drainNow(client: SiteClient): Promise<ChangeBatch | null> {
  return (await runEngineTask(client, 'drain', {}, DrainResultSchema)).batch;
}
