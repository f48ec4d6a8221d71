import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlertChannels } from '../src/adapters/alert-channels';
import type { IncidentObject } from '../src/durable/incident-object';
import {
  installIncidentDependencies,
  makeFinding,
  MINUTE,
  resetIncidentDependencies,
  runAlarms,
  stubOf,
  TestClock,
} from './incident-helpers';

afterEach(() => resetIncidentDependencies());

const SLACK = 'https://hooks.slack.com/services/T000/B000/outboxSecretPath';
const RECEIVER = 'https://receiver.test/hooks/outbox-secret';
const SECRET = `whsec_${btoa('k'.repeat(32))}`;

type Answer = number | 'hang' | { status: number; retryAfter: string };

/** Per-URL scripted receivers; anything else (the playbook's re-verification) gets a 404. */
function receivers(scripts: Record<string, Answer[]>) {
  const seen: Record<string, { body: string; headers: Headers }[]> = {};
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const script = scripts[request.url];
    if (script === undefined) return new Response('not here', { status: 404 });
    (seen[request.url] ??= []).push({ body: await request.text(), headers: request.headers });
    const answer = script.shift() ?? 200;
    if (answer === 'hang') {
      return new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    }
    if (typeof answer === 'number') return new Response('ok', { status: answer });
    return new Response('slow down', {
      status: answer.status,
      headers: { 'retry-after': answer.retryAfter },
    });
  });
  return seen;
}

async function outboxRows(stub: DurableObjectStub<IncidentObject>) {
  return runInDurableObject(stub, (_i: IncidentObject, state) =>
    state.storage.sql
      .exec<{ channel: string; event: string; status: string; attempts: number }>(
        'SELECT channel, event, status, attempts FROM outbox ORDER BY id',
      )
      .toArray(),
  );
}

describe('real channels through the incident outbox', () => {
  it('retries 429 (after Retry-After), 500 and a hanging endpoint, and delivers each alert once', async () => {
    const clock = new TestClock();
    installIncidentDependencies({
      clock,
      channels: [],
      vars: {
        SLACK_WEBHOOK_URL: SLACK,
        ALERT_WEBHOOK_URLS: RECEIVER,
        ALERT_WEBHOOK_SECRET: SECRET,
      },
      deps: { channels: (env) => createAlertChannels(env, { transport: { timeoutMs: 50 } }) },
    });
    const seen = receivers({
      [SLACK]: [{ status: 429, retryAfter: '600' }],
      [RECEIVER]: [500, 'hang'],
    });
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding) as DurableObjectStub<IncidentObject>;
    await stub.observe(finding, 'sweep-1');

    await runAlarms(stub);
    expect(seen[SLACK]).toHaveLength(1);
    expect(seen[RECEIVER]).toHaveLength(1);

    // The webhook's second attempt (backoff 15–30 s) hangs and times out; Slack still waits.
    clock.advance(1 * MINUTE);
    await runAlarms(stub);
    expect(seen[SLACK]).toHaveLength(1);
    expect(seen[RECEIVER]).toHaveLength(2);

    // Nine minutes in: the webhook got through on its third attempt; Slack's 600 s are not up.
    clock.advance(8 * MINUTE);
    await runAlarms(stub);
    expect(seen[SLACK]).toHaveLength(1);
    expect(seen[RECEIVER]).toHaveLength(3);

    clock.advance(1 * MINUTE);
    await runAlarms(stub);
    expect(seen[SLACK]).toHaveLength(2);
    expect(seen[RECEIVER]).toHaveLength(3);
    expect(new Set(seen[RECEIVER]!.map((r) => r.headers.get('webhook-id'))).size).toBe(1);
    expect(await outboxRows(stub)).toEqual([
      { channel: 'slack', event: 'opened', status: 'delivered', attempts: 2 },
      { channel: 'webhook:receiver.test', event: 'opened', status: 'delivered', attempts: 3 },
    ]);
    const detail = await stub.get();
    const lines = detail.ok ? detail.value.timeline.map((entry) => entry.message).join('\n') : '';
    expect(lines).toMatch(/retry in \d+ s: HTTP 429/);
    expect(lines).toMatch(/timed out/);
    expect(lines).not.toContain('outboxSecretPath');
    expect(lines).not.toContain('outbox-secret');
  });

  it('records a webhook that answers 410 as disabled and alerts the other channels', async () => {
    const clock = new TestClock();
    installIncidentDependencies({
      clock,
      channels: [],
      vars: {
        SLACK_WEBHOOK_URL: SLACK,
        ALERT_WEBHOOK_URLS: RECEIVER,
        ALERT_WEBHOOK_SECRET: SECRET,
      },
      deps: { channels: (env) => createAlertChannels(env, { transport: { timeoutMs: 50 } }) },
    });
    const seen = receivers({ [SLACK]: [], [RECEIVER]: [410] });
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding) as DurableObjectStub<IncidentObject>;
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    clock.advance(MINUTE);
    await runAlarms(stub);
    expect(await outboxRows(stub)).toEqual([
      { channel: 'slack', event: 'opened', status: 'delivered', attempts: 1 },
      { channel: 'webhook:receiver.test', event: 'opened', status: 'disabled', attempts: 1 },
      { channel: 'slack', event: 'delivery-failed', status: 'delivered', attempts: 1 },
    ]);
    expect(seen[RECEIVER]).toHaveLength(1);
  });
});
