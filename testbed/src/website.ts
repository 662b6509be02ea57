/**
 * The top frame of the offline stand-in for https://playground.wordpress.net/: boots the active
 * site through the published client (`startPlaygroundWeb`, as the real website does) into
 * `iframe.playground-viewport` (with id `playground-viewport` unless `?build=older`) and exposes
 * `window.playground` and the Sites API subset `window.playgroundSites`. A load starts a new
 * temporary site, or with `?site-slug=<slug>` opens a saved one (OPFS, see saved-sites.ts); `saveInBrowser()` saves the temporary site and
 * `setActiveSite(slug)` switches the tab to another site without reloading (a new client).
 */
import { setupPostMessageRelay } from '@php-wasm/web';
import type { PlaygroundClient } from '@wp-playground/client';
import { startPlaygroundWeb } from '@wp-playground/client';
import { OLDER_BUILD_QUERY, normalizePhpVersion, normalizeWpVersion } from './config';
import { listSavedSites, opfsPathOf, siteRecordJson, type SiteRecord } from './saved-sites';

interface SiteInfo {
  slug: string;
  name: string;
  storage: SiteRecord['storage'];
  persistence: 'explicit';
  isActive: boolean;
}

interface PlaygroundSitesApi {
  list(): SiteInfo[];
  getClient(): PlaygroundClient | undefined;
  isReady(): Promise<void>;
  saveInBrowser(): Promise<void>;
  setActiveSite(slug: string): Promise<void>;
}

/** What the client offers for saved sites beyond its published type (the worker's own members, piped through). */
interface OpfsClient {
  mountOpfs(options: { device: { type: 'opfs'; path: string }; mountpoint: string; initialSyncDirection: 'memfs-to-opfs' }): Promise<void>;
  flushOpfs(mountpoint: string): Promise<void>;
}

/** The page globals the real website sets (no global type augmentation: the extension has its own). */
const pageGlobals = window as unknown as { playground?: PlaygroundClient; playgroundSites?: PlaygroundSitesApi };

const ADJECTIVES = ['Amber', 'Brave', 'Calm', 'Daring', 'Eager', 'Gentle', 'Happy', 'Lively', 'Quiet', 'Swift'];
const NOUNS = ['Falcon', 'Harbor', 'Lagoon', 'Meadow', 'Otter', 'Pine', 'River', 'Summit', 'Willow', 'Zephyr'];
const SITE_SLUG_QUERY = 'site-slug';

function randomIndex(length: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % length;
}

/** A fresh site per page load; the slug carries a random suffix so two tabs never share a scope. */
function newTemporarySite(): SiteRecord {
  const name = `${ADJECTIVES[randomIndex(ADJECTIVES.length)]} ${NOUNS[randomIndex(NOUNS.length)]}`;
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 6);
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${suffix}`;
  return { name, slug, storage: 'temporary', phpVersion: requestedPhpVersion };
}

const query = new URL(window.location.href).searchParams;
const wpVersion = normalizeWpVersion(query.get('wp'));
/** `?php=7.4` as on the real site (default 8.3): a new site runs it; a saved one keeps the version it was saved with. */
const requestedPhpVersion = normalizePhpVersion(query.get('php'));
const olderBuild = query.get(OLDER_BUILD_QUERY.name) === OLDER_BUILD_QUERY.value;

const setText = (selector: string, text: string) => {
  const element = document.querySelector<HTMLElement>(selector);
  if (element) {
    element.textContent = text;
  }
};
const setStatus = (text: string) => setText('[data-site-status]', text);
const showSite = (site: SiteRecord) => {
  setText('[data-site-name]', site.name);
  setText('[data-site-storage]', site.storage === 'opfs' ? 'Saved in this browser' : 'Temporary site');
  setText('[data-site-php]', `PHP ${site.phpVersion}`);
};

/** Puts `?site-slug=` in the address bar without a navigation, as the real site does for a saved site. */
function showSlugInUrl(slug: string | undefined): void {
  const url = new URL(window.location.href);
  if (slug) {
    url.searchParams.set(SITE_SLUG_QUERY, slug);
  } else {
    url.searchParams.delete(SITE_SLUG_QUERY);
  }
  history.replaceState(history.state, '', url);
}

/** remote.html with the stand-in's own switches that the PHP worker acts on. */
function remoteUrl(): URL {
  const url = new URL('/remote.html', window.location.origin);
  if (olderBuild) {
    url.searchParams.set('sqlite', 'legacy');
    url.searchParams.set(OLDER_BUILD_QUERY.name, OLDER_BUILD_QUERY.value);
  }
  return url;
}

interface RunningSite {
  site: SiteRecord;
  client: PlaygroundClient | undefined;
  connected: Promise<PlaygroundClient>;
  booted: Promise<PlaygroundClient>;
}

let sites: SiteRecord[] = [];
let running: RunningSite | undefined;

/** Boots `site` in a new viewport, replacing the one before (its worker and MEMFS go with it). */
function bootSite(site: SiteRecord): RunningSite {
  const area = document.querySelector('[data-viewport-area]');
  area?.replaceChildren();
  const iframe = document.createElement('iframe');
  // Older builds gave the viewport a class only.
  if (!olderBuild) {
    iframe.id = 'playground-viewport';
  }
  iframe.className = 'playground-viewport';
  iframe.title = 'WordPress Playground wrapper (a virtual machine running WordPress)';
  iframe.setAttribute('allow', 'clipboard-read; clipboard-write');
  area?.append(iframe);

  let resolveClient: (client: PlaygroundClient) => void = () => {};
  const connected = new Promise<PlaygroundClient>((resolve) => {
    resolveClient = resolve;
  });
  const saved = site.storage === 'opfs';
  const run: RunningSite = { site, client: undefined, connected, booted: connected };
  run.booted = startPlaygroundWeb({
    iframe,
    remoteUrl: remoteUrl().toString(),
    scope: site.slug,
    blueprint: {
      landingPage: '/wp-admin/',
      login: true,
      preferredVersions: { php: site.phpVersion, wp: wpVersion },
      features: { networking: false },
    },
    // A saved site boots from its OPFS directory, as on the real site.
    ...(saved
      ? {
          mounts: [
            { device: { type: 'opfs', path: opfsPathOf(site.slug) }, mountpoint: '/wordpress', initialSyncDirection: 'opfs-to-memfs' },
          ],
          wordpressInstallMode: 'install-from-existing-files-if-needed',
        }
      : {}),
    onClientConnected(client) {
      if (running !== run) {
        return;
      }
      run.client = client;
      pageGlobals.playground = client;
      resolveClient(client);
    },
  });
  run.booted.then(
    () => {
      setupPostMessageRelay(iframe, window.location.origin);
      setStatus('Ready');
    },
    (error: unknown) => {
      console.error('Playground failed to boot', error);
      setStatus('Boot failed');
    },
  );
  // Reported through isReady(); don't let it surface as an unhandled rejection too.
  run.booted.catch(() => {});
  running = run;
  showSite(site);
  setStatus('Preparing WordPress…');
  return run;
}

async function readyClient(): Promise<PlaygroundClient> {
  const run = running;
  if (!run) {
    throw new Error('No site is running');
  }
  const client = await Promise.race([run.connected, run.booted]);
  await client.isReady();
  return client;
}

const sitesApi: PlaygroundSitesApi = {
  list() {
    return sites.map((site) => ({
      slug: site.slug,
      name: site.name,
      storage: site.storage,
      persistence: 'explicit',
      isActive: site === running?.site,
    }));
  },
  getClient() {
    return running?.client;
  },
  /** Like the real site: waits for the active client, then its isReady(); rejects if boot failed. */
  async isReady() {
    await readyClient();
  },
  /** Saves the active temporary site: its `/wordpress` is mirrored to OPFS from now on, with its record. */
  async saveInBrowser() {
    const run = running;
    if (!run || run.site.storage !== 'temporary') {
      throw new Error('Only a temporary site can be saved');
    }
    const client = (await readyClient()) as PlaygroundClient & OpfsClient;
    await client.mountOpfs({
      device: { type: 'opfs', path: opfsPathOf(run.site.slug) },
      mountpoint: '/wordpress',
      initialSyncDirection: 'memfs-to-opfs',
    });
    const saved: SiteRecord = { ...run.site, storage: 'opfs' };
    await client.writeFile('/wordpress/wp-runtime.json', siteRecordJson(saved));
    await client.flushOpfs('/wordpress');
    sites = sites.map((site) => (site === run.site ? saved : site));
    run.site = saved;
    showSite(saved);
    showSlugInUrl(saved.slug);
  },
  /** Switches this tab to another site without reloading: a new client replaces the old one. */
  async setActiveSite(slug: string) {
    const current = running;
    if (current?.site.slug === slug) {
      return;
    }
    const stored = await listSavedSites();
    const target = stored.find((site) => site.slug === slug);
    if (!target) {
      throw new Error(`No saved site "${slug}"`);
    }
    if (current?.site.storage === 'opfs') {
      await (current.client as (PlaygroundClient & OpfsClient) | undefined)?.flushOpfs('/wordpress').catch(() => {});
    }
    // A temporary site lives only in the viewport it ran in: leaving it discards it.
    sites = [...stored, ...sites.filter((site) => site.storage === 'temporary' && site !== current?.site)];
    pageGlobals.playground = undefined;
    showSlugInUrl(slug);
    await bootSite(sites.find((site) => site.slug === slug)!).booted;
  },
};

async function start(): Promise<void> {
  const stored = await listSavedSites().catch(() => []);
  const requested = stored.find((site) => site.slug === query.get(SITE_SLUG_QUERY));
  const first = requested ?? newTemporarySite();
  sites = requested ? stored : [...stored, first];
  if (!requested) {
    showSlugInUrl(undefined);
  }
  bootSite(first);
  // Like the real site, the Sites API appears once its site list has loaded, shortly after first
  // paint, not synchronously with the page. An older release has no Sites API at all.
  if (!olderBuild) {
    requestAnimationFrame(() => {
      setTimeout(() => {
        pageGlobals.playgroundSites = sitesApi;
      }, 150);
    });
  }
}

void start();
