/**
 * The top frame of the offline stand-in for https://playground.wordpress.net/: boots one new
 * temporary site per page load through the published client (`startPlaygroundWeb`, as the real
 * website does) into `iframe.playground-viewport` (with id `playground-viewport` unless
 * `?build=older`) and exposes `window.playground` and the Sites
 * API subset `window.playgroundSites`.
 */
import { setupPostMessageRelay } from '@php-wasm/web';
import type { PlaygroundClient } from '@wp-playground/client';
import { startPlaygroundWeb } from '@wp-playground/client';
import { OLDER_BUILD_QUERY, PHP_VERSION, normalizeWpVersion } from './config';

interface SiteInfo {
  slug: string;
  name: string;
  storage: 'temporary';
  persistence: 'explicit';
  isActive: boolean;
}

interface PlaygroundSitesApi {
  list(): SiteInfo[];
  getClient(): PlaygroundClient | undefined;
  isReady(): Promise<void>;
}

/** The page globals the real website sets (no global type augmentation: the extension has its own). */
const pageGlobals = window as unknown as { playground?: PlaygroundClient; playgroundSites?: PlaygroundSitesApi };

const ADJECTIVES = ['Amber', 'Brave', 'Calm', 'Daring', 'Eager', 'Gentle', 'Happy', 'Lively', 'Quiet', 'Swift'];
const NOUNS = ['Falcon', 'Harbor', 'Lagoon', 'Meadow', 'Otter', 'Pine', 'River', 'Summit', 'Willow', 'Zephyr'];

function randomIndex(length: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % length;
}

/** A fresh site per page load; the slug carries a random suffix so two tabs never share a scope. */
function newTemporarySite(): { name: string; slug: string } {
  const name = `${ADJECTIVES[randomIndex(ADJECTIVES.length)]} ${NOUNS[randomIndex(NOUNS.length)]}`;
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 6);
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${suffix}`;
  return { name, slug };
}

const query = new URL(window.location.href).searchParams;
const site = newTemporarySite();
const wpVersion = normalizeWpVersion(query.get('wp'));
const olderBuild = query.get(OLDER_BUILD_QUERY.name) === OLDER_BUILD_QUERY.value;

const nameElement = document.querySelector<HTMLElement>('[data-site-name]');
const statusElement = document.querySelector<HTMLElement>('[data-site-status]');
if (nameElement) {
  nameElement.textContent = site.name;
}
const setStatus = (text: string) => {
  if (statusElement) {
    statusElement.textContent = text;
  }
};

let activeClient: PlaygroundClient | undefined;
let resolveClient: (client: PlaygroundClient) => void = () => {};
const clientConnected = new Promise<PlaygroundClient>((resolve) => {
  resolveClient = resolve;
});

const iframe = document.createElement('iframe');
// Older builds gave the viewport a class only.
if (!olderBuild) {
  iframe.id = 'playground-viewport';
}
iframe.className = 'playground-viewport';
iframe.title = 'WordPress Playground wrapper (a virtual machine running WordPress)';
iframe.setAttribute('allow', 'clipboard-read; clipboard-write');
document.querySelector('[data-viewport-area]')?.append(iframe);

/** remote.html with the stand-in's own switches that the PHP worker acts on. */
function remoteUrl(): URL {
  const url = new URL('/remote.html', window.location.origin);
  if (olderBuild) {
    url.searchParams.set('sqlite', 'legacy');
    url.searchParams.set(OLDER_BUILD_QUERY.name, OLDER_BUILD_QUERY.value);
  }
  return url;
}

const booted: Promise<PlaygroundClient> = startPlaygroundWeb({
  iframe,
  remoteUrl: remoteUrl().toString(),
  scope: site.slug,
  blueprint: {
    landingPage: '/wp-admin/',
    login: true,
    preferredVersions: { php: PHP_VERSION as '8.3', wp: wpVersion },
    features: { networking: false },
  },
  onClientConnected(client) {
    activeClient = client;
    pageGlobals.playground = client;
    resolveClient(client);
  },
});
booted.then(
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
booted.catch(() => {});

const sitesApi: PlaygroundSitesApi = {
  list() {
    return [{ slug: site.slug, name: site.name, storage: 'temporary', persistence: 'explicit', isActive: true }];
  },
  getClient() {
    return activeClient;
  },
  /** Like the real site: waits for the active client, then its isReady(); rejects if boot failed. */
  async isReady() {
    const client = await Promise.race([clientConnected, booted]);
    await client.isReady();
  },
};

// Like the real site, the Sites API appears shortly after first paint (once its site list has
// loaded), not synchronously with the page.
// An older release has no Sites API at all.
if (!olderBuild) {
  requestAnimationFrame(() => {
    setTimeout(() => {
      pageGlobals.playgroundSites = sitesApi;
    }, 150);
  });
}
