import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** `npm run demo` / `npm test` on a machine as it comes: scripts/first-run.mjs in a project folder of its own. */
describe('first run (scripts/first-run.mjs)', () => {
  const launcher = resolve('scripts/first-run.mjs');
  let project: string;
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  function projectWith(dependencies: Record<string, string>, linkModules: boolean): string {
    project = mkdtempSync(join(tmpdir(), 'pgsync-first-run-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', devDependencies: dependencies }));
    writeFileSync(join(project, 'hello.ts'), "const who: string = process.argv[2] ?? 'nobody';\nconsole.log(`ran for ${who}`);\n");
    if (linkModules) symlinkSync(resolve('node_modules'), join(project, 'node_modules'), 'dir');
    return project;
  }
  const run = (cwd: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [launcher, 'hello.ts', 'the newcomer'], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

  it('runs the TypeScript script with its arguments when everything is there', () => {
    const result = run(projectWith({ tsx: '*' }, true), { PLAYGROUND_SYNC_CHROMIUM: process.execPath });
    expect(result.stdout).toContain('ran for the newcomer');
    expect(result.status).toBe(0);
  });

  it('stops with the one command to run when Chromium is missing, before running anything', () => {
    const result = run(projectWith({ tsx: '*' }, true), { PLAYGROUND_SYNC_CHROMIUM: '/nonexistent/chromium' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('sudo apt-get install -y chromium');
    expect(result.stdout).not.toContain('ran for');
  });

  it('installs the npm packages first when one is missing, and says what npm will warn about', () => {
    const dir = projectWith({ 'left-pad-that-is-not-installed': '1.0.0' }, false);
    mkdirSync(join(dir, 'node_modules'));
    // No lockfile here: `npm ci` refuses at once, offline; what matters is that it was run.
    const result = run(dir, { PLAYGROUND_SYNC_CHROMIUM: process.execPath, npm_config_offline: 'true' });
    expect(result.stdout).toContain('First run: installing the npm packages (1 missing, e.g. left-pad-that-is-not-installed) with npm ci');
    expect(result.stdout).toContain('EBADENGINE');
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('ran for');
  });
});
