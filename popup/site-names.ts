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
