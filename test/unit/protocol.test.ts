import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage } from '../../src/protocol/validate';
import { TabToBackgroundSchema } from '../../src/protocol/runtime';
import { BridgeHandshakeSchema, ContentToBridgeSchema } from '../../src/protocol/bridge';

const goodSite = {
  scope: 'abc-123',
  siteUrl: 'https://playground.wordpress.net/scope:abc-123/',
  name: 'My site',
  wordpressVersion: '6.5.5',
  phpVersion: '8.3.14',
  storage: 'temporary',
  clientSource: 'playgroundSites',
};

describe('boundary messages', () => {
  it('accepts a well-formed tab report', () => {
    const report = { type: 'tab/site', site: goodSite, document: { id: 'f3b0c2d4-0000-4000-8000-000000000001', client: 1 } };
    expect(parseMessage(TabToBackgroundSchema, report, 'tab report')).toEqual({ ok: true, value: report });
  });

  it.each([
    ['an unknown type', { type: 'tab/pair', site: goodSite }, 'type'],
    ['a missing field', { type: 'tab/site', site: { ...goodSite, scope: undefined } }, 'site.scope'],
    ['a wrong type', { type: 'tab/site', site: { ...goodSite, phpVersion: 8 } }, 'site.phpVersion'],
    ['an extra field', { type: 'tab/site', site: goodSite, document: { id: 'd-1', client: 1 }, sql: 'DROP TABLE wp_posts' }, 'sql'],
    ['an oversized value', { type: 'tab/site', site: { ...goodSite, name: 'x'.repeat(10_000) } }, 'site.name'],
    ['a forged scope', { type: 'tab/site', site: { ...goodSite, scope: '../../etc' } }, 'site.scope'],
    ['a non-object', 'tab/site', ''],
    ['a site report without its document', { type: 'tab/site', site: goodSite }, 'document'],
    ['a forged document id', { type: 'tab/site', site: goodSite, document: { id: '__proto__', client: 1 } }, 'document.id'],
  ])('rejects %s with a readable reason', (_, input, path) => {
    const parsed = parseMessage(TabToBackgroundSchema, input, 'tab report');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(/^Rejected tab report: /);
      if (path) expect(parsed.error).toContain(`${path}: `);
    }
  });

  it('lets the bridge run only allow-listed client members', () => {
    const call = (method: string) =>
      parseMessage(ContentToBridgeSchema, { type: 'call', id: 1, client: 1, method, args: [] }, 'bridge request').ok;
    expect(call('run')).toBe(true);
    expect(call('readFileAsBuffer')).toBe(true);
    expect(call('constructor')).toBe(false);
    expect(call('__proto__')).toBe(false);
    expect(call('setIframeSandboxFlags')).toBe(false);
  });

  it('accepts only a well-formed handshake', () => {
    const nonce = 'a'.repeat(32);
    expect(parseMessage(BridgeHandshakeSchema, { type: 'playground-sync/bridge-handshake', nonce }, 'h').ok).toBe(true);
    expect(parseMessage(BridgeHandshakeSchema, { type: 'playground-sync/bridge-handshake', nonce: 'x' }, 'h').ok).toBe(
      false,
    );
  });
});

describe('src/protocol', () => {
  it('is a leaf: its modules import valibot and each other, nothing else of the extension', () => {
    const folder = 'src/protocol';
    const imports = readdirSync(folder)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) => [...readFileSync(join(folder, name), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => `${name}: ${match[1]}`));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((line) => !/: (valibot|\.\/[\w-]+)$/.test(line))).toEqual([]);
  });
});
