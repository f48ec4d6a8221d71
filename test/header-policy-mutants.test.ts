/**
 * Redirect targets and response classes at their edges (docs/reliability.md, "Mutation
 * testing"): credentials in a redirect target are refused whichever half is present, a
 * plain-http site may not hand the monitor another scheme, and each status lands in the
 * class whose cache policy it is judged by.
 */
import { describe, expect, it } from 'vitest';
import {
  checkResponseHeaders,
  classifyResponse,
  isAllowedRedirect,
  parseHeaderPolicy,
  redactSetCookie,
} from '../src/core/header-policy';
import { isCacheable } from '../src/core/response-classes';

const NOW = new Date('2026-11-23T12:00:00Z');
const SUCCESS = 'public, max-age=3600, s-maxage=14400';
const ERROR = 'private, no-cache, no-store, max-age=0, must-revalidate';
const policy = parseHeaderPolicy({
  CACHE_CONTROL_SUCCESS: SUCCESS,
  CACHE_CONTROL_ERROR: ERROR,
  DISCLOSURE_HEADER_DENYLIST: 'x-powered-by',
});

describe('isAllowedRedirect', () => {
  it('refuses a target on the same host with only a user name, or only a password', () => {
    const from = 'https://nodejs.org/dist/latest/';
    expect(isAllowedRedirect(from, 'https://user@nodejs.org/dist/', [])).toBe(false);
    expect(isAllowedRedirect(from, 'https://:pw@nodejs.org/dist/', [])).toBe(false);
    expect(isAllowedRedirect(from, 'https://nodejs.org/dist/', [])).toBe(true);
  });

  it('lets a plain-http site redirect to http or https only', () => {
    const local = 'http://127.0.0.1:8080/dist/a';
    expect(isAllowedRedirect(local, 'ftp://127.0.0.1:8080/dist/b', [])).toBe(false);
    expect(isAllowedRedirect(local, 'https://127.0.0.1:8080/dist/b', [])).toBe(true);
  });
});

describe('classifyResponse at the edges of each class', () => {
  const url = 'https://nodejs.org/dist/v24.11.1/node.tar.gz';
  it.each([
    [199, 'other'],
    [200, 'file'],
    [299, 'file'],
    [300, 'redirect'],
    [399, 'redirect'],
    [400, 'other-error'],
    [599, 'other-error'],
    [600, 'other'],
  ] as const)('%d is %s', (status, expected) => {
    expect(classifyResponse({ url, status })).toBe(expected);
  });

  it('gives OPTIONS its own class only for a success', () => {
    expect(classifyResponse({ url, status: 204, method: 'options' })).toBe('options');
    expect(classifyResponse({ url, status: 299, method: 'OPTIONS' })).toBe('options');
    expect(classifyResponse({ url, status: 300, method: 'OPTIONS' })).toBe('redirect');
    expect(classifyResponse({ url, status: 404, method: 'OPTIONS' })).toBe('not-found');
  });
});

describe('isCacheable: what a shared cache may store', () => {
  it.each([
    [['public'], true],
    [['s-maxage=60'], true],
    [['max-age=60'], true],
    [['max-age=0'], false],
    [['no-cache'], false],
    [['public', 'no-store'], false],
    [['max-age=60', 'private'], false],
    [['private=set-cookie', 's-maxage=60'], false],
  ])('%j → %s', (directives, expected) => {
    expect(isCacheable(directives)).toBe(expected);
  });
});

describe('a cache-policy violation on an error', () => {
  const check = (status: number, cacheControl?: string) =>
    checkResponseHeaders(
      {
        url: 'https://nodejs.org/dist/v99.0.0/node.tar.gz',
        status,
        headers: cacheControl === undefined ? {} : { 'cache-control': cacheControl },
      },
      policy,
      NOW,
    )[0];

  it('is called a cacheable error only when the error may be stored', () => {
    expect(check(400, SUCCESS)?.evidence['cacheableError']).toBe(true);
    expect(check(404, 'no-cache, max-age=0')?.evidence['cacheableError']).toBe(false);
    expect(check(200, 'no-store')?.evidence['cacheableError']).toBe(false);
    const missing = check(404);
    expect(missing?.evidence['cacheableError']).toBe(false);
    expect(missing?.summary).toMatch(/has no Cache-Control header\.$/);
    expect(missing?.evidence['cacheControl']).toBeNull();
  });
});

describe('redactSetCookie: no cookie value survives in evidence', () => {
  it.each([
    ['after an attribute, with a long name', 'a=first-secret; Path=/, session=second-secret'],
    ['after an attribute, with no space', 'a=first-secret; Path=/,session=second-secret'],
    ['after an attribute, with two spaces', 'a=first-secret; HttpOnly,  session=second-secret'],
    ['on a line of its own', 'a=first-secret; Path=/\nsession=second-secret'],
  ])('splits a second cookie %s', (_how, header) => {
    const redacted = redactSetCookie(header);
    expect(redacted).not.toContain('first-secret');
    expect(redacted).not.toContain('second-secret');
    expect(redacted).toContain('session=[redacted]');
  });

  it('keeps an Expires date whole, with its comma', () => {
    expect(redactSetCookie('a=s3cret; Expires=Wed, 21 Oct 2026 07:28:00 GMT')).toBe(
      'a=[redacted]; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
    );
  });
});
