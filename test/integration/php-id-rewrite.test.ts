import type { PHP } from '@php-wasm/universal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID_REWRITE_FUNCTION, ID_REWRITE_PHP } from '../../src/ids/id-rewrite';
import { URL_REWRITE_PHP } from '../../src/sync/url-rewrite';
import { bootBarePhp, serializePhp as ser } from '../harness';
import { VALUE_SCRIPT_INPUT, VALUE_SCRIPT_OUTPUT, runValueScript, type ScriptInput, type ScriptValue } from '../harness/php-value-script';

/**
 * The rewriter of reclaimed high IDs against real PHP (bare php-wasm), on the oldest PHP
 * Playground offers and on the default one: every kind of reference docs/ids.md lists, and the
 * numbers it must leave alone. Strings travel base64 so every byte is compared.
 */

const MAP = { 1000000003: 36, 1000000004: 37, 1100000001: 38 };

const RUNNER = `<?php
require_once '/sync/id-rewrite.php';
${VALUE_SCRIPT_INPUT}
$out = ${ID_REWRITE_FUNCTION}($value, $in['map']);
${VALUE_SCRIPT_OUTPUT}
`;

describe.each(['7.4', '8.3'] as const)('playground_sync_renumber_value on PHP %s', (version) => {
  let php: PHP;

  beforeAll(async () => {
    php = await bootBarePhp(version);
    php.mkdir('/sync');
    php.writeFile('/sync/url-rewrite.php', URL_REWRITE_PHP);
    php.writeFile('/sync/id-rewrite.php', ID_REWRITE_PHP);
    php.writeFile('/sync/run.php', RUNNER);
  });

  afterAll(() => {
    php?.exit();
  });

  const rewrite = (value: ScriptInput, map: object = MAP): Promise<ScriptValue> => runValueScript(php, value, { map });


  const rewritten = async (value: string, map: object = MAP) => (await rewrite(value, map)).text;

  describe('integer columns and numbers alone', () => {
    it('maps an integer equal to a high ID, and leaves every other value as it is', async () => {
      expect((await rewrite(1000000003)).value).toBe(36);
      expect((await rewrite(1100000001)).value).toBe(38);
      expect((await rewrite(1000000005)).value).toBe(1000000005);
      expect((await rewrite(36)).value).toBe(36);
      expect((await rewrite(1000000003.5)).value).toBe(1000000003.5);
      expect((await rewrite(null)).type).toBe('NULL');
      expect((await rewrite(true)).value).toBe(true);
    });

    it('maps a numeric string (a meta value such as _thumbnail_id, an option such as page_on_front)', async () => {
      expect(await rewritten('1000000003')).toBe('36');
      expect(await rewritten('1000000004')).toBe('37');
    });

    it('leaves numbers that only contain a high ID, or spell it otherwise', async () => {
      for (const other of ['10000000031', '21000000003', '01000000003', '1000000003000', 'x1000000003', 'a1000000003f']) {
        expect(await rewritten(other)).toBe(other);
      }
      expect(await rewritten('1,000,000,003 and 1000000003.')).toBe('1,000,000,003 and 36.');
    });

    it('leaves everything alone with an empty map', async () => {
      expect(await rewritten('1000000003', {})).toBe('1000000003');
      expect((await rewrite(1000000003, {})).value).toBe(1000000003);
    });
  });

  describe('post content', () => {
    it('rewrites an image block: its attributes, its class and its attachment link', async () => {
      const image = (id: string) =>
        `<!-- wp:image {"id":${id},"sizeSlug":"large","linkDestination":"attachment"} -->\n` +
        `<figure class="wp-block-image size-large"><a href="https://example.test/?attachment_id=${id}">` +
        `<img src="https://example.test/wp-content/uploads/2026/12/photo-1000000003x.jpg" alt="" class="wp-image-${id}"/></a></figure>\n` +
        '<!-- /wp:image -->';
      // The file name's "1000000003x" is not an ID standing alone (a letter follows): kept.
      expect(await rewritten(image('1000000003'))).toBe(image('36').replace('photo-36x', 'photo-1000000003x'));
    });

    it('rewrites a gallery shortcode, a gallery block and a reusable block reference', async () => {
      expect(await rewritten('[gallery ids="1000000003,1000000004,12" columns="3"]')).toBe('[gallery ids="36,37,12" columns="3"]');
      expect(await rewritten('<!-- wp:gallery {"ids":[1000000003,1000000004]} -->')).toBe('<!-- wp:gallery {"ids":[36,37]} -->');
      expect(await rewritten('<!-- wp:block {"ref":1100000001} /-->')).toBe('<!-- wp:block {"ref":38} /-->');
    });

    it('rewrites links by ID: ?p=, ?page_id=, ?attachment_id=, in plain and encoded URLs', async () => {
      const links = (a: string, b: string, c: string) =>
        `<a href="/?p=${a}">x</a> <a href="/?page_id=${b}#top">y</a> <a href="/wp-admin/post.php?post=${c}&amp;action=edit">z</a> ` +
        `https%3A%2F%2Fexample.test%2F%3Fattachment_id%3D${a}`;
      expect(await rewritten(links('1000000003', '1000000004', '1100000001'))).toBe(links('36', '37', '38'));
    });
  });

  describe('PHP-serialized values', () => {
    it('rewrites integers, array keys and numeric strings, and keeps every length right', async () => {
      const widget = (attachment: number, text: string) =>
        ser({ 2: { attachment_id: attachment, url: `https://example.test/?attachment_id=${text}`, link_id: text }, _multiwidget: 1 });
      const result = await rewrite(widget(1000000003, '1000000003'));
      expect(result.text).toBe(widget(36, '36'));
      expect(result.unserializes).toBe(true);
      // An array keyed by post ID (as `i:` keys, as PHP writes them).
      expect(await rewritten('a:2:{i:1000000004;s:1:"x";i:1000000003;b:1;}')).toBe('a:2:{i:37;s:1:"x";i:36;b:1;}');
    });

    it('rewrites serialized data nested in a serialized string, and JSON in a serialized string', async () => {
      const nested = (id: number) => ser({ inner: ser([id, String(id)]), json: JSON.stringify({ id, ids: [id] }) });
      const result = await rewrite(nested(1000000003));
      expect(result.text).toBe(nested(36));
      expect(result.unserializes).toBe(true);
    });

    it('rewrites inside serialized objects byte for byte, without loading their class', async () => {
      const object = (id: string) =>
        `O:8:"WP_Thing":2:{s:2:"id";i:${id};s:4:"note";s:${id.length + 5}:"post ${id}";}`;
      const result = await rewrite(object('1000000003'));
      expect(result.text).toBe(object('36'));
      expect(result.unserializes).toBe(true);
    });

    it('keeps floats, negative numbers and lengths that equal no ID', async () => {
      const input = 'a:3:{i:0;d:1000000003;i:1;i:-1000000003;i:2;s:10:"abcdefghij";}';
      expect(await rewritten(input)).toBe(input);
    });

    it('treats text that only starts like serialized data as text', async () => {
      expect(await rewritten('i:1000000003 is not serialized')).toBe('i:36 is not serialized');
    });
  });

  describe('JSON', () => {
    it('rewrites numbers and strings, and serialized data inside a string with its length made right', async () => {
      // As PHP's json_encode() writes it: slashes escaped.
      const json = (id: number) =>
        `{"id":${id},"ids":[${id},5],"s":"${id}","url":"https:\\/\\/example.test\\/?p=${id}","meta":${JSON.stringify(ser({ post: id }))}}`;
      const result = await rewritten(json(1000000003));
      expect(result).toBe(json(36));
      const meta = (JSON.parse(result) as { meta: string }).meta;
      expect(meta).toBe(ser({ post: 36 }));
    });

    it('keeps the literals it does not change byte for byte (escapes included)', async () => {
      const input = '{"title":"caf\\u00e9 \\/ 1000000005","id":1000000004}';
      expect(await rewritten(input)).toBe('{"title":"caf\\u00e9 \\/ 1000000005","id":37}');
    });
  });

  it('rewrites the IDs in bytes that are not UTF-8, keeping the rest', async () => {
    const input = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(' 1000000003 '), Buffer.from([0xc3])]);
    const result = await rewrite(input);
    expect(result.raw).toEqual(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(' 36 '), Buffer.from([0xc3])]));
  });

  it('maps IDs of different lengths in one pass (a 64-bit site’s range next to a 10-digit one)', async () => {
    const map = { 1000000003: 36, 12300000000001: 39 };
    expect(await rewritten('1000000003 12300000000001 1230000000000', map)).toBe('36 39 1230000000000');
  });
});
