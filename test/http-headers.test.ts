/**
 * Security headers on every response, errors included; CORS only on the read-only JSON
 * routes and never with credentials; no version or internal detail in headers or errors.
 */
import { describe, expect, it } from 'vitest';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { createApp } from '../src/http/app';
import { ALICE_TOKEN, call, json, openMissingFileIncident, testEnv } from './http-helpers';

interface RouteCase {
  readonly name: string;
  readonly path: string | ((id: string) => string);
  readonly method?: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly cors: boolean;
}

const ROUTES: readonly RouteCase[] = [
  { name: 'the status page', path: '/', cors: false },
  { name: 'the badge', path: '/badge.svg', cors: false },
  { name: 'the feed', path: '/incidents.atom', cors: false },
  { name: 'healthz', path: '/healthz', cors: true },
  { name: 'status', path: '/api/status', cors: true },
  { name: 'status for an operator', path: '/api/status', token: ALICE_TOKEN, cors: true },
  { name: 'incidents', path: '/api/incidents', cors: true },
  { name: 'an incident', path: (id) => `/api/incidents/${id}`, cors: true },
  { name: 'a malformed incident id', path: '/api/incidents/nope', cors: true },
  { name: 'the latest sweep (none yet)', path: '/api/sweeps/latest', cors: true },
  {
    name: 'a post-mortem',
    path: (id) => `/api/incidents/${id}/postmortem.md`,
    token: ALICE_TOKEN,
    cors: false,
  },
  { name: 'metrics', path: '/metrics', token: ALICE_TOKEN, cors: false },
  { name: 'metrics without a token', path: '/metrics', cors: false },
  {
    name: 'an action',
    path: (id) => `/api/incidents/${id}/notes`,
    method: 'POST',
    token: ALICE_TOKEN,
    body: { text: 'hi' },
    cors: false,
  },
  {
    name: 'an action without a token',
    path: (id) => `/api/incidents/${id}/acknowledge`,
    method: 'POST',
    cors: false,
  },
  { name: 'an unknown path', path: '/wp-admin.php', cors: false },
  { name: 'a wrong method', path: '/api/status', method: 'DELETE', cors: false },
];

describe.each(ROUTES)('$name', (route) => {
  async function request(): Promise<Response> {
    const id = await openMissingFileIncident();
    const path = typeof route.path === 'function' ? route.path(id) : route.path;
    return call(path, {
      ...(route.method !== undefined && { method: route.method }),
      ...(route.token !== undefined && { token: route.token }),
      ...(route.body !== undefined && { body: route.body }),
    });
  }

  it('carries HSTS, nosniff, DENY framing, no referrer and a CSP', async () => {
    const response = await request();
    expect(response.headers.get('strict-transport-security')).toBe(
      'max-age=63072000; includeSubDomains',
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it(route.cors ? 'allows any origin, without credentials' : 'sends no CORS headers', async () => {
    const response = await request();
    expect(response.headers.get('access-control-allow-origin')).toBe(route.cors ? '*' : null);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('reveals no server, framework or version', async () => {
    const response = await request();
    expect(response.headers.get('server')).toBeNull();
    expect(response.headers.get('x-powered-by')).toBeNull();
    for (const [name, value] of response.headers) {
      // The Prometheus exposition format names its own version in the media type.
      if (name === 'content-type') continue;
      expect(`${name}: ${value}`).not.toMatch(/hono|workerd|wrangler|node\/|\b\d+\.\d+\.\d+\b/i);
    }
  });
});

describe('an internal error', () => {
  it('is a generic 500 problem without stack or message', async () => {
    const app = createApp({
      now: () => {
        throw new TypeError('secret internal detail at /src/http/routes-api.ts:42');
      },
    });
    const ctx = createExecutionContext();
    const response = await app.request('https://monitor.test/api/status', {}, testEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    const text = await response.text();
    expect(text).not.toMatch(/secret|routes-api|TypeError|at \//);
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal error' });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('an unsupported method on a known path', () => {
  it.each([
    ['DELETE', '/api/status', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['PUT', '/incidents.atom', 'GET, HEAD'],
    ['GET', '/api/sweeps', 'POST'],
    ['GET', '/api/incidents/0123456789abcdef0123456789abcdef/acknowledge', 'POST'],
    ['PATCH', '/api/incidents/0123456789abcdef0123456789abcdef', 'GET, HEAD'],
    ['DELETE', '/', 'GET, HEAD'],
  ])('%s %s is a 405 problem with Allow: %s (RFC 9110)', async (method, path, allow) => {
    const response = await call(path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await json(response)).toMatchObject({
      type: 'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/api.md#problem-method-not-allowed',
      title: 'Method not allowed',
      status: 405,
    });
  });

  it('still answers HEAD on a GET route, and 404 on an unknown path whatever the method', async () => {
    expect((await call('/healthz', { method: 'HEAD' })).status).toBe(200);
    expect((await call('/no/such/path', { method: 'DELETE' })).status).toBe(404);
  });
});

describe('not found', () => {
  it('is a 404 problem that does not echo the path', async () => {
    const response = await call('/<script>alert(1)</script>');
    expect(response.status).toBe(404);
    const body = await json(response);
    expect(body).toMatchObject({
      status: 404,
      title: 'Not found',
      detail: 'Nothing is served at this path.',
    });
  });
});
