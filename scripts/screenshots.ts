/**
 * `npm run screenshots`: builds, then runs the popup's status journey in Chromium (the offline
 * stand-in) and saves each state of the popup to docs/screenshots/ (light, which the README shows) and
 * docs/screenshots/dark/.
 */
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const folder = resolve('docs/screenshots');
mkdirSync(resolve(folder, 'dark'), { recursive: true });
execSync('npm run --silent build:all', { stdio: 'inherit' });
execSync('npx vitest run --project e2e test/e2e/popup-status.test.ts', { stdio: 'inherit', env: { ...process.env, POPUP_SCREENSHOTS: folder } });
console.log(`Screenshots of the popup's states: ${folder}`);
