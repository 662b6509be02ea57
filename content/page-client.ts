import type { SiteClient } from '../src/platform/site-client';
import type { ClientSource, StorageKind } from '../src/protocol/site';

/** The Sites API that current playground.wordpress.net builds put on the top window. */
interface PlaygroundSitesApi {
  isReady(): Promise<unknown>;
  getClient(): SiteClient | undefined;
  list(): SiteSummary[] | Promise<SiteSummary[]>;
}

interface SiteSummary {
  slug?: string;
  name?: string;
  storage?: string;
  isActive?: boolean;
}

interface PlaygroundWindow {
  playgroundSites?: PlaygroundSitesApi;
  playground?: SiteClient & { isReady?(): Promise<unknown> };
}

export interface AttachedClient {
  client: SiteClient;
  source: ClientSource;
  storage: StorageKind;
  name: string;
}

const POLL_MS = 250;

/**
 * Finds the page's own client and reports it whenever it changes (boot, site switch, reboot).
 * Feature-detects: `window.playgroundSites.getClient()` first, else the older `window.playground`.
 */
export function watchPageClient(
  win: Window,
  onAttach: (attached: AttachedClient) => void,
  onWaiting: (reason: string) => void,
): void {
  const page = win as unknown as PlaygroundWindow;
  let current: SiteClient | undefined;
  let checking = false;
  let lastWaitReason = '';

  const waiting = (reason: string) => {
    if (reason === lastWaitReason) return;
    lastWaitReason = reason;
    onWaiting(reason);
  };

  const check = async () => {
    const found = await findClient(page);
    if (!found) return waiting('Waiting for WordPress Playground to boot…');
    if (found.client === current) return;
    await (found.client as { isReady?(): Promise<unknown> }).isReady?.();
    current = found.client;
    lastWaitReason = '';
    onAttach(found);
  };

  const tick = () => {
    if (checking) return;
    checking = true;
    check()
      .catch((error: unknown) => waiting(`Playground failed to boot: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (checking = false));
  };
  tick();
  win.setInterval(tick, POLL_MS);
}

async function findClient(page: PlaygroundWindow): Promise<AttachedClient | undefined> {
  const sites = page.playgroundSites;
  if (sites && typeof sites.getClient === 'function') {
    await sites.isReady();
    const client = sites.getClient() ?? page.playground;
    if (!client) return undefined;
    const summaries = await sites.list();
    const active = summaries.find((site) => site.isActive) ?? summaries[0];
    return {
      client,
      source: 'playgroundSites',
      storage: toStorageKind(active?.storage),
      name: (active?.name ?? active?.slug ?? '').slice(0, 200),
    };
  }
  if (page.playground && typeof page.playground.run === 'function') {
    return { client: page.playground, source: 'playground', storage: 'unknown', name: '' };
  }
  return undefined;
}

function toStorageKind(storage: string | undefined): StorageKind {
  return storage === 'temporary' || storage === 'opfs' || storage === 'local-fs' ? storage : 'unknown';
}
