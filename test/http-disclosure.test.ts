/**
 * The disclosure rule: a P0 tampering incident opened by the incident engine shows the
 * public nothing but "Investigating an issue" (no URL, hash, file name or release) on the
 * status page, /api/status, /api/incidents, the feed and the badge, until an operator
 * discloses it; afterwards the details are public. Operators see everything throughout.
 */
import { describe, expect, it } from 'vitest';
import {
  ALICE_TOKEN,
  call,
  json,
  openTamperIncident,
  seedSweep,
  TAMPER,
  TAMPER_SECRETS,
} from './http-helpers';

const PUBLIC_SURFACES = ['/', '/api/status', '/api/incidents', '/incidents.atom', '/badge.svg'];

function expectNoSecrets(text: string, id: string): void {
  for (const secret of [...TAMPER_SECRETS, id, 'artifact-hash-mismatch']) {
    expect(text).not.toContain(secret);
  }
}

describe('an undisclosed P0 tampering incident', () => {
  it.each(PUBLIC_SURFACES)('reveals no URL, hash, file, release or id on %s', async (path) => {
    await seedSweep();
    const id = await openTamperIncident();
    const response = await call(path);
    expect(response.status).toBe(200);
    expectNoSecrets(await response.text(), id);
  });

  it('appears on the status page only as "Investigating an issue"', async () => {
    await seedSweep();
    await openTamperIncident();
    const page = await (await call('/')).text();
    expect(page).toContain('Investigating an issue');
    expect(page).toContain('Critical issue');
    expect(page).not.toContain('/api/incidents/');
  });

  it('is listed publicly without id, kind or severity', async () => {
    await openTamperIncident();
    const body = await json<{ incidents: Record<string, unknown>[] }>(await call('/api/status'));
    expect(body.incidents).toHaveLength(1);
    expect(body.incidents[0]).toEqual({
      redacted: true,
      area: 'artifacts',
      status: 'investigating',
      title: 'Investigating an issue',
      summary: 'Investigating an issue affecting release downloads.',
      openedAt: expect.any(String),
    });
  });

  it('answers 404 to an unauthenticated lookup by id, as for an unknown id', async () => {
    const id = await openTamperIncident();
    const known = await call(`/api/incidents/${id}`);
    const unknown = await call(`/api/incidents/${'0'.repeat(32)}`);
    expect(known.status).toBe(404);
    expect(await known.json()).toEqual(await unknown.json());
  });

  it('is shown in full to an operator', async () => {
    const id = await openTamperIncident();
    const status = await (await call('/api/status', { token: ALICE_TOKEN })).text();
    expect(status).toContain(TAMPER.url);
    const detail = await json<{ incident: { id: string; observed: string } }>(
      await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }),
    );
    expect(detail.incident.id).toBe(id);
    expect(detail.incident.observed).toBe(TAMPER.observed);
  });

  it('withholds per-line verification results from the public', async () => {
    await openTamperIncident();
    const body = await json<{ coverageWithheld: boolean }>(await call('/api/status'));
    expect(body.coverageWithheld).toBe(true);
  });
});

describe('after POST /disclose', () => {
  it.each(['/', '/api/status', '/api/incidents', '/incidents.atom'])(
    'shows the URL and hashes on %s',
    async (path) => {
      const id = await openTamperIncident();
      const disclosed = await call(`/api/incidents/${id}/disclose`, {
        method: 'POST',
        token: ALICE_TOKEN,
      });
      expect(disclosed.status).toBe(200);
      const text = await (await call(path)).text();
      expect(text).toContain(TAMPER.url);
      expect(text).toContain(id);
    },
  );

  it('answers the public lookup by id with the incident and its public timeline', async () => {
    const id = await openTamperIncident();
    await call(`/api/incidents/${id}/disclose`, { method: 'POST', token: ALICE_TOKEN });
    const response = await call(`/api/incidents/${id}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({
      id,
      kind: 'artifact-hash-mismatch',
      severity: 'P0',
      subject: TAMPER.url,
      observed: TAMPER.observed,
      timeline: [{ status: 'investigating' }],
    });
  });
});
