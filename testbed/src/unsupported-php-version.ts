/**
 * Stand-in for the PHP builds the testbed does not bundle (every version but SUPPORTED_PHP_VERSIONS):
 * @php-wasm/web imports each version dynamically, and bundling them all would weigh ~300 MB.
 */
import { SUPPORTED_PHP_VERSIONS } from './config';

const notBundled = `This PHP version is not bundled in the offline stand-in (only ${SUPPORTED_PHP_VERSIONS.join(', ')} are).`;

export async function getPHPLoaderModule(): Promise<never> {
  throw new Error(notBundled);
}

export async function getIntlExtensionPath(): Promise<never> {
  throw new Error(notBundled);
}
