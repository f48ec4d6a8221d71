/**
 * The JSON API: shapes of /api/status, /api/incidents, /api/incidents/:id,
 * /api/sweeps/latest and the post-mortem, for the public and for operators, and its
 * input validation answered as problem+json.
 */
import { describe, expect, it } from 'vitest';
import type { MonitorEnv } from '../src/env';
import {
  ALICE_TOKEN,
  call,
  json,
  openMissingFileIncident,
  openTamperIncident,
  seedSweep,
  testEnv,
} from './http-helpers';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe('GET /api/status', () => {
  it('gives the public the state, monitor health, last sweep, coverage, areas and incidents', async () => {
    await seedSweep();
    await openMissingFileIncident();
    const body = await json(await call('/api/status'));
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining([
        'areas',
        'audience',
        'baseUrl',
        'coverage',
        'coverageWithheld',
        'generatedAt',
        'incidents',
        'lastSweep',
        'monitor',
        'recentlyResolved',
        'status',
        'statusLabel',
      ]),
    );
    expect(body.channels).toEqual({ slack: false, sentry: false, webhooks: false });
    expect(body).not.toHaveProperty('kpis');
    expect(body).toMatchObject({ audience: 'public', status: 'minor', statusLabel: 'Minor issue' });
    expect(body.lastSweep).not.toHaveProperty('findingKinds');
    expect(body.areas).toHaveLength(5);
    expect(body.monitor).toMatchObject({ status: 'ok', sweeps: 1, sweepRunning: false });
  });

  it('gives operators the channels (booleans only), full sweep summary and KPIs', async () => {
    await seedSweep({ findingKinds: ['artifact-missing'] });
    const env = {
      ...testEnv,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T/B/secret-path',
    } as MonitorEnv;
    const response = await call('/api/status', { token: ALICE_TOKEN, env });
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body.audience).toBe('operator');
    expect(body.channels).toEqual({ slack: true, sentry: false, webhooks: false });
    expect(text).not.toContain('secret-path');
    expect(body.lastSweep).toHaveProperty('findingKinds', ['artifact-missing']);
    expect(Object.keys(body.kpis as object)).toEqual(['P0', 'P1', 'P2', 'P3']);
  });

  it('says the monitor is degraded when the last success is stale', async () => {
    await seedSweep({ finishedAt: new Date(Date.now() - 25 * 60_000).toISOString() });
    const body = await json<{ monitor: { status: string; reason: string } }>(
      await call('/api/status'),
    );
    expect(body.monitor.status).toBe('degraded');
    expect(body.monitor.reason).toContain('25 min ago');
  });
});

describe('GET /api/incidents', () => {
  it('lists public incidents with id and subject for the public', async () => {
    const id = await openMissingFileIncident();
    const body = await json<{ incidents: Record<string, unknown>[] }>(await call('/api/incidents'));
    expect(body.incidents).toEqual([
      expect.objectContaining({ redacted: false, id, kind: 'artifact-missing', severity: 'P2' }),
    ]);
    expect(body.incidents[0]).not.toHaveProperty('fingerprint');
  });

  it('lists full index rows for operators', async () => {
    await openMissingFileIncident();
    const body = await json<{ incidents: Record<string, unknown>[] }>(
      await call('/api/incidents', { token: ALICE_TOKEN }),
    );
    expect(body.incidents[0]).toHaveProperty('fingerprint');
    expect(body.incidents[0]).toHaveProperty('version');
  });

  it('filters by state', async () => {
    await openMissingFileIncident();
    await openTamperIncident();
    const resolved = await json<{ incidents: unknown[] }>(
      await call('/api/incidents?state=resolved'),
    );
    const open = await json<{ incidents: unknown[] }>(
      await call('/api/incidents?state=open&limit=1'),
    );
    expect(resolved.incidents).toHaveLength(0);
    expect(open.incidents).toHaveLength(1);
  });

  it.each([
    ['state=bogus', /state/],
    ['limit=0', /limit/],
    ['limit=501', /limit/],
    ['offset=-1', /offset/],
    ['surprise=1', /surprise/],
  ])('refuses ?%s with a 400 problem', async (query, detail) => {
    const response = await call(`/api/incidents?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe(PROBLEM);
    const body = await json<{ type: string; title: string; status: number; detail: string }>(
      response,
    );
    expect(body).toMatchObject({ title: 'Invalid request', status: 400 });
    expect(body.type).toMatch(/#problem-invalid-request$/);
    expect(body.detail).toMatch(detail);
  });
});

describe('GET /api/incidents/:id', () => {
  it.each(['not-an-id', 'ABCDEF0123456789ABCDEF0123456789', '0'.repeat(31), `${'0'.repeat(32)}0`])(
    'refuses the malformed id %s with a 400 problem',
    async (id) => {
      const response = await call(`/api/incidents/${id}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe(PROBLEM);
      expect((await json(response)).detail).toContain('32 lowercase hexadecimal digits');
    },
  );

  it('answers an unknown id with a 404 problem', async () => {
    const response = await call(`/api/incidents/${'a'.repeat(32)}`);
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({
      status: 404,
      title: 'Not found',
      detail: 'No incident has this id.',
    });
  });

  it('gives the public a public incident with its public timeline', async () => {
    const id = await openMissingFileIncident();
    const body = await json(await call(`/api/incidents/${id}`));
    expect(body).toMatchObject({
      id,
      area: 'artifacts',
      kind: 'artifact-missing',
      status: 'investigating',
      sightings: 1,
      timeline: [{ status: 'investigating', at: expect.any(String) }],
    });
    expect(body).not.toHaveProperty('outbox');
  });

  it('gives operators the record, raw timeline, playbook and outbox', async () => {
    const id = await openMissingFileIncident();
    const body = await json<{ incident: { id: string }; timeline: { type: string }[] }>(
      await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }),
    );
    expect(body.incident.id).toBe(id);
    expect(body.timeline.map((entry) => entry.type)).toContain('observation');
    expect(body).toHaveProperty('playbook');
    expect(body).toHaveProperty('outbox');
  });
});

describe('GET /api/incidents/:id/postmortem.md', () => {
  it('is refused without a token', async () => {
    const id = await openMissingFileIncident();
    const response = await call(`/api/incidents/${id}/postmortem.md`);
    expect(response.status).toBe(401);
  });

  it('is the Markdown draft for operators', async () => {
    const id = await openMissingFileIncident();
    const response = await call(`/api/incidents/${id}/postmortem.md`, { token: ALICE_TOKEN });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(await response.text()).toMatch(/^# Post-incident review: /);
  });
});

describe('GET /api/sweeps/latest', () => {
  it('is a 404 problem before the first sweep', async () => {
    const response = await call('/api/sweeps/latest');
    expect(response.status).toBe(404);
    expect((await json(response)).detail).toBe('No sweep has finished yet.');
  });

  it('gives the public the counts, not what was found', async () => {
    const summary = await seedSweep({ findings: 1, findingKinds: ['artifact-missing'] });
    const body = await json(await call('/api/sweeps/latest'));
    expect(body).toEqual({
      id: summary.id,
      finishedAt: summary.finishedAt,
      durationMs: 4000,
      outcome: 'clean',
      releases: 3,
      artifactsChecked: 24,
      bytes: 123_456,
      availability: 'ok',
      findings: 1,
      // Which public snapshot this answer comes from (src/http/routes-public.ts).
      snapshot: { id: expect.any(String), version: 1, takenAt: summary.finishedAt },
    });
  });

  it('gives operators the whole summary', async () => {
    const summary = await seedSweep();
    expect(await json(await call('/api/sweeps/latest', { token: ALICE_TOKEN }))).toEqual(summary);
  });
});
