import { mapSerializedStrings } from './php-serialized';

/**
 * Site-URL rewriting for stored values, used to re-target a snapshot and to normalize two sites'
 * states before comparing them.
 *
 * A site URL is matched in three spellings: plain (`https://host/scope:a`), JSON-escaped
 * (`https:\/\/host\/scope:a`, as in block attributes and JSON options) and URL-encoded
 * (`https%3A%2F%2Fhost%2Fscope%3Aa`, as in `redirect_to` values), each also with the other scheme
 * (`http://host/scope:a` is what `site_url()` gives inside `run()`, which is not an HTTPS request);
 * the other-scheme spelling maps to the other-scheme target (for the compare placeholder
 * `{{SITE_URL}}`: `{{SITE_URL:other-scheme}}`). A match must not be followed by
 * a character that would continue the slug or port, so `scope:a` never matches inside
 * `scope:ab`. Inside PHP-serialized values the strings are rewritten and their byte lengths
 * recomputed (see php-serialized.ts); serialized strings nested in serialized strings are handled
 * recursively.
 */

/** `https://host/scope:a/` → `https://host/scope:a`: the form WordPress stores in `siteurl`. */
export function siteUrlBase(siteUrl: string): string {
  const url = new URL(siteUrl);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** The same base with the other scheme; a placeholder gets a marked twin. */
function otherScheme(base: string): string {
  if (base.startsWith('https://')) return `http://${base.slice('https://'.length)}`;
  if (base.startsWith('http://')) return `https://${base.slice('http://'.length)}`;
  return base.replace(/(}})?$/, ':other-scheme$1');
}

/** Plain, JSON-escaped and URL-encoded spellings of the base and of its other-scheme twin. */
export function siteUrlSpellings(base: string): readonly string[] {
  return [base, otherScheme(base)].flatMap((url) => [url, url.replaceAll('/', '\\/'), encodeURIComponent(url)]);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const CONTINUES_SLUG = '(?![A-Za-z0-9_-])';

function replacePlain(text: string, fromBase: string, toBase: string): string {
  const from = siteUrlSpellings(fromBase);
  const to = siteUrlSpellings(toBase);
  let out = text;
  from.forEach((spelling, index) => {
    if (!out.includes(spelling)) return;
    const replacement = to[index] ?? toBase;
    out = out.replace(new RegExp(escapeRegExp(spelling) + CONTINUES_SLUG, 'g'), () => replacement);
  });
  return out;
}

/**
 * Replaces the site URL `fromBase` with `toBase` (both as given by `siteUrlBase`) in one stored
 * value, keeping PHP-serialized values valid.
 */
export function replaceSiteUrl(text: string, fromBase: string, toBase: string): string {
  if (fromBase === toBase) return text;
  const serialized = mapSerializedStrings(text, (inner) => replaceSiteUrl(inner, fromBase, toBase));
  return serialized ?? replacePlain(text, fromBase, toBase);
}

/** Whether a stored value mentions the site URL in any spelling. */
export function mentionsSiteUrl(text: string, base: string): boolean {
  return siteUrlSpellings(base).some((spelling) => new RegExp(escapeRegExp(spelling) + CONTINUES_SLUG).test(text));
}
