import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveClient } from '../../src/bridge/serve-client';
import { connectRelay, type RelayedClient } from '../../src/bridge/relayed-client';
import { describeSite } from '../../src/site/describe-site';
import type { SiteClient } from '../../src/platform/site-client';
import { bootNodeSite, type NodeSite, type SqliteDriverId, type WordPressVersionId } from '../harness';

/**
 * The bridge's two halves (MAIN-world server, isolated-world relay) over a real MessageChannel,
 * in front of real WordPress: what the content script sees of a site is what the site holds.
 */

const COMBINATIONS: { driver: SqliteDriverId; wp: WordPressVersionId; wordpressVersion: RegExp }[] = [
  { driver: 'ast', wp: 'nightly', wordpressVersion: /^6\.7-alpha/ },
  { driver: 'legacy', wp: '6.5', wordpressVersion: /^6\.5\.5$/ },
];

function relayTo(currentClient: () => SiteClient | undefined) {
  const channel = new MessageChannel();
  serveClient(channel.port2, currentClient);
  const invalid: string[] = [];
  const relay = connectRelay(channel.port1, () => undefined, (error) => invalid.push(error));
  return { channel, relay, invalid, close: () => (channel.port1.close(), channel.port2.close()) };
}

describe.each(COMBINATIONS)('bridge relay to WordPress $wp on the $driver driver', ({ driver, wp, wordpressVersion }) => {
  let site: NodeSite;
  let relay: RelayedClient;
  let close: () => void;

  beforeAll(async () => {
    site = await bootNodeSite({ driver, wp, siteUrl: `https://playground.wordpress.net/scope:relay-${driver}/` });
    ({ relay, close } = relayTo(() => site.client));
  });
  afterAll(async () => {
    close?.();
    await site?.dispose();
  });

  it('describes the site from what the site itself reports', async () => {
    const info = await describeSite(relay, { source: 'playgroundSites', storage: 'temporary', name: '' });
    expect(info).toMatchObject({
      scope: `relay-${driver}`,
      siteUrl: await site.client.absoluteUrl,
      name: `relay-${driver}`,
      storage: 'temporary',
      clientSource: 'playgroundSites',
    });
    expect(info.wordpressVersion).toMatch(wordpressVersion);
    expect(info.phpVersion).toMatch(/^8\.3\.\d+$/);
  });

  it('carries bytes both ways unchanged', async () => {
    const bytes = new Uint8Array(256).map((_, index) => index);
    await relay.mkdir('/wordpress/wp-content/uploads/relay');
    await relay.writeFile('/wordpress/wp-content/uploads/relay/all-bytes.bin', bytes);
    expect(await site.client.readFileAsBuffer('/wordpress/wp-content/uploads/relay/all-bytes.bin')).toEqual(bytes);
    expect(await relay.readFileAsBuffer('/wordpress/wp-content/uploads/relay/all-bytes.bin')).toEqual(bytes);
    expect(await relay.listFiles('/wordpress/wp-content/uploads/relay')).toEqual(['all-bytes.bin']);
    await relay.mv('/wordpress/wp-content/uploads/relay/all-bytes.bin', '/wordpress/wp-content/uploads/relay/moved.bin');
    expect(await site.client.fileExists('/wordpress/wp-content/uploads/relay/moved.bin')).toBe(true);
    await relay.rmdir('/wordpress/wp-content/uploads/relay', { recursive: true });
    expect(await relay.isDir('/wordpress/wp-content/uploads/relay')).toBe(false);
  });

  it('runs PHP and answers page requests through the relay', async () => {
    const result = await relay.run({ code: '<?php echo strrev("cnys");' });
    expect(result.text).toBe('sync');
    expect(result.exitCode).toBe(0);
    await relay.writeFile('/wordpress/relay-probe.php', '<?php echo $_GET["x"] . "|" . $_SERVER["REQUEST_METHOD"];');
    const page = await relay.request({ url: '/relay-probe.php?x=42' });
    expect(page.httpStatusCode).toBe(200);
    expect(page.text).toBe('42|GET');
    await relay.unlink('/wordpress/relay-probe.php');
  });

  it('turns a PHP fatal into a rejected call with the reason', async () => {
    await expect(relay.run({ code: '<?php undefined_function_for_the_relay();' })).rejects.toThrow(
      /undefined_function_for_the_relay|exit code 255/,
    );
  });
});

describe('bridge relay refusals', () => {
  it('refuses members outside the allow-list and malformed requests, by id', async () => {
    const { channel, close } = relayTo(() => {
      throw new Error('the client must never be reached');
    });
    const answers: unknown[] = [];
    channel.port1.onmessage = (event) => answers.push(event.data);
    channel.port1.postMessage({ type: 'call', id: 7, method: 'constructor', args: [] });
    channel.port1.postMessage({ type: 'call', id: 8, method: 'run', args: 'not-a-list' });
    channel.port1.postMessage({ type: 'get', id: 9, property: 'scope; rm -rf' });
    await expect.poll(() => answers.length).toBe(3);
    close();
    expect(answers).toEqual([
      expect.objectContaining({ id: 7, ok: false, error: expect.stringMatching(/^Rejected bridge request: method: /) }),
      expect.objectContaining({ id: 8, ok: false, error: expect.stringMatching(/^Rejected bridge request: args: /) }),
      expect.objectContaining({ id: 9, ok: false, error: expect.stringMatching(/^Rejected bridge request: property: /) }),
    ]);
  });

  it('says so when the page has no client yet', async () => {
    const { relay, close } = relayTo(() => undefined);
    await expect(relay.documentRoot).rejects.toThrow('The Playground page has no client yet');
    close();
  });

  it('reports forged bridge messages instead of acting on them', async () => {
    const { channel, invalid, close } = relayTo(() => undefined);
    channel.port2.postMessage({ type: 'client', generation: 1, source: 'evil', storage: 'temporary', name: '' });
    await expect.poll(() => invalid.length).toBe(1);
    close();
    expect(invalid[0]).toMatch(/^Rejected bridge message: /);
  });
});
