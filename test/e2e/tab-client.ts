/**
 * The page's own Playground client, reached from a test or a script (no test runner needed: the
 * demo uses it too): run PHP, read a file, navigate, wait for OPFS. Read-back and navigation only;
 * the actions a user takes go through wp-admin (wp-admin.ts).
 */
import type { PlaygroundTab } from './browser';

/** The page's Playground client members used by tests and the demo (every call is async through Comlink). */
interface PageClient {
  goTo(path: string): Promise<void>;
  run(request: { code: string }): Promise<{ text: string; errors: string; exitCode: number }>;
  readFileAsBuffer(path: string): Promise<Uint8Array>;
}
type PageWindow = { playground?: PageClient; playgroundSites?: { getClient(): PageClient | undefined } };

/** Navigates the tab's WordPress frame to `path` (like typing a URL), without waiting for it to load. */
export async function goToInTab(tab: PlaygroundTab, path: string): Promise<void> {
  await tab.page.evaluate(async (target) => {
    const w = window as unknown as PageWindow;
    const client = w.playgroundSites?.getClient() ?? w.playground;
    if (!client) {
      throw new Error('No Playground client on the page.');
    }
    await client.goTo(target);
  }, path);
}

/** A file's bytes from the tab's site, e.g. `/wordpress/wp-content/uploads/2025/01/a.png`. */
export async function readFileFromTab(tab: PlaygroundTab, path: string): Promise<Uint8Array> {
  const bytes = await tab.page.evaluate(async (target) => {
    const w = window as unknown as PageWindow;
    const client = w.playgroundSites?.getClient() ?? w.playground;
    if (!client) {
      throw new Error('No Playground client on the page.');
    }
    return Array.from(await client.readFileAsBuffer(target));
  }, path);
  return new Uint8Array(bytes);
}

/** Waits until Playground has written the tab's saved site back to OPFS (it does so after each request, asynchronously). */
export async function savedToOpfs(tab: PlaygroundTab): Promise<void> {
  await tab.page.evaluate(async () => {
    const w = window as unknown as PageWindow;
    const client = (w.playgroundSites?.getClient() ?? w.playground) as unknown as { flushOpfs(mountpoint: string): Promise<void> } | undefined;
    if (!client) {
      throw new Error('No Playground client on the page.');
    }
    await client.flushOpfs('/wordpress');
  });
}

/** Runs PHP in the tab's site and returns its output (rejects on a fatal error). */
export async function runPhpInTab(tab: PlaygroundTab, code: string): Promise<string> {
  return tab.page.evaluate(async (php) => {
    const w = window as unknown as PageWindow;
    const client = w.playgroundSites?.getClient() ?? w.playground;
    if (!client) {
      throw new Error('No Playground client on the page.');
    }
    return (await client.run({ code: php })).text;
  }, code);
}

/** Runs PHP after loading WordPress and decodes what it echoes as JSON. */
export async function wpJson<T>(tab: PlaygroundTab, phpExpression: string): Promise<T> {
  const text = await runPhpInTab(tab, `<?php require '/wordpress/wp-load.php'; echo json_encode(${phpExpression});`);
  return JSON.parse(text) as T;
}
