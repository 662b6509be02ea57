#!/usr/bin/env node
/**
 * `npm run demo`, `npm test`, `npm run package` start here, in plain Node (nothing installed yet
 * on a fresh clone): installs the npm packages when any is missing, stops with the one command to
 * run when Chromium is missing, then runs the TypeScript script named as the first argument.
 *
 *   node scripts/first-run.mjs scripts/demo.ts [--online]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Debian's Chromium, which Playwright drives (tests may point elsewhere to see what a machine without it gets).
const CHROMIUM = process.env.PLAYGROUND_SYNC_CHROMIUM ?? '/usr/bin/chromium';
const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('Usage: node scripts/first-run.mjs <script.ts> [arguments]');
  process.exit(2);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Playground Sync needs Node 20.19 or newer; this is Node ${process.versions.node}.`);
  process.exit(1);
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const missing = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !existsSync(join('node_modules', name, 'package.json')));
if (missing.length > 0) {
  console.log(`First run: installing the npm packages (${missing.length} missing, e.g. ${missing.slice(0, 3).join(', ')}) with npm ci …`);
  console.log(
    'npm may warn "EBADENGINE" for @php-wasm/xdebug-bridge, @php-wasm/cli-util and @wp-playground/tools (they want Node 24):\n' +
      'they come with @wp-playground/cli, of which Playground Sync only takes the SQLite plugin zip; none of them runs.',
  );
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

if (!existsSync(CHROMIUM)) {
  console.error(
    `Chromium is missing (${CHROMIUM}). Install Debian's package, then run this again:\n\n` +
      '  sudo apt-get install -y chromium\n\n' +
      'The tests and the demo drive that Chromium; they never download a browser.',
  );
  process.exit(1);
}

const run = spawnSync(join('node_modules', '.bin', 'tsx'), [script, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
