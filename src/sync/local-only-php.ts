import localOnlySource from '../php/local-only.php?raw';

/**
 * PHP matching for the local-only list (src/php/local-only.php): `require_once` it, load the
 * rules from `localOnlyPhpArray()` and call `playground_sync_local_only_predicate()` when
 * generating capture triggers, `playground_sync_is_local_only_row()` when applying rows.
 */
export const LOCAL_ONLY_PHP: string = localOnlySource;
