/**
 * Every route that takes an operator token limits failed authentication per client IP, the
 * read-only GET routes included (30 failures a minute, then 429 whatever the token); an
 * undisclosed incident's id and an unknown id take the same path and give the same answer;
 * a grouped incident is found by any of its subjects through the API.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createFinding, type Finding } from '../src/core/findings';
import { incidentIdOf } from '../src/core/incident';
import { groupFingerprintOf } from '../src/core/incident-grouping';
import type { MonitorEnv } from '../src/env';
import { reportSweepFindings } from '../src/jobs/report-findings';
import {
  ALICE_TOKEN,
  call,
  freshIp,
  json,
  openTamperIncident,
  publishNow,
  testEnv,
} from './http-helpers';

let clock = Date.parse('2032-01-01T00:00:00Z');
/** A clock no other test uses: the next hour (the windows are kept in memory). */
function ownClock(): () => Date {
  clock += 3_600_000;
  const at = new Date(clock);
  return () => at;
}

const GET_ROUTES = [
  '/api/status',
  '/api/incidents',
  `/api/incidents/${'d'.repeat(32)}`,
  `/api/incidents/${'d'.repeat(32)}/postmortem.md`,
  '/api/sweeps/latest',
  '/metrics',
];

describe('failed authentication on GET routes', () => {
  it.each(GET_ROUTES)(
    '%s refuses the 31st failure from one IP, and then the right token too',
    async (path) => {
      const now = ownClock();
      const ip = freshIp();
      for (let i = 0; i < 30; i += 1) {
        const response = await call(path, { token: `guess-${i}`, ip, deps: { now } });
        expect(response.status).toBe(401);
      }
      const refused = await call(path, { token: 'guess-31', ip, deps: { now } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await json(refused)).toMatchObject({ status: 429, title: 'Too many requests' });
      // A guess that happens to be right must not be told apart while the client is locked out.
      expect((await call(path, { token: ALICE_TOKEN, ip, deps: { now } })).status).toBe(429);
    },
  );

  it('counts failures across routes, so spreading guesses over them does not help', async () => {
    const now = ownClock();
    const ip = freshIp();
    for (let i = 0; i < 30; i += 1) {
      const path = GET_ROUTES[i % GET_ROUTES.length] as string;
      expect((await call(path, { token: `guess-${i}`, ip, deps: { now } })).status).toBe(401);
    }
    expect(
      (
        await call('/api/incidents/x/acknowledge', {
          method: 'POST',
          token: 'g',
          ip,
          deps: { now },
        })
      ).status,
    ).toBe(429);
  });

  it('does not count successful authentication, nor public requests without a token', async () => {
    const now = ownClock();
    const ip = freshIp();
    for (let i = 0; i < 40; i += 1) {
      expect((await call('/api/incidents', { token: ALICE_TOKEN, ip, deps: { now } })).status).toBe(
        200,
      );
    }
    for (let i = 0; i < 30; i += 1)
      await call('/api/status', { token: `guess-${i}`, ip, deps: { now } });
    // Locked out for tokens, but the public view stays open to the same address.
    expect((await call('/api/status', { ip, deps: { now } })).status).toBe(200);
  });

  it('starts a fresh window after a minute', async () => {
    let at = clock + 1_800_000;
    clock += 3_600_000;
    const now = () => new Date(at);
    const ip = freshIp();
    for (let i = 0; i < 31; i += 1)
      await call('/api/status', { token: `g${i}`, ip, deps: { now } });
    expect((await call('/api/status', { token: ALICE_TOKEN, ip, deps: { now } })).status).toBe(429);
    at += 60_000;
    expect((await call('/api/status', { token: ALICE_TOKEN, ip, deps: { now } })).status).toBe(200);
  });
});

/**
 * An env whose Durable Object namespaces record every call made through them (and through
 * the stubs they hand out): what "the same work" means, without measuring any time.
 */
function recordingEnv(): { env: MonitorEnv; calls: string[] } {
  const calls: string[] = [];
  const wrap = <T extends object>(label: string, target: T, wrapResult: boolean): T =>
    new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${label}.${String(property)}`);
          const result = Reflect.apply(value as (...a: unknown[]) => unknown, object, args);
          return wrapResult && property === 'get'
            ? wrap(`${label}-stub`, result as object, false)
            : result;
        };
      },
    });
  return {
    calls,
    env: {
      ...testEnv,
      INCIDENT: wrap('INCIDENT', testEnv.INCIDENT, true),
      INCIDENT_INDEX: wrap('INCIDENT_INDEX', testEnv.INCIDENT_INDEX, true),
    } as MonitorEnv,
  };
}

describe('an undisclosed incident and an unknown id', () => {
  it('get the same answer after the same work', async () => {
    const hidden = await openTamperIncident();
    const unknown = 'e'.repeat(32);
    const seen = [];
    for (const id of [hidden, unknown]) {
      const recording = recordingEnv();
      const response = await call(`/api/incidents/${id}`, { env: recording.env });
      seen.push({
        status: response.status,
        body: await response.text(),
        headers: [...response.headers].filter(([name]) => name !== 'date'),
        calls: recording.calls,
      });
    }
    expect(seen[0]?.status).toBe(404);
    expect(seen[0]).toEqual(seen[1]);
    // Neither wakes any Durable Object: the public status snapshot answers both (issue 16).
    expect(seen[0]?.calls).toEqual([]);
  });

  it('still shows a disclosed incident to the public, and every incident to operators', async () => {
    const id = await openTamperIncident();
    expect((await call(`/api/incidents/${id}`, { token: ALICE_TOKEN })).status).toBe(200);
    expect(
      (await call(`/api/incidents/${id}/disclose`, { method: 'POST', token: ALICE_TOKEN })).status,
    ).toBe(200);
    expect((await call(`/api/incidents/${id}`)).status).toBe(200);
  });
});

describe('a grouped incident through the API', () => {
  const urls = Array.from(
    { length: 41 },
    (_, i) => `https://dist.test/dist/v24.11.1/node-v24.11.1-${i}.tar.gz`,
  );
  const leaked = (url: string, now: Date): Finding =>
    createFinding(
      {
        kind: 'header-disclosure',
        subject: url,
        summary: `${url} sends set-cookie`,
        observed: 'set-cookie',
        evidence: { url, status: 200, headers: ['set-cookie'] },
      },
      now,
    );

  it('is listed once, with every subject findable by kind and subject', async () => {
    const now = new Date();
    const findings = urls.map((url) => leaked(url, now));
    await reportSweepFindings(env, { sweepId: 'sweep-group-api', findings, now });
    // As a sweep's end does: the public listing comes from the status snapshot.
    await publishNow(now);
    const fingerprint = groupFingerprintOf(findings[0] as Finding) as string;
    const id = await incidentIdOf(fingerprint);
    for (const token of [undefined, ALICE_TOKEN]) {
      const listing = await json<{ incidents: { id: string; kind: string; subjects: string[] }[] }>(
        await call('/api/incidents', token === undefined ? {} : { token }),
      );
      const rows = listing.incidents.filter((row) => row.kind === 'header-disclosure');
      expect(rows).toHaveLength(1);
      for (const url of urls) expect(rows[0]?.subjects).toContain(url);
    }
    const detail = await json<{ subjects: string[]; subjectCount: number; cause: string }>(
      await call(`/api/incidents/${id}`),
    );
    expect(detail.subjectCount).toBe(41);
    expect([...detail.subjects].sort()).toEqual([...urls].sort());
    expect(detail.cause).toBe('headers set-cookie');
  });

  it('keeps a grouped private kind redacted in public, subjects and all', async () => {
    const now = new Date();
    const findings = urls.slice(0, 3).map((url) =>
      createFinding(
        {
          kind: 'artifact-hash-mismatch',
          subject: url,
          summary: 'bytes differ',
          release: 'v24.11.1',
        },
        now,
      ),
    );
    await reportSweepFindings(env, { sweepId: 'sweep-group-private', findings, now });
    await publishNow(now);
    const body = await (await call('/api/incidents')).text();
    for (const url of urls.slice(0, 3)) expect(body).not.toContain(url);
    expect(body).not.toContain('v24.11.1');
    const id = await incidentIdOf(groupFingerprintOf(findings[0] as Finding) as string);
    expect((await call(`/api/incidents/${id}`)).status).toBe(404);
  });
});
