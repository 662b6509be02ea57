import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { storePackage } from '../../scripts/store-package';

describe('storePackage (npm run package)', () => {
  let dist: string;
  const write = (name: string, text: string) => {
    mkdirSync(join(dist, name, '..'), { recursive: true });
    writeFileSync(join(dist, name), text);
  };
  const manifest = { manifest_version: 3, name: 'X', version: '1.2.3', key: 'MIIB…', icons: { 16: 'icons/16.png' }, action: { default_popup: 'popup/index.html' }, background: { service_worker: 'sw.js' } };
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  it('zips the build without source maps, Vite records or the development key', () => {
    dist = mkdtempSync(join(tmpdir(), 'pgsync-dist-'));
    write('manifest.json', JSON.stringify(manifest));
    write('icons/16.png', 'png');
    write('popup/index.html', '<html>');
    write('sw.js', 'import "./assets/a.js"');
    write('assets/a.js', '1');
    write('assets/a.js.map', '{}');
    write('.vite/manifest.json', '{}');
    const { zip, files } = storePackage(dist);
    expect(files).toEqual(['assets/a.js', 'icons/16.png', 'manifest.json', 'popup/index.html', 'sw.js']);
    const unzipped = unzipSync(zip);
    expect(Object.keys(unzipped).sort()).toEqual(files);
    const packed = JSON.parse(strFromU8(unzipped['manifest.json']!)) as Record<string, unknown>;
    expect(packed.key).toBeUndefined();
    expect(packed).toMatchObject({ name: 'X', version: '1.2.3' });
  });

  it('refuses a build missing a file its manifest names', () => {
    dist = mkdtempSync(join(tmpdir(), 'pgsync-dist-'));
    write('manifest.json', JSON.stringify(manifest));
    write('sw.js', '');
    expect(() => storePackage(dist)).toThrow('The manifest names files the build did not make: icons/16.png, popup/index.html');
  });
});
