// `?raw` is resolved by Vite in the extension build and by Vitest in tests: one loader for both.
import urlRewriteSource from '../php/url-rewrite.php?raw';

/**
 * The site-URL rewriter that runs in PHP on the receiving site (see src/php/url-rewrite.php):
 * write this source into the site's filesystem, `require_once` it from the apply script and call
 * `URL_REWRITE_FUNCTION($value, $fromSiteUrl, $toSiteUrl)` on every column value. Values travel
 * through files, never inside PHP source.
 */
export const URL_REWRITE_PHP: string = urlRewriteSource;

export const URL_REWRITE_FUNCTION = 'playground_sync_rewrite_value';
