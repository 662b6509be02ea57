import { getURLScope } from '@php-wasm/scopes';
import { runBounded, type BoundedRunClient } from '../platform/bounded-run';
import type { SiteClient } from '../platform/site-client';
import type { ClientSource, SiteInfo, StorageKind } from '../protocol/site';

export interface PageFacts {
  source: ClientSource;
  storage: StorageKind;
  /** The name the Playground page shows for the site, when it has one. */
  name?: string;
}

/**
 * Reads what the popup shows about a site: its scope and URL from the client, its WordPress and
 * PHP versions from the site itself (older clients lack `loadedWordPressVersion`).
 */
export async function describeSite(
  client: BoundedRunClient & Pick<SiteClient, 'absoluteUrl' | 'documentRoot'>,
  page: PageFacts,
): Promise<SiteInfo> {
  const [siteUrl, documentRoot] = await Promise.all([client.absoluteUrl, client.documentRoot]);
  const scope = getURLScope(new URL(siteUrl));
  if (!scope) throw new Error(`The site URL ${siteUrl} has no /scope:<slug>/ segment`);
  const versionFile = `${documentRoot}/wp-includes/version.php`;
  const response = await runBounded(client, {
    code: `<?php require ${JSON.stringify(versionFile)};
echo json_encode(['wordpress' => $wp_version, 'php' => PHP_VERSION]);`,
  });
  if (response.exitCode !== 0 || response.errors) {
    throw new Error(`Could not read the site's versions: ${response.errors || `PHP exit code ${response.exitCode}`}`);
  }
  const versions = JSON.parse(response.text) as { wordpress: string; php: string };
  return {
    scope,
    siteUrl,
    name: page.name || scope,
    wordpressVersion: versions.wordpress,
    phpVersion: versions.php,
    storage: page.storage,
    clientSource: page.source,
  };
}
