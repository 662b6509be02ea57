// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import applyBatchSource from '../php/apply-batch.php?raw';
import captureCommonSource from '../php/capture-common.php?raw';
import captureDdlSource from '../php/capture-ddl.php?raw';
import captureDrainSource from '../php/capture-drain.php?raw';
import capturePreloadSource from '../php/capture-preload.php?raw';
import captureTriggersSource from '../php/capture-triggers.php?raw';
import engineTaskSource from '../php/engine-task.php?raw';
import renumberCheckSource from '../php/renumber-check.php?raw';
import renumberPassSource from '../php/renumber-pass.php?raw';
import renumberSource from '../php/renumber.php?raw';
import sessionCarrySource from '../php/session-carry.php?raw';
import { ID_REWRITE_PHP } from '../ids/id-rewrite';
import { LOCAL_ONLY_PHP } from '../sync/local-only-php';
import { URL_REWRITE_PHP } from '../sync/url-rewrite';

/** Where the engine's PHP lives on a site: MEMFS outside /wordpress (gone on reload: reinstall). */
export const ENGINE_DIR = '/internal/shared/playground-sync';
/** Runs before WordPress on every request: the DDL watcher and the shutdown drain. */
export const ENGINE_PRELOAD_PATH = '/internal/shared/preload/zz-playground-sync.php';
export const ENGINE_TASK_PATH = `${ENGINE_DIR}/engine-task.php`;

/** File name in ENGINE_DIR → source. The preload's `require`s and engine-task.php use these names. */
export const ENGINE_PHP_FILES: Readonly<Record<string, string>> = {
  'local-only.php': LOCAL_ONLY_PHP,
  'url-rewrite.php': URL_REWRITE_PHP,
  'capture-common.php': captureCommonSource,
  'capture-triggers.php': captureTriggersSource,
  'capture-ddl.php': captureDdlSource,
  'capture-drain.php': captureDrainSource,
  'apply-batch.php': applyBatchSource,
  'id-rewrite.php': ID_REWRITE_PHP,
  'renumber.php': renumberSource,
  'renumber-pass.php': renumberPassSource,
  'renumber-check.php': renumberCheckSource,
  'engine-task.php': engineTaskSource,
  'session-carry.php': sessionCarrySource,
};

export const ENGINE_PRELOAD_PHP: string = capturePreloadSource;
