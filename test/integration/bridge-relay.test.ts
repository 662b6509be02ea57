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

function relayTo(client: SiteClient | undefined) {
  const channel = new MessageChannel();
  const server = serveClient(channel.port2, client);
  const invalid: string[] = [];
  const relay = connectRelay(channel.port1, () => undefined, (error) => invalid.push(error));
  return { channel, server, relay, invalid, close: () => (channel.port1.close(), channel.port2.close()) };
}

describe.each(COMBINATIONS)('bridge relay to WordPress $wp on the $driver driver', ({ driver, wp, wordpressVersion }) => {
  let site: NodeSite;
  let relay: RelayedClient;
  let close: () => void;

  beforeAll(async () => {
    site = await bootNodeSite({ driver, wp, siteUrl: `https://playground.wordpress.net/scope:relay-${driver}/` });
    ({ relay, close } = relayTo(site.client));
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

describe('bridge relay streams', () => {
  let first: NodeSite;
  let second: NodeSite;

  beforeAll(async () => {
    first = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: 'https://playground.wordpress.net/scope:stream-1/' });
    second = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: 'https://playground.wordpress.net/scope:stream-2/' });
  });
  afterAll(async () => {
    await first?.dispose();
    await second?.dispose();
  });

  const post = (site: NodeSite, type: string) =>
    site.client.run({ code: `<?php post_message_to_js(json_encode(['type' => ${JSON.stringify(type)}]));` });

  it('forwards only Playground Sync messages, follows the page to its new client, and refuses calls meant for the old one', async () => {
    const { server, relay, close } = relayTo(first.client);
    const received: string[] = [];
    const stop = await relay.onMessage((data) => received.push(JSON.parse(data).type));

    await post(first, 'pg-sync/changes');
    await post(first, 'playground-url-change');
    await expect.poll(() => received).toEqual(['pg-sync/changes']);

    const generation = server.setClient(second.client);
    // A call still meant for the first client never reaches the second site.
    await expect(relay.run({ code: '<?php echo 1;' })).rejects.toThrow(/replaced its client \(call for client 1, the page runs client 2\)/);
    relay.useClient(generation);
    await post(first, 'pg-sync/from-the-old-client');
    await post(second, 'pg-sync/from-the-new-client');
    await expect.poll(() => received).toEqual(['pg-sync/changes', 'pg-sync/from-the-new-client']);

    await stop();
    await post(second, 'pg-sync/after-unsubscribe');
    await relay.run({ code: '<?php echo 1;' }); // a round trip: anything posted before it has arrived
    expect(received).toEqual(['pg-sync/changes', 'pg-sync/from-the-new-client']);
    close();
  });

  it("returns the content script's answer to PHP, and an empty one when it gives none", async () => {
    const { relay, close } = relayTo(first.client);
    const stop = await relay.onMessage(async (data) => (JSON.parse(data).type === 'pg-sync/ask' ? 'pg-sync/stored' : undefined));
    const ask = (type: string) =>
      first.client.run({ code: `<?php echo json_encode(post_message_to_js(json_encode(['type' => ${JSON.stringify(type)}])));` });
    expect(JSON.parse((await ask('pg-sync/ask')).text)).toBe('pg-sync/stored');
    expect(JSON.parse((await ask('pg-sync/other')).text)).toBeFalsy();
    await stop();
    close();
  });

  it('relays file journal events under the requested root', async () => {
    const { relay, close } = relayTo(first.client);
    const events: string[] = [];
    const unbind = await relay.journalFSEvents('/wordpress/wp-content/plugins/', (event) =>
      events.push(`${event.operation} ${event.path.replace('/wordpress/wp-content/plugins/', '')}`),
    );
    await first.client.run({
      code: `<?php
        mkdir('/wordpress/wp-content/plugins/streamed');
        file_put_contents('/wordpress/wp-content/plugins/streamed/a.php', '<?php // a');
        rename('/wordpress/wp-content/plugins/streamed/a.php', '/wordpress/wp-content/plugins/streamed/b.php');
        unlink('/wordpress/wp-content/plugins/streamed/b.php');
        file_put_contents('/wordpress/wp-content/uploads-outside-root.txt', 'x');`,
    });
    await expect.poll(() => events.includes('DELETE streamed/b.php')).toBe(true);
    expect(events).toEqual(
      expect.arrayContaining(['CREATE streamed', 'CREATE streamed/a.php', 'WRITE streamed/a.php', 'DELETE streamed/b.php']),
    );
    expect(events.some((event) => event.startsWith('RENAME streamed/a.php'))).toBe(true);
    expect(events.some((event) => event.includes('outside-root'))).toBe(false);
    await unbind();
    close();
  });
});

describe('bridge relay refusals', () => {
  it('refuses members outside the allow-list and malformed requests, by id', async () => {
    const { channel, close } = relayTo(undefined);
    const answers: unknown[] = [];
    channel.port1.onmessage = (event) => answers.push(event.data);
    channel.port1.postMessage({ type: 'call', id: 7, client: 1, method: 'constructor', args: [] });
    channel.port1.postMessage({ type: 'call', id: 8, client: 1, method: 'run', args: 'not-a-list' });
    channel.port1.postMessage({ type: 'get', id: 9, client: 1, property: 'scope; rm -rf' });
    await expect.poll(() => answers.length).toBe(3);
    close();
    expect(answers).toEqual([
      expect.objectContaining({ id: 7, ok: false, error: expect.stringMatching(/^Rejected bridge request: method: /) }),
      expect.objectContaining({ id: 8, ok: false, error: expect.stringMatching(/^Rejected bridge request: args: /) }),
      expect.objectContaining({ id: 9, ok: false, error: expect.stringMatching(/^Rejected bridge request: property: /) }),
    ]);
  });

  it('says so when the page has no client yet', async () => {
    const { relay, close } = relayTo(undefined);
    await expect(relay.documentRoot).rejects.toThrow('The Playground page has no client yet');
    close();
  });

  it('reports forged bridge messages instead of acting on them', async () => {
    const { channel, invalid, close } = relayTo(undefined);
    channel.port2.postMessage({ type: 'client', generation: 1, source: 'evil', storage: 'temporary', name: '' });
    await expect.poll(() => invalid.length).toBe(1);
    close();
    expect(invalid[0]).toMatch(/^Rejected bridge message: /);
  });
});
