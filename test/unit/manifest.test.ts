import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ICON_SIZES, ICON_TILES, iconFile, type IconState } from '../../src/pairing/icon';

/** What the extension asks of the browser and shows in the store, as a reviewer reads it. */
const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as {
  version: string;
  permissions: string[];
  host_permissions: string[];
  icons: Record<string, string>;
  action: { default_icon: Record<string, string> };
};

/** Width and height from a PNG's header (IHDR follows the 8-byte signature and the chunk's length and type). */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${path} is a PNG`).toBe(true);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('manifest', () => {
  it('asks for storage and Playground pages only: no "tabs" (its "Read your browsing history" warning), nothing broader', () => {
    expect(manifest.permissions).toEqual(['storage']);
    expect(manifest.host_permissions).toEqual(['https://playground.wordpress.net/*']);
  });

  it('carries the package version (the store zip is named after it)', () => {
    expect(manifest.version).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('names an icon of each size Chrome asks for, and every icon state exists at every size', () => {
    expect(Object.keys(manifest.icons).map(Number)).toEqual([...ICON_SIZES]);
    for (const [size, path] of Object.entries(manifest.icons)) expect(pngSize(path)).toEqual({ width: Number(size), height: Number(size) });
    for (const [size, path] of Object.entries(manifest.action.default_icon)) expect(pngSize(path)).toEqual({ width: Number(size), height: Number(size) });
    for (const state of Object.keys(ICON_TILES) as IconState[]) {
      for (const size of ICON_SIZES) expect(pngSize(iconFile(state, size))).toEqual({ width: size, height: size });
    }
  });
});
