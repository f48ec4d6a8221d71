/**
 * Operator actions: each lands in the incident's timeline under the operator's token
 * name; refused transitions are 409 problems; bodies are validated (zod), capped (413),
 * must be JSON (400, 415); POST /api/sweeps answers 202 and runs the sweep in the
 * background, or 409 while one runs.
 */
import { describe, expect, it, vi } from 'vitest';
import type { TimelineEntry } from '../src/core/incident';
import { monitorStateStub } from '../src/durable/monitor-state';
import type { SweepRun } from '../src/jobs/sweep';
import {
  ALICE_TOKEN,
  call,
  json,
  openMissingFileIncident,
  openTamperIncident,
  testEnv,
} from './http-helpers';

const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  call(path, {
    method: 'POST',
    token: ALICE_TOKEN,
    ...(body !== undefined && { body }),
    ...(headers && { headers }),
  });

async function timelineOf(id: string): Promise<TimelineEntry[]> {
  const detail = await json<{ timeline: TimelineEntry[] }>(
    await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }),
  );
  return detail.timeline;
}

/** The operator's own timeline lines (the engine adds system lines, e.g. alert outcomes). */
async function operatorLines(id: string): Promise<TimelineEntry[]> {
  return (await timelineOf(id)).filter((entry) => entry.actor === 'operator:alice');
}

describe('incident actions', () => {
  it('acknowledge moves the incident to acknowledged, by operator:alice', async () => {
    const id = await openTamperIncident();
    const response = await post(`/api/incidents/${id}/acknowledge`);
    expect(response.status).toBe(200);
    const body = await json<{ incident: { state: string; acknowledgedBy: string } }>(response);
    expect(body.incident).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'operator:alice',
    });
    expect(await operatorLines(id)).toEqual([
      expect.objectContaining({
        type: 'state-change',
        data: expect.objectContaining({ to: 'acknowledged' }),
      }),
    ]);
  });

  it('refuses a second acknowledge with a 409 problem', async () => {
    const id = await openTamperIncident();
    await post(`/api/incidents/${id}/acknowledge`);
    const response = await post(`/api/incidents/${id}/acknowledge`);
    expect(response.status).toBe(409);
    expect(await json(response)).toMatchObject({
      title: 'Conflict',
      detail: expect.stringContaining('already acknowledged'),
    });
  });

  it('contain records the operator and the note', async () => {
    const id = await openTamperIncident();
    const response = await post(`/api/incidents/${id}/contain`, { note: 'purged and quarantined' });
    expect(response.status).toBe(200);
    expect((await operatorLines(id)).at(-1)?.message).toContain('purged and quarantined');
  });

  it('resolve records the note in the timeline', async () => {
    const id = await openTamperIncident();
    const response = await post(`/api/incidents/${id}/resolve`, {
      note: 'restored from the signed build',
    });
    expect((await json<{ incident: { state: string } }>(response)).incident.state).toBe('resolved');
    const last = (await operatorLines(id)).at(-1);
    expect(last).toMatchObject({ type: 'state-change' });
    expect(last?.message).toContain('restored from the signed build');
  });

  it('resolve accepts no body at all', async () => {
    const id = await openMissingFileIncident();
    expect((await post(`/api/incidents/${id}/resolve`)).status).toBe(200);
  });

  it('notes adds a note line by the operator', async () => {
    const id = await openTamperIncident();
    const response = await post(`/api/incidents/${id}/notes`, {
      text: 'Build WG paged; checking R2.',
    });
    expect(response.status).toBe(200);
    expect((await operatorLines(id)).at(-1)).toMatchObject({
      type: 'note',
      message: 'Build WG paged; checking R2.',
    });
  });

  it('disclose makes the incident public, once', async () => {
    const id = await openTamperIncident();
    const first = await post(`/api/incidents/${id}/disclose`);
    expect((await json<{ incident: { disclosed: boolean } }>(first)).incident.disclosed).toBe(true);
    expect((await operatorLines(id)).at(-1)).toMatchObject({ type: 'disclosure' });
    expect((await post(`/api/incidents/${id}/disclose`)).status).toBe(409);
  });

  it('severity changes it with the reason in the timeline', async () => {
    const id = await openMissingFileIncident();
    const response = await post(`/api/incidents/${id}/severity`, {
      severity: 'P1',
      reason: 'the LTS installer',
    });
    expect((await json<{ incident: { severity: string } }>(response)).incident.severity).toBe('P1');
    expect((await operatorLines(id)).at(-1)).toMatchObject({
      type: 'severity-change',
      message: expect.stringContaining('the LTS installer'),
    });
  });

  it('answers an unknown incident with a 404 problem', async () => {
    const response = await post(`/api/incidents/${'b'.repeat(32)}/acknowledge`);
    expect(response.status).toBe(404);
  });

  it('answers a malformed id with a 400 problem', async () => {
    const response = await post('/api/incidents/../../etc/acknowledge');
    expect([400, 404]).toContain(response.status);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    const bad = await post('/api/incidents/XYZ/acknowledge');
    expect(bad.status).toBe(400);
  });
});

describe('request bodies', () => {
  it.each([
    ['an empty note', 'notes', { text: '' }, /text/],
    ['a blank note', 'notes', { text: '   ' }, /text: must not be empty/],
    ['a note without text', 'notes', {}, /text/],
    ['a note over 4 KiB', 'notes', { text: 'x'.repeat(4097) }, /at most 4096 bytes/],
    ['a note over 4 KiB of UTF-8', 'notes', { text: 'é'.repeat(2049) }, /at most 4096 bytes/],
    ['an unknown field', 'notes', { text: 'ok', extra: 1 }, /extra/],
    ['an unknown severity', 'severity', { severity: 'P5', reason: 'x' }, /severity/],
    ['a severity change without reason', 'severity', { severity: 'P1' }, /reason/],
    ['a body on acknowledge', 'acknowledge', { anything: true }, /anything/],
    ['a note that is not text', 'resolve', { note: 42 }, /note/],
  ])('refuses %s with a 400 problem', async (_case, action, body, detail) => {
    const id = await openMissingFileIncident();
    const response = await post(`/api/incidents/${id}/${action}`, body);
    expect(response.status).toBe(400);
    expect((await json(response)).detail).toMatch(detail);
  });

  it('accepts a note of exactly 4 KiB', async () => {
    const id = await openMissingFileIncident();
    expect((await post(`/api/incidents/${id}/notes`, { text: 'x'.repeat(4096) })).status).toBe(200);
  });

  it('refuses malformed JSON with a 400 problem', async () => {
    const id = await openMissingFileIncident();
    const response = await post(`/api/incidents/${id}/notes`, '{"text": "unterminated');
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      title: 'Malformed JSON body',
      detail: 'The request body is not valid JSON.',
    });
  });

  it('refuses a body over 16 KiB with a 413 problem, whatever Content-Length says', async () => {
    const id = await openMissingFileIncident();
    const body = JSON.stringify({ text: 'x'.repeat(20_000) });
    const declared = await post(`/api/incidents/${id}/notes`, body);
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const { createApp } = await import('../src/http/app');
    const chunked = await createApp().request(
      `https://monitor.test/api/incidents/${id}/notes`,
      {
        method: 'POST',
        body: stream,
        headers: {
          authorization: `Bearer ${ALICE_TOKEN}`,
          'content-type': 'application/json',
          'cf-connecting-ip': '203.0.113.77',
        },
        duplex: 'half',
      } as RequestInit,
      testEnv,
    );
    expect(chunked.status).toBe(413);
    expect((await json(chunked)).title).toBe('Payload too large');
  });

  it('refuses a non-JSON body with a 415 problem', async () => {
    const id = await openMissingFileIncident();
    const response = await post(`/api/incidents/${id}/notes`, 'text=hello', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
  });
});

describe('POST /api/sweeps', () => {
  it('answers 202 and runs an operator sweep in the background', async () => {
    const runSweep = vi.fn(async (): Promise<SweepRun> => ({
      status: 'busy',
      runningSweepId: 'x',
      since: 'y',
    }));
    const response = await call('/api/sweeps', {
      method: 'POST',
      token: ALICE_TOKEN,
      deps: { runSweep },
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/api/sweeps/latest');
    expect(await json(response)).toMatchObject({
      status: 'accepted',
      trigger: 'operator',
      requestedBy: 'operator:alice',
    });
    expect(runSweep).toHaveBeenCalledWith(expect.anything(), { trigger: 'operator' });
  });

  it('answers 409 while a sweep runs, and starts nothing', async () => {
    await monitorStateStub(testEnv).beginSweep('sweep-running-now', new Date().toISOString());
    const runSweep = vi.fn();
    const response = await call('/api/sweeps', {
      method: 'POST',
      token: ALICE_TOKEN,
      deps: { runSweep },
    });
    expect(response.status).toBe(409);
    expect(await json(response)).toMatchObject({
      title: 'A sweep is already running',
      detail: expect.stringContaining('sweep-running-now'),
    });
    expect(runSweep).not.toHaveBeenCalled();
  });

  it('needs a token', async () => {
    const runSweep = vi.fn();
    const response = await call('/api/sweeps', { method: 'POST', deps: { runSweep } });
    expect(response.status).toBe(401);
    expect(runSweep).not.toHaveBeenCalled();
  });
});
