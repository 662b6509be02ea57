/**
 * `npm run package`: builds the extension and writes the zip to upload to the Chrome Web Store
 * (release/playground-sync-<version>.zip). Load dist/ unpacked to try the same build first.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { storePackage } from './store-package';

execSync('npm run --silent build', { stdio: 'inherit' });
const { version } = JSON.parse(readFileSync('manifest.json', 'utf8')) as { version: string };
const { zip, files } = storePackage('dist');
mkdirSync('release', { recursive: true });
const out = resolve('release', `playground-sync-${version}.zip`);
writeFileSync(out, zip);
console.log(`\n${files.length} files, ${(zip.byteLength / 1024).toFixed(0)} KiB: ${out}`);
