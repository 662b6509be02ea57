/** The only origin Playground Sync attaches to (also in manifest.json's matches). */
export const PLAYGROUND_ORIGIN = 'https://playground.wordpress.net';

export function isPlaygroundUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return new URL(url).origin === PLAYGROUND_ORIGIN;
  } catch {
    return false;
  }
}
