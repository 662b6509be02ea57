export interface NamedSite {
  tabId: number;
  name?: string | undefined;
  scope?: string | undefined;
}

/**
 * What to call each site in sentences like "Copying A → B". New Playground sites share one
 * default name, so names that collide get their scope (or tab) added to tell them apart.
 */
export function displayNames(sites: readonly NamedSite[]): string[] {
  const base = sites.map((site) => site.name?.trim() || site.scope || `Tab ${site.tabId}`);
  const repeated = (index: number) => base.filter((name) => name === base[index]).length > 1;
  return sites.map((site, index) => {
    if (!repeated(index)) return base[index]!;
    const scopeShared = sites.filter((other) => other.scope === site.scope).length > 1;
    const tag = site.scope && !scopeShared ? site.scope : `tab ${site.tabId}`;
    return base[index] === tag ? tag : `${base[index]} (${tag})`;
  });
}

/** A site as the journal names it: its URL, and where its name may be found. */
export interface KnownSite {
  readonly siteUrl: string;
  readonly name?: string | undefined;
  readonly scope?: string | undefined;
}

/** A site URL as the journal and pairings compare it (with or without its trailing slash). */
export const siteKey = (url: string) => url.replace(/\/+$/, '');

/**
 * Names for the site URLs journal lines carry: the name a tab or pairing knows the site by (the
 * latest known wins), else its scope ("scope:lively-river" → "lively-river"), else the URL.
 */
export function siteNamer(known: readonly KnownSite[]): (siteUrl: string) => string {
  const names = new Map<string, string>();
  for (const site of known) if (site.name?.trim()) names.set(siteKey(site.siteUrl), site.name.trim());
  const shared = new Set([...names.values()].filter((name, index, all) => all.indexOf(name) !== index));
  return (siteUrl) => {
    const scope = /\/scope:([^/]+)/.exec(siteUrl)?.[1];
    const name = names.get(siteKey(siteUrl));
    // New Playground sites share one default name: the scope tells them apart.
    if (name) return shared.has(name) && scope ? `${name} (${scope})` : name;
    return scope ?? (siteUrl || 'a site');
  };
}

const PLAYGROUND_SITE_URL = /https:\/\/[\w.-]+(?::\d+)?\/scope:[\w.-]+\/?/g;

/** Sites' URLs in a sentence (the background's lines name sites by URL) said by their names. */
export function withSiteNames(text: string, nameOf: (siteUrl: string) => string): string {
  return text.replace(PLAYGROUND_SITE_URL, (url) => nameOf(url));
}

/** "A", "A and B", "A, B and C". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
