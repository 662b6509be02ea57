import { describe, expect, it } from 'vitest';
import { mapSerializedStrings } from '../harness/php-serialized';
import { mentionsSiteUrl, replaceSiteUrl, siteUrlBase } from '../harness/site-url';

const A = 'https://playground.wordpress.net/scope:a';
const B = 'https://playground.wordpress.net/scope:longer-b';

describe('siteUrlBase', () => {
  it('drops the trailing slash, query and hash', () => {
    expect(siteUrlBase('https://playground.wordpress.net/scope:a/')).toBe(A);
    expect(siteUrlBase('https://playground.wordpress.net/scope:a/?x=1#y')).toBe(A);
    expect(siteUrlBase('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
  });
});

describe('replaceSiteUrl', () => {
  it('replaces plain, JSON-escaped and URL-encoded spellings', () => {
    expect(replaceSiteUrl(`<a href="${A}/about/">`, A, B)).toBe(`<a href="${B}/about/">`);
    expect(replaceSiteUrl('{"url":"https:\\/\\/playground.wordpress.net\\/scope:a\\/x"}', A, B)).toBe(
      '{"url":"https:\\/\\/playground.wordpress.net\\/scope:longer-b\\/x"}',
    );
    expect(replaceSiteUrl(`redirect_to=${encodeURIComponent(`${A}/wp-admin/`)}`, A, B)).toBe(
      `redirect_to=${encodeURIComponent(`${B}/wp-admin/`)}`,
    );
  });

  it('maps the other scheme to the other scheme', () => {
    expect(replaceSiteUrl('http://playground.wordpress.net/scope:a/x', A, B)).toBe(
      'http://playground.wordpress.net/scope:longer-b/x',
    );
    expect(replaceSiteUrl('http://playground.wordpress.net/scope:a/x', A, '{{SITE_URL}}')).toBe(
      '{{SITE_URL:other-scheme}}/x',
    );
  });

  it('never matches a longer slug or port that starts the same', () => {
    expect(replaceSiteUrl(`${A}b/x ${A}-2/x ${A}/x`, A, B)).toBe(`${A}b/x ${A}-2/x ${B}/x`);
    expect(replaceSiteUrl('http://127.0.0.1:84/ http://127.0.0.1:8/', 'http://127.0.0.1:8', 'http://h')).toBe(
      'http://127.0.0.1:84/ http://h/',
    );
  });

  it('keeps PHP-serialized values valid when the URL length changes', () => {
    const before = `a:2:{s:4:"home";s:${A.length + 1}:"${A}/";s:1:"n";i:3;}`;
    expect(replaceSiteUrl(before, A, B)).toBe(`a:2:{s:4:"home";s:${B.length + 1}:"${B}/";s:1:"n";i:3;}`);
  });

  it('fixes nested serialized strings, object properties and keys', () => {
    const inner = `s:${A.length}:"${A}";`;
    const before = `O:8:"stdClass":2:{s:${A.length}:"${A}";b:1;s:5:"inner";s:${inner.length}:"${inner}";}`;
    const innerAfter = `s:${B.length}:"${B}";`;
    expect(replaceSiteUrl(before, A, B)).toBe(
      `O:8:"stdClass":2:{s:${B.length}:"${B}";b:1;s:5:"inner";s:${innerAfter.length}:"${innerAfter}";}`,
    );
  });

  it('counts UTF-8 bytes, as PHP does', () => {
    const before = `s:${Buffer.byteLength(`é ${A}`)}:"é ${A}";`;
    expect(replaceSiteUrl(before, A, B)).toBe(`s:${Buffer.byteLength(`é ${B}`)}:"é ${B}";`);
  });

  it('treats text that only looks serialized as plain text', () => {
    const broken = `s:3:"${A}";`;
    expect(replaceSiteUrl(broken, A, B)).toBe(`s:3:"${B}";`);
  });

  it('finds mentions in any spelling', () => {
    expect(mentionsSiteUrl(`x ${A}/`, A)).toBe(true);
    expect(mentionsSiteUrl('https:\\/\\/playground.wordpress.net\\/scope:a"', A)).toBe(true);
    expect(mentionsSiteUrl(`x ${A}b/`, A)).toBe(false);
  });
});

describe('mapSerializedStrings', () => {
  const upper = (text: string) => text.toUpperCase();

  it('rewrites every string of every type of value', () => {
    expect(mapSerializedStrings('a:3:{i:0;s:1:"a";i:1;d:0.5;i:2;N;}', upper)).toBe('a:3:{i:0;s:1:"A";i:1;d:0.5;i:2;N;}');
    expect(mapSerializedStrings('E:7:"Foo:Bar";', upper)).toBe('E:7:"Foo:Bar";');
    expect(mapSerializedStrings('a:2:{i:0;O:1:"X":0:{}i:1;r:2;}', upper)).toBe('a:2:{i:0;O:1:"X":0:{}i:1;r:2;}');
  });

  it('returns null for anything that is not exactly one serialized value', () => {
    expect(mapSerializedStrings('hello', upper)).toBeNull();
    expect(mapSerializedStrings('s:1:"a";trailing', upper)).toBeNull();
    expect(mapSerializedStrings('a:2:{i:0;s:1:"a";}', upper)).toBeNull();
    expect(mapSerializedStrings('i:12x;', upper)).toBeNull();
  });
});
