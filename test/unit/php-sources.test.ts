import { describe, expect, it } from 'vitest';
import { LOCAL_ONLY_PHP } from '../../src/sync/local-only-php';
import { URL_REWRITE_FUNCTION, URL_REWRITE_PHP } from '../../src/sync/url-rewrite';

// The `?raw` loader must hand over the PHP files as they are, in Vitest as in the Vite build.
describe('PHP sources', () => {
  it('loads the URL rewriter', () => {
    expect(URL_REWRITE_PHP.startsWith('<?php\n')).toBe(true);
    expect(URL_REWRITE_PHP).toContain(`function ${URL_REWRITE_FUNCTION}( $value, $from, $to )`);
  });

  it('loads the local-only matcher', () => {
    expect(LOCAL_ONLY_PHP.startsWith('<?php\n')).toBe(true);
    expect(LOCAL_ONLY_PHP).toContain('function playground_sync_local_only_predicate(');
  });
});
