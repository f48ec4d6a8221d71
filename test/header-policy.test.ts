import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_POLICIES,
  checkResponseHeaders,
  classifyResponse,
  errorCanaryUrl,
  isAllowedRedirect,
  isForbiddenHeader,
  MAX_EVIDENCE_VALUE_CHARS,
  normaliseCacheControl,
  parseHeaderPolicy,
  type HeaderPolicy,
} from '../src/core/header-policy';

const NOW = new Date('2026-11-23T12:00:00Z');
const URL_ = 'https://nodejs.org/dist/v24.11.1/node-v24.11.1.tar.gz';
const SUCCESS = 'public, max-age=3600, s-maxage=14400';
const ERROR = 'private, no-cache, no-store, max-age=0, must-revalidate';

const policy: HeaderPolicy = parseHeaderPolicy({
  CACHE_CONTROL_SUCCESS: SUCCESS,
  CACHE_CONTROL_ERROR: ERROR,
  DISCLOSURE_HEADER_DENYLIST: 'X-Powered-By, server-timing,x-amz-request-id',
});

function check(status: number, headers: Record<string, string> | Headers, url = URL_) {
  return checkResponseHeaders({ url, status, headers }, policy, NOW);
}

describe('parseHeaderPolicy', () => {
  it('trims the policies and lowercases the denylist', () => {
    expect(policy).toEqual({
      cacheControlSuccess: SUCCESS,
      cacheControlError: ERROR,
      disclosureDenylist: ['x-powered-by', 'server-timing', 'x-amz-request-id'],
    });
  });

  it('accepts a denylist that is already split', () => {
    const parsed = parseHeaderPolicy({
      CACHE_CONTROL_SUCCESS: SUCCESS,
      CACHE_CONTROL_ERROR: ERROR,
      DISCLOSURE_HEADER_DENYLIST: [' X-Debug ', ''],
    });
    expect(parsed.disclosureDenylist).toEqual(['x-debug']);
  });
});

describe('cache policy per response class, as the release worker sends it', () => {
  const DIR = 'https://nodejs.org/dist/v24.11.1/';
  const cases: {
    name: string;
    status: number;
    method?: string;
    url?: string;
    cacheControl?: string;
    violation: boolean;
  }[] = [
    // R2 sends the error policy on anything but a 200; the origin fallback passes the status
    // on with the success policy: both are the worker's own answers.
    { name: 'error policy on 304', status: 304, cacheControl: ERROR, violation: false },
    { name: 'error policy on 206', status: 206, cacheControl: ERROR, violation: false },
    { name: 'error policy on 412', status: 412, cacheControl: ERROR, violation: false },
    { name: 'a made-up policy on 304', status: 304, cacheControl: 'max-age=9', violation: true },
    { name: 'no header on 304', status: 304, violation: true },
    {
      name: 'error policy on OPTIONS',
      status: 200,
      method: 'OPTIONS',
      cacheControl: ERROR,
      violation: false,
    },
    {
      name: 'success policy on OPTIONS',
      status: 200,
      method: 'OPTIONS',
      cacheControl: SUCCESS,
      violation: true,
    },
    {
      name: 'success policy on a directory listing (R2)',
      status: 200,
      url: DIR,
      cacheControl: SUCCESS,
      violation: false,
    },
    {
      name: 'error policy on a directory listing (fallback)',
      status: 200,
      url: DIR,
      cacheControl: ERROR,
      violation: false,
    },
    {
      name: 'success policy on 404: an error cached at the edge',
      status: 404,
      cacheControl: SUCCESS,
      violation: true,
    },
    { name: 'success policy on 410', status: 410, cacheControl: SUCCESS, violation: true },
    { name: 'no header on 405 (the router’s bare 405)', status: 405, violation: false },
    { name: 'error policy on 405', status: 405, cacheControl: ERROR, violation: false },
    { name: 'success policy on 405', status: 405, cacheControl: SUCCESS, violation: true },
    { name: 'no header on 416 (the R2 path’s bare 416)', status: 416, violation: false },
    { name: 'no header on 503 (the platform’s error page)', status: 503, violation: false },
    { name: 'success policy on 503', status: 503, cacheControl: SUCCESS, violation: true },
  ];

  it.each(cases)('$name', ({ status, method, url, cacheControl, violation }) => {
    const headers: Record<string, string> =
      cacheControl === undefined ? {} : { 'Cache-Control': cacheControl };
    const findings = checkResponseHeaders(
      { url: url ?? URL_, status, headers, ...(method !== undefined && { method }) },
      policy,
      NOW,
    );
    expect(findings.map((finding) => finding.kind)).toEqual(
      violation ? ['cache-policy-violation'] : [],
    );
  });

  it('names a cacheable error as such, with its class and the policies accepted', () => {
    const [finding] = check(404, { 'cache-control': SUCCESS });
    expect(finding?.summary).toContain('error the edge may cache');
    expect(finding?.expected).toBe(ERROR);
    expect(finding?.evidence).toMatchObject({
      responseClass: 'not-found',
      accepted: ['error'],
      cacheableError: true,
    });
  });

  it('classifies every status the worker answers with', () => {
    expect(
      [200, 206, 301, 304, 308, 400, 404, 405, 410, 412, 416, 500, 503].map((status) =>
        classifyResponse({ url: URL_, status }),
      ),
    ).toEqual([
      'file',
      'partial-or-conditional',
      'redirect',
      'partial-or-conditional',
      'redirect',
      'other-error',
      'not-found',
      'method-not-allowed',
      'not-found',
      'partial-or-conditional',
      'other-error',
      'other-error',
      'other-error',
    ]);
    expect(ACCEPTED_POLICIES.file).toEqual(['success']);
    expect(ACCEPTED_POLICIES['not-found']).toEqual(['error']);
  });

  it('puts the error canary under the dist base URL, whatever its trailing slashes', () => {
    expect(errorCanaryUrl('https://nodejs.org/dist/')).toBe(
      'https://nodejs.org/dist/integrity-monitor-canary-404.txt',
    );
  });
});

describe('normaliseCacheControl', () => {
  it('sorts, trims and lowercases directives, including around =', () => {
    expect(normaliseCacheControl(' S-MaxAge = 14400 ,public,, max-age=3600 ')).toEqual([
      'max-age=3600',
      'public',
      's-maxage=14400',
    ]);
  });
});

describe('cache policy', () => {
  const cases: {
    name: string;
    status: number;
    cacheControl?: string;
    violation: boolean;
  }[] = [
    { name: 'exact success policy on 200', status: 200, cacheControl: SUCCESS, violation: false },
    {
      name: 'reordered directives on 200',
      status: 200,
      cacheControl: 's-maxage=14400, public, max-age=3600',
      violation: false,
    },
    {
      name: 'extra spaces and upper case on 200',
      status: 200,
      cacheControl: '  PUBLIC ,max-age = 3600,   s-maxage=14400 ',
      violation: false,
    },
    { name: 'success policy on 206', status: 206, cacheControl: SUCCESS, violation: false },
    { name: 'success policy on 304', status: 304, cacheControl: SUCCESS, violation: false },
    { name: 'missing header on 200', status: 200, violation: true },
    {
      name: 'wrong max-age on 200',
      status: 200,
      cacheControl: 'public, max-age=60, s-maxage=14400',
      violation: true,
    },
    {
      name: 'an extra directive on 200',
      status: 200,
      cacheControl: `${SUCCESS}, immutable`,
      violation: true,
    },
    {
      name: 'a repeated directive on 200',
      status: 200,
      cacheControl: `${SUCCESS}, public`,
      violation: true,
    },
    { name: 'error policy on 200', status: 200, cacheControl: ERROR, violation: true },
    { name: 'error policy on 404', status: 404, cacheControl: ERROR, violation: false },
    {
      name: 'error policy reordered on 503',
      status: 503,
      cacheControl: `max-age=0, private, no-store, must-revalidate, no-cache`,
      violation: false,
    },
    { name: 'success policy on 500', status: 500, cacheControl: SUCCESS, violation: true },
    { name: 'missing header on 404', status: 404, violation: true },
    { name: 'redirects are not judged on cache', status: 302, violation: false },
  ];

  it.each(cases)('$name', ({ status, cacheControl, violation }) => {
    const headers: Record<string, string> =
      cacheControl === undefined ? {} : { 'Cache-Control': cacheControl };
    const kinds = check(status, headers).map((finding) => finding.kind);
    expect(kinds).toEqual(violation ? ['cache-policy-violation'] : []);
  });

  it('names the missing and unexpected directives for a wrong max-age', () => {
    const [finding] = check(200, { 'cache-control': 'public, max-age=60, s-maxage=14400' });
    expect(finding).toMatchObject({
      kind: 'cache-policy-violation',
      severity: 'P2',
      subject: URL_,
      fingerprint: `cache-policy-violation ${URL_}`,
      expected: SUCCESS,
      observed: 'public, max-age=60, s-maxage=14400',
      observedAt: NOW.toISOString(),
      evidence: {
        status: 200,
        policy: 'success',
        missingDirectives: ['max-age=3600'],
        unexpectedDirectives: ['max-age=60'],
      },
    });
  });

  it('judges an error response against the error policy', () => {
    const [finding] = check(500, { 'cache-control': SUCCESS });
    expect(finding?.expected).toBe(ERROR);
    expect(finding?.evidence).toMatchObject({ policy: 'error', status: 500 });
  });

  it('reports a missing header as (missing)', () => {
    const [finding] = check(200, {});
    expect(finding?.observed).toBe('(missing)');
    expect(finding?.evidence).toMatchObject({ cacheControl: null });
  });

  it('reads a Headers object as well as a record', () => {
    expect(check(200, new Headers({ 'Cache-Control': SUCCESS }))).toEqual([]);
  });

  it('drops the query string from the subject, so a cache-busting URL is one incident', () => {
    const [finding] = check(200, {}, `${URL_}?bypass=sweep-42`);
    expect(finding?.subject).toBe(URL_);
    expect(finding?.evidence).toMatchObject({ url: `${URL_}?bypass=sweep-42` });
  });

  it('carries the release when given', () => {
    const [finding] = checkResponseHeaders(
      { url: URL_, status: 200, headers: {} },
      policy,
      NOW,
      'v24.11.1',
    );
    expect(finding?.release).toBe('v24.11.1');
  });
});

describe('header disclosure', () => {
  const ok = { 'cache-control': SUCCESS };

  const cases: { name: string; headers: Record<string, string>; names: string[] }[] = [
    { name: 'no forbidden header', headers: { ...ok, etag: '"abc"' }, names: [] },
    {
      name: 'Set-Cookie',
      headers: { ...ok, 'Set-Cookie': 'sid=s3cret; Path=/' },
      names: ['set-cookie'],
    },
    {
      name: 'X-Powered-By',
      headers: { ...ok, 'X-Powered-By': 'Express' },
      names: ['x-powered-by'],
    },
    {
      name: 'several at once, sorted',
      headers: { ...ok, 'server-timing': 'db;dur=53', 'set-cookie': 'a=b' },
      names: ['server-timing', 'set-cookie'],
    },
    { name: 'a header not on the denylist', headers: { ...ok, server: 'cloudflare' }, names: [] },
  ];

  it.each(cases)('$name', ({ headers, names }) => {
    const findings = check(200, headers).filter((f) => f.kind === 'header-disclosure');
    if (names.length === 0) {
      expect(findings).toEqual([]);
    } else {
      expect(findings).toHaveLength(1);
      expect(findings[0]?.evidence['headers']).toEqual(names);
      expect(findings[0]?.fingerprint).toBe(`header-disclosure ${URL_}`);
    }
  });

  it('redacts the cookie value but keeps its name and attributes', () => {
    const [finding] = check(200, {
      ...ok,
      'set-cookie': 'session=verysecretvalue123; Path=/; HttpOnly',
    });
    expect(finding?.evidence['values']).toEqual({
      'set-cookie': 'session=[redacted]; Path=/; HttpOnly',
    });
    expect(JSON.stringify(finding)).not.toContain('verysecretvalue123');
  });

  it('redacts every cookie when several are set', () => {
    const headers = new Headers(ok);
    headers.append('Set-Cookie', 'a=first-secret; Expires=Wed, 21 Oct 2026 07:28:00 GMT');
    headers.append('Set-Cookie', 'b=second-secret');
    const [finding] = check(200, headers);
    const serialised = JSON.stringify(finding);
    expect(serialised).not.toContain('first-secret');
    expect(serialised).not.toContain('second-secret');
    expect(serialised).toContain('a=[redacted]');
    expect(serialised).toContain('b=[redacted]');
  });

  it('keeps a denylisted header value, truncated to the evidence limit', () => {
    const [finding] = check(200, { ...ok, 'x-amz-request-id': 'x'.repeat(500) });
    const values = finding?.evidence['values'] as Record<string, string>;
    expect(values['x-amz-request-id']).toHaveLength(MAX_EVIDENCE_VALUE_CHARS);
  });

  it('matches denylist entries ending in * as prefixes, and only those', () => {
    expect(isForbiddenHeader('x-amz-meta-owner', ['x-amz-*'])).toBe(true);
    expect(isForbiddenHeader('x-amzn-trace-id', ['x-amz-*'])).toBe(false);
    expect(isForbiddenHeader('x-debug-token', ['x-debug*'])).toBe(true);
    expect(isForbiddenHeader('x-powered-by-x', ['x-powered-by'])).toBe(false);
    expect(isForbiddenHeader('set-cookie', [])).toBe(true);
  });

  it('checks error responses for disclosure too', () => {
    const findings = check(404, { 'cache-control': ERROR, 'x-powered-by': 'PHP' });
    expect(findings.map((f) => f.kind)).toEqual(['header-disclosure']);
  });
});

describe('isAllowedRedirect', () => {
  const FROM = 'https://nodejs.org/dist/latest/';
  const allowed = ['nodejs.org', 'dist.nodejs.org'];

  const cases: { to: string; allowed: boolean; why: string }[] = [
    { to: 'https://nodejs.org/dist/v24.11.1/', allowed: true, why: 'same host' },
    { to: 'https://dist.nodejs.org/v24.11.1/', allowed: true, why: 'an allowed host' },
    { to: 'https://NODEJS.ORG/dist/', allowed: true, why: 'host case does not matter' },
    { to: 'https://nodejs.org:443/dist/', allowed: true, why: 'the default port is the host' },
    { to: 'http://nodejs.org/dist/', allowed: false, why: 'a downgrade to http' },
    { to: 'https://nodejs.org.evil.com/dist/', allowed: false, why: 'an allowed host as a prefix' },
    { to: 'https://evilnodejs.org/dist/', allowed: false, why: 'an allowed host as a suffix' },
    { to: 'https://www.nodejs.org/dist/', allowed: false, why: 'a subdomain not listed' },
    {
      to: 'https://nodejs.org@evil.com/dist/',
      allowed: false,
      why: 'userinfo before a foreign host',
    },
    { to: 'https://user:pw@nodejs.org/dist/', allowed: false, why: 'credentials in the URL' },
    { to: 'https://nodejs.org:8443/dist/', allowed: false, why: 'another port' },
    { to: 'https://nodejs.org./dist/', allowed: false, why: 'a trailing dot' },
    { to: 'ftp://nodejs.org/dist/', allowed: false, why: 'another scheme' },
    { to: 'javascript:alert(1)', allowed: false, why: 'a script URL' },
    { to: 'not a url', allowed: false, why: 'an unparsable target' },
  ];

  it.each(cases)('$why: $to → $allowed', ({ to, allowed: expected }) => {
    expect(isAllowedRedirect(FROM, to, allowed)).toBe(expected);
  });

  it('allows a host the source itself is on, listed or not', () => {
    expect(isAllowedRedirect('https://dist.test/dist/a', 'https://dist.test/dist/b', [])).toBe(
      true,
    );
  });

  it('lets a plain-http site redirect over http on its own host, but not to a foreign host', () => {
    const local = 'http://127.0.0.1:8080/dist/a';
    expect(isAllowedRedirect(local, 'http://127.0.0.1:8080/dist/b', [])).toBe(true);
    expect(isAllowedRedirect(local, 'http://evil.example/dist/b', [])).toBe(false);
    expect(isAllowedRedirect(local, 'https://evil.example/dist/b', [])).toBe(false);
  });

  it('compares allowed hosts case-insensitively', () => {
    expect(isAllowedRedirect(FROM, 'https://dist.nodejs.org/', [' Dist.NodeJS.org '])).toBe(true);
  });
});
