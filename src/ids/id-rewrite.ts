// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import idRewriteSource from '../php/id-rewrite.php?raw';

/**
 * The rewriter of reclaimed high IDs (docs/ids.md, src/php/id-rewrite.php): write this source
 * beside url-rewrite.php (it uses that file's serialized-value walker), `require_once` it and call
 * `ID_REWRITE_FUNCTION($value, $map)` on a column value, `$map` being high ID => low ID.
 */
export const ID_REWRITE_PHP: string = idRewriteSource;

export const ID_REWRITE_FUNCTION = 'playground_sync_renumber_value';
