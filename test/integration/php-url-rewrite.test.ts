import type { PHP } from '@php-wasm/universal';
import { bootBarePhp, serializePhp } from '../harness';
import { VALUE_SCRIPT_INPUT, VALUE_SCRIPT_OUTPUT, runValueScript, type ScriptValue } from '../harness/php-value-script';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { URL_REWRITE_FUNCTION, URL_REWRITE_PHP } from '../../src/sync/url-rewrite';

/**
 * The receiver-side URL rewriter against real PHP (bare php-wasm, no WordPress), on the oldest
 * PHP Playground offers and on the default one. Values go in and out through files, base64 for
 * strings so every byte is compared.
 */

const SRC = 'https://playground.wordpress.net/scope:alpha-site';
const DST = 'https://playground.wordpress.net/scope:b';
const OTHER_HOST = 'http://127.0.0.1:5400/scope:zz';

const json = (url: string) => url.replaceAll('/', '\\/');
const enc = (url: string) => encodeURIComponent(url);
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

const ser = serializePhp;

const RUNNER = `<?php
require_once '/sync/url-rewrite.php';
${VALUE_SCRIPT_INPUT}
try {
	$out = ${URL_REWRITE_FUNCTION}($value, $in['from'], $in['to']);
} catch (Throwable $e) {
	echo json_encode(array('error' => get_class($e) . ': ' . $e->getMessage()));
	return;
}
${VALUE_SCRIPT_OUTPUT}
`;

describe.each(['7.4', '8.3'] as const)('playground_sync_rewrite_value on PHP %s', (version) => {
  let php: PHP;

  beforeAll(async () => {
    php = await bootBarePhp(version);
    php.mkdir('/sync');
    php.writeFile('/sync/url-rewrite.php', URL_REWRITE_PHP);
    php.writeFile('/sync/run.php', RUNNER);
  });

  afterAll(() => {
    php?.exit();
  });

  const rewrite = (value: string | Uint8Array | number | null, from = SRC, to = DST, allowed: false | string[] = false): Promise<ScriptValue> =>
    runValueScript(php, value, { from, to, allowed });


  const rewritten = async (value: string, from = SRC, to = DST) => (await rewrite(value, from, to)).text;

  describe('plain text', () => {
    it('replaces the site URL', async () => {
      expect(await rewritten(`<a href="${SRC}/2024/hello/">Hello</a>`)).toBe(`<a href="${DST}/2024/hello/">Hello</a>`);
    });

    it('replaces every occurrence, at the start, middle and end', async () => {
      const input = `${SRC} and ${SRC}/a?x=${SRC}/b#${SRC}`;
      expect(await rewritten(input)).toBe(`${DST} and ${DST}/a?x=${DST}/b#${DST}`);
    });

    it('ignores trailing slashes on the given URLs', async () => {
      const input = `<img src="${SRC}/wp-content/a.png">`;
      const expected = `<img src="${DST}/wp-content/a.png">`;
      expect(await rewritten(input, `${SRC}/`, DST)).toBe(expected);
      expect(await rewritten(input, SRC, `${DST}/`)).toBe(expected);
      expect(await rewritten(input, `${SRC}//`, `${DST}/`)).toBe(expected);
    });

    it('rewrites a URL ending a sentence', async () => {
      expect(await rewritten(`Visit ${SRC}. Or ${SRC}, or (${SRC}).`)).toBe(`Visit ${DST}. Or ${DST}, or (${DST}).`);
    });

    it('rewrites longer to shorter and shorter to longer', async () => {
      const template = (url: string) => `<p>${url}/a</p><p>${url}/b</p>`;
      expect(await rewritten(template(SRC), SRC, DST)).toBe(template(DST));
      expect(await rewritten(template(DST), DST, SRC)).toBe(template(SRC));
    });

    it('rewrites scheme-relative and other-scheme spellings, mapping the scheme only when it matches', async () => {
      const host = SRC.slice('https:'.length);
      expect(await rewritten(`<script src="${host}/x.js">`)).toBe(`<script src="${DST.slice(6)}/x.js">`);
      expect(await rewritten('http://playground.wordpress.net/scope:alpha-site/')).toBe(
        'http://playground.wordpress.net/scope:b/',
      );
      expect(await rewritten(`${SRC}/x ${host}/y`, SRC, OTHER_HOST)).toBe(`${OTHER_HOST}/x //127.0.0.1:5400/scope:zz/y`);
      expect(await rewritten(`${OTHER_HOST}/x`, OTHER_HOST, SRC)).toBe(`${SRC}/x`);
    });

    it('rewrites root-relative paths of the scope in every spelling', async () => {
      const input = [
        '<a href="/scope:alpha-site/wp-admin/">',
        'url(/scope:alpha-site/style.css)',
        '{"href":"\\/scope:alpha-site\\/x"}',
        'wp-login.php?redirect_to=%2Fscope%3Aalpha-site%2Fwp-admin%2F',
        '/scope:alpha-site',
      ].join('\n');
      const expected = [
        '<a href="/scope:b/wp-admin/">',
        'url(/scope:b/style.css)',
        '{"href":"\\/scope:b\\/x"}',
        'wp-login.php?redirect_to=%2Fscope%3Ab%2Fwp-admin%2F',
        '/scope:b',
      ].join('\n');
      expect(await rewritten(input)).toBe(expected);
    });

    it.each([
      ['another scope with a longer slug', 'https://playground.wordpress.net/scope:alpha-site-2/x'],
      ['another scope sharing the prefix', 'https://playground.wordpress.net/scope:alpha-sitex'],
      ['another scope with a dot', 'https://playground.wordpress.net/scope:alpha-site.b/'],
      ['a genuine Playground link', 'https://playground.wordpress.net/ https://playground.wordpress.net/?blueprint-url=x'],
      ['the scope path on another host', 'https://example.com/scope:alpha-site/ https:\\/\\/example.com\\/scope:alpha-site'],
      ['the scope deeper in a path', 'wp-content/uploads/scope:alpha-site/a.png and ../scope:alpha-site/'],
      ['an encoded URL of another host', 'https%3A%2F%2Fexample.com%2Fscope%3Aalpha-site%2F'],
      ['a root-relative path of another scope', '<a href="/scope:alpha-site2/">'],
    ])('leaves %s alone', async (_, input) => {
      const result = await rewrite(input);
      expect(result.text).toBe(input);
    });

    it('rewrites JSON-escaped URLs inside non-JSON text (block markup)', async () => {
      const block = (url: string) =>
        `<!-- wp:image {"id":5,"url":"${json(url)}\\/wp-content\\/uploads\\/a.png"} -->\n` +
        `<figure><img src="${url}/wp-content/uploads/a.png"/></figure>`;
      expect(await rewritten(block(SRC))).toBe(block(DST));
    });

    it('rewrites URL-encoded URLs, either hex case', async () => {
      const upper = `wp-login.php?redirect_to=${enc(`${SRC}/wp-admin/`)}&reauth=1`;
      expect(await rewritten(upper)).toBe(`wp-login.php?redirect_to=${enc(`${DST}/wp-admin/`)}&reauth=1`);
      // The scheme separator is kept as written; the site part is written upper-case.
      const lower = `?u=${enc(SRC).toLowerCase()}%2f`;
      expect(await rewritten(lower)).toBe(`?u=https%3a${enc(DST.slice('https:'.length))}%2f`);
    });

    it('works for sites without a scope path, respecting the port', async () => {
      const from = 'http://localhost:8881';
      const to = 'http://localhost:9000';
      const input = `${from}/wp-admin ${from} http://localhost:88810/x ${json(from)}\\/x ${enc(from)}`;
      const expected = `${to}/wp-admin ${to} http://localhost:88810/x ${json(to)}\\/x ${enc(to)}`;
      expect(await rewritten(input, from, to)).toBe(expected);
    });

    it('handles many occurrences in a large value', async () => {
      const chunk = `<p><a href="${SRC}/post/">link</a> ${'lorem ipsum '.repeat(10)}</p>\n`;
      const result = await rewritten(chunk.repeat(2_000));
      expect(result).toBe(chunk.replaceAll(SRC, DST).repeat(2_000));
    });
  });

  describe('PHP-serialized values', () => {
    it('fixes the length of a serialized string', async () => {
      const result = await rewrite(ser(`${SRC}/x`));
      expect(result.text).toBe(ser(`${DST}/x`));
      expect(result.unserializes).toBe(true);
      expect(result.data).toBe(`${DST}/x`);
    });

    it('rewrites keys and values of arrays and nested arrays, shorter and longer', async () => {
      const shape = (url: string) => ({
        home: url,
        [`${url}/key`]: 1,
        list: [url, 'other', 7, null, true],
        nested: { deeper: { deepest: [`${url}/a`, { link: `<a href="${url}/b">b</a>` }] } },
      });
      for (const [from, to] of [
        [SRC, DST],
        [DST, SRC],
      ] as const) {
        const result = await rewrite(ser(shape(from)), from, to);
        expect(result.text).toBe(ser(shape(to)));
        expect(result.unserializes).toBe(true);
        expect(result.data).toEqual(shape(to));
      }
    });

    it('keeps floats, booleans and integer keys as they were', async () => {
      const input = `a:4:{i:0;d:0.1;i:5;b:0;s:1:"u";s:${bytes(SRC)}:"${SRC}";i:-3;d:-1.5E-7;}`;
      const result = await rewrite(input);
      expect(result.text).toBe(`a:4:{i:0;d:0.1;i:5;b:0;s:1:"u";s:${bytes(DST)}:"${DST}";i:-3;d:-1.5E-7;}`);
      expect(result.unserializes).toBe(true);
    });

    it('fixes lengths inside serialized objects without instantiating them', async () => {
      const object = (url: string) =>
        `O:8:"stdClass":3:{s:3:"url";${ser(`${url}/x`)}s:4:"list";${ser([url])}s:9:"\0Foo\0priv";${ser(url)}}`;
      const result = await rewrite(object(SRC));
      expect(result.text).toBe(object(DST));
      expect(result.unserializes).toBe(true);
      expect(result.data).toMatchObject({ __object: true, url: `${DST}/x`, list: [DST], '\0Foo\0priv': DST });
    });

    it('fixes lengths in objects nested in arrays, and in a class the site does not have', async () => {
      const value = (url: string) =>
        `a:2:{s:6:"widget";O:13:"WP_Widget_Foo":1:{s:4:"href";${ser(url)}}s:5:"plain";${ser(`${url}/p`)}}`;
      const result = await rewrite(value(SRC), SRC, OTHER_HOST);
      expect(result.text).toBe(value(OTHER_HOST));
      expect(result.unserializes).toBe(true);
    });

    it('fixes lengths inside custom-serialized (C:) objects', async () => {
      const inner = (url: string) => `x:i:0;${ser({ url: `${url}/x` })};m:a:0:{}`;
      const object = (url: string) => `C:11:"ArrayObject":${bytes(inner(url))}:{${inner(url)}}`;
      const result = await rewrite(object(SRC), SRC, DST, ['ArrayObject']);
      expect(result.text).toBe(object(DST));
      expect(result.unserializes).toBe(true);
    });

    it('keeps references and enums as written', async () => {
      const refs = (url: string) => `a:3:{i:0;${ser(url)}i:1;R:2;i:2;R:2;}`;
      const result = await rewrite(refs(SRC));
      expect(result.text).toBe(refs(DST));
      expect(result.unserializes).toBe(true);
      const enums = (url: string) => `a:2:{i:0;E:7:"Foo:Bar";i:1;${ser(url)}}`;
      expect((await rewrite(enums(SRC))).text).toBe(enums(DST));
    });

    it('handles serialized data nested in serialized strings, level by level', async () => {
      const twice = (url: string) => ser(ser({ url, deeper: ser([url]) }));
      const result = await rewrite(twice(SRC));
      expect(result.text).toBe(twice(DST));
      expect(result.unserializes).toBe(true);
      expect(result.data).toBe(ser({ url: DST, deeper: ser([DST]) }));
    });

    it('handles a serialized object whose property holds serialized data', async () => {
      const object = (url: string) => `O:3:"Foo":1:{s:4:"data";${ser(ser({ url }))}}`;
      expect((await rewrite(object(SRC))).text).toBe(object(DST));
    });

    it('rewrites JSON inside a serialized string, keeping the JSON style', async () => {
      const value = (url: string) => ser({ settings: `{"logo":"${json(url)}\\/logo.png","n":1}` });
      const result = await rewrite(value(SRC));
      expect(result.text).toBe(value(DST));
      expect(result.unserializes).toBe(true);
    });

    it('keeps binary string payloads byte for byte while fixing the others', async () => {
      const binary = Buffer.from([0xff, 0xfe, 0x00, 0x22, 0x3b, 0x80]);
      const build = (url: string) =>
        Buffer.concat([Buffer.from(`a:2:{i:0;s:6:"`), binary, Buffer.from(`";i:1;${ser(url)}}`)]);
      const result = await rewrite(build(SRC));
      expect(result.raw.equals(build(DST))).toBe(true);
      expect(result.unserializes).toBe(true);
    });

    it('does not drop data after a serialized value (treated as plain text)', async () => {
      expect(await rewritten(`a:0:{}${SRC}/tail`)).toBe(`a:0:{}${DST}/tail`);
      expect(await rewritten(`i:5;${SRC}`)).toBe(`i:5;${DST}`);
    });

    it('treats text that only looks serialized as plain text', async () => {
      const input = `s:99:"${SRC}";`;
      expect(await rewritten(input)).toBe(`s:99:"${DST}";`);
      expect(await rewritten(`a:1:{broken ${SRC}`)).toBe(`a:1:{broken ${DST}`);
    });
  });

  describe('JSON documents', () => {
    it('rewrites URLs in JSON, keeping everything else byte for byte', async () => {
      const doc = (url: string) =>
        `{\n  "title": "Caf\\u00e9",\n  "url": "${json(url)}\\/a",\n  "n": 1.50,\n` +
        `  "list": ["${json(url)}", "${url}/plain"]\n}`;
      expect(await rewritten(doc(SRC))).toBe(doc(DST));
    });

    it('rewrites JSON keys', async () => {
      expect(await rewritten(`{"${json(SRC)}":true}`)).toBe(`{"${json(DST)}":true}`);
    });

    it('fixes serialized data inside JSON strings', async () => {
      const doc = (url: string) => JSON.stringify({ option: ser({ url: `${url}/x` }), other: 'é' });
      const result = await rewritten(doc(SRC));
      expect(result).toBe(doc(DST));
      expect(JSON.parse(result)).toEqual({ option: ser({ url: `${DST}/x` }), other: 'é' });
    });

    it('handles JSON nested in JSON strings', async () => {
      const doc = (url: string) => JSON.stringify({ inner: JSON.stringify({ url }) });
      expect(await rewritten(doc(SRC))).toBe(doc(DST));
    });
  });

  describe('other values', () => {
    it('leaves invalid UTF-8 without the URL byte for byte', async () => {
      const input = Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x73, 0x63, 0x6f, 0x70, 0x65, 0xa0, 0xa1, 0xed, 0xa0, 0x80]);
      const result = await rewrite(input);
      expect(result.raw.equals(input)).toBe(true);
    });

    it('rewrites the URL bytes inside otherwise invalid UTF-8, keeping the rest', async () => {
      const head = Buffer.from([0xff, 0x00, 0xc3]);
      const tail = Buffer.from([0x80, 0xfe]);
      const result = await rewrite(Buffer.concat([head, Buffer.from(`${SRC}/x`), tail]));
      expect(result.raw.equals(Buffer.concat([head, Buffer.from(`${DST}/x`), tail]))).toBe(true);
    });

    it('passes empty strings, numbers and null through', async () => {
      expect(await rewrite('')).toMatchObject({ type: 'string', text: '' });
      expect(await rewrite(42)).toMatchObject({ type: 'integer', value: 42 });
      expect(await rewrite(1.5)).toMatchObject({ type: 'double', value: 1.5 });
      expect(await rewrite(null)).toMatchObject({ type: 'NULL', value: null });
      expect(await rewritten('12345')).toBe('12345');
    });

    it('changes nothing when both sites have the same URL', async () => {
      const input = ser({ url: SRC });
      expect(await rewritten(input, SRC, `${SRC}/`)).toBe(input);
    });

    it('refuses URLs that are not site URLs', async () => {
      expect((await rewrite('x', 'not a url', DST)).error).toMatch(/InvalidArgumentException: Not a site URL/);
      expect((await rewrite('x', SRC, 'ftp://example.com')).error).toMatch(/Not a site URL/);
      expect((await rewrite('x', `${SRC}?p=1`, DST)).error).toMatch(/Not a site URL/);
    });
  });
});
