/**
 * Rate limits on the mutating routes: 30 per minute per client IP (counted before
 * authentication) and per operator token; the 31st is a 429 problem with Retry-After.
 * Each test runs at its own fixed clock, so the fixed windows of other tests never count.
 */
import { describe, expect, it } from 'vitest';
import type { MonitorEnv } from '../src/env';
import { RateWindows } from '../src/durable/rate-window';
import { ALICE_TOKEN, call, freshIp, json, testEnv } from './http-helpers';

const UNKNOWN = `/api/incidents/${'c'.repeat(32)}/acknowledge`;
let clock = Date.parse('2031-01-01T00:00:00Z');
/** A clock no other test uses: the next hour. */
function ownClock(): () => Date {
  clock += 3_600_000;
  const at = new Date(clock);
  return () => at;
}

describe('mutating routes', () => {
  it('accept 30 requests a minute from one IP and refuse the 31st with 429 and Retry-After', async () => {
    const now = ownClock();
    const ip = freshIp();
    for (let i = 0; i < 30; i += 1) {
      const response = await call(UNKNOWN, {
        method: 'POST',
        token: ALICE_TOKEN,
        ip,
        deps: { now },
      });
      expect(response.status).toBe(404);
    }
    const refused = await call(UNKNOWN, { method: 'POST', token: ALICE_TOKEN, ip, deps: { now } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await json(refused)).toMatchObject({ status: 429, title: 'Too many requests' });
  });

  it('count unauthenticated requests per IP too, so tokens cannot be guessed quickly', async () => {
    const now = ownClock();
    const ip = freshIp();
    for (let i = 0; i < 30; i += 1) {
      expect(
        (await call(UNKNOWN, { method: 'POST', token: `guess-${i}`, ip, deps: { now } })).status,
      ).toBe(401);
    }
    expect(
      (await call(UNKNOWN, { method: 'POST', token: 'guess-31', ip, deps: { now } })).status,
    ).toBe(429);
  });

  it('limit one token across many IPs, and not another token', async () => {
    const now = ownClock();
    const name = `carol${clock}`;
    const env = {
      ...testEnv,
      OPERATOR_TOKENS: `${name}:carol-token,dave:dave-token`,
    } as MonitorEnv;
    for (let i = 0; i < 30; i += 1) {
      const response = await call(UNKNOWN, {
        method: 'POST',
        token: 'carol-token',
        env,
        deps: { now },
      });
      expect(response.status).toBe(404);
    }
    expect(
      (await call(UNKNOWN, { method: 'POST', token: 'carol-token', env, deps: { now } })).status,
    ).toBe(429);
    expect(
      (await call(UNKNOWN, { method: 'POST', token: 'dave-token', env, deps: { now } })).status,
    ).toBe(404);
  });

  it('start a fresh window after a minute', async () => {
    let at = clock + 1_800_000;
    const now = () => new Date(at);
    const ip = freshIp();
    for (let i = 0; i < 31; i += 1)
      await call(UNKNOWN, { method: 'POST', token: ALICE_TOKEN, ip, deps: { now } });
    at += 60_000;
    expect(
      (await call(UNKNOWN, { method: 'POST', token: ALICE_TOKEN, ip, deps: { now } })).status,
    ).toBe(404);
  });

  it('leave read-only routes alone', async () => {
    const now = ownClock();
    const ip = freshIp();
    for (let i = 0; i < 35; i += 1) {
      expect((await call('/api/incidents', { ip, deps: { now } })).status).toBe(200);
    }
  });
});

describe('RateWindows', () => {
  it('counts per key within a fixed window', () => {
    const windows = new RateWindows();
    expect(windows.hit('a', 2, 60_000, 0)).toMatchObject({ allowed: true, remaining: 1 });
    expect(windows.hit('a', 2, 60_000, 10_000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(windows.hit('a', 2, 60_000, 20_000)).toMatchObject({
      allowed: false,
      retryAfterSeconds: 40,
    });
    expect(windows.hit('b', 2, 60_000, 20_000)).toMatchObject({ allowed: true });
    expect(windows.hit('a', 2, 60_000, 60_000)).toMatchObject({ allowed: true, remaining: 1 });
  });
});
