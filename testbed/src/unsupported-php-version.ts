/**
 * Stand-in for the PHP builds the testbed does not bundle (every version but PHP_VERSION):
 * @php-wasm/web imports each version dynamically, and bundling them all would weigh ~300 MB.
 */
export async function getPHPLoaderModule(): Promise<never> {
  throw new Error('This PHP version is not bundled in the offline stand-in (only 8.3 is).');
}

export async function getIntlExtensionPath(): Promise<never> {
  throw new Error('This PHP version is not bundled in the offline stand-in (only 8.3 is).');
}
