import { getURLScope } from '@php-wasm/scopes';
import * as v from 'valibot';
import type { BoundedRunClient } from '../platform/bounded-run';
import { runPhpScript } from '../platform/php-script';
import type { SiteClient } from '../platform/site-client';
import type { ClientSource, SiteInfo, StorageKind } from '../protocol/site';

const VersionsSchema = v.object({ wordpress: v.string(), php: v.string() });

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
  const versions = await runPhpScript(
    client,
    {
      what: 'site description',
      code: `<?php require ${JSON.stringify(versionFile)};
pgsync_answer( array( 'wordpress' => $wp_version, 'php' => PHP_VERSION ) );`,
    },
    VersionsSchema,
  );
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
