import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentObject } from '../src/durable/incident-object';
import {
  failingFirst,
  installIncidentDependencies,
  type IncidentStub,
  makeFinding,
  MINUTE,
  RecordingChannel,
  resetIncidentDependencies,
  runAlarms,
  stubOf,
  TestClock,
} from './incident-helpers';

afterEach(() => resetIncidentDependencies());

/** Runs the alarm once per retry, moving the clock past each backoff. */
async function driveRetries(stub: IncidentStub, clock: TestClock, rounds: number) {
  for (let i = 0; i < rounds; i += 1) {
    await runAlarms(stub);
    clock.advance(60 * MINUTE);
  }
}

async function outboxRows(stub: IncidentStub) {
  return runInDurableObject(stub, (_i: IncidentObject, state) =>
    state.storage.sql
      .exec<{
        channel: string;
        event: string;
        status: string;
        attempts: number;
        idempotency_key: string;
      }>('SELECT channel, event, status, attempts, idempotency_key FROM outbox ORDER BY id')
      .toArray(),
  );
}

describe('alert outbox', () => {
  it('writes the notification to storage before any channel is called', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [slack] });
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    expect(slack.attempts).toHaveLength(0);
    expect(await outboxRows(stub)).toMatchObject([
      { channel: 'slack', event: 'opened', status: 'pending', attempts: 0 },
    ]);
  });

  it('delivers exactly once, with one idempotency key, when a channel fails 5 times then succeeds', async () => {
    const clock = new TestClock();
    const flaky = new RecordingChannel('webhook', failingFirst(5));
    installIncidentDependencies({ clock, channels: [flaky] });
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    const opened = await stub.observe(finding, 'sweep-1');
    await driveRetries(stub, clock, 8);
    const opens = flaky.attempts.filter((a) => a.message.event === 'opened');
    expect(opens.map((a) => a.ctx.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(opens.map((a) => a.ctx.idempotencyKey))).toEqual(
      new Set([`${opened.ok && opened.value.incidentId}:1`]),
    );
    expect(flaky.delivered.filter((d) => d.message.event === 'opened')).toHaveLength(1);
    expect((await outboxRows(stub))[0]).toMatchObject({ status: 'delivered', attempts: 6 });
  });

  it('waits out a Retry-After the channel asked for', async () => {
    const clock = new TestClock();
    const limited = new RecordingChannel('slack', (_m, ctx) =>
      ctx.attempt === 1
        ? { kind: 'retry', retryAfterMs: 10 * MINUTE, detail: '429' }
        : { kind: 'delivered' },
    );
    installIncidentDependencies({ clock, channels: [limited] });
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    clock.advance(9 * MINUTE);
    await runAlarms(stub);
    expect(limited.attempts).toHaveLength(1);
    clock.advance(1 * MINUTE);
    await runAlarms(stub);
    expect(limited.delivered).toHaveLength(1);
  });

  it('marks a delivery failed when its budget of 8 attempts runs out, and alerts the other channel', async () => {
    const clock = new TestClock();
    const broken = new RecordingChannel('webhook', () => ({
      kind: 'retry',
      detail: 'connection refused',
    }));
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [broken, slack] });
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.acknowledge('operator:alice');
    await driveRetries(stub, clock, 10);
    expect(broken.attempts.filter((a) => a.message.event === 'opened')).toHaveLength(8);
    const failure = slack.delivered.find((d) => d.message.event === 'delivery-failed');
    expect(failure?.message.detail).toContain('could not be delivered to webhook');
    expect(broken.attempts.some((a) => a.message.event === 'delivery-failed')).toBe(false);
    const rows = await outboxRows(stub);
    expect(rows.find((r) => r.channel === 'webhook' && r.event === 'opened')).toMatchObject({
      status: 'failed',
      attempts: 8,
    });
  });

  it('alerts the other channels at once when a channel is disabled (webhook 410)', async () => {
    const clock = new TestClock();
    const gone = new RecordingChannel('webhook', () => ({ kind: 'disabled', detail: '410 Gone' }));
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [gone, slack] });
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    expect(gone.attempts).toHaveLength(1);
    expect(slack.events()).toEqual(['opened', 'delivery-failed']);
  });

  it('treats a channel that throws as a transient failure', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    let calls = 0;
    const thrower = {
      name: 'thrower',
      accepts: () => true,
      deliver: async () => {
        calls += 1;
        if (calls === 1) throw new Error('socket hang up');
        return { kind: 'delivered' } as const;
      },
    };
    installIncidentDependencies({ clock, channels: [thrower, slack] });
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await driveRetries(stub, clock, 2);
    expect(calls).toBe(2);
    expect((await outboxRows(stub)).find((r) => r.channel === 'thrower')).toMatchObject({
      status: 'delivered',
    });
  });

  it('loses nothing when the object is evicted between attempts, and resumes', async () => {
    const clock = new TestClock();
    const flaky = new RecordingChannel('webhook', failingFirst(2));
    installIncidentDependencies({ clock, channels: [flaky] });
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    clock.advance(60 * MINUTE);
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    clock.advance(60 * MINUTE);
    await runAlarms(stub);
    expect(
      flaky.attempts.filter((a) => a.message.event === 'opened').map((a) => a.ctx.attempt),
    ).toEqual([1, 2, 3]);
    expect(flaky.delivered.filter((d) => d.message.event === 'opened')).toHaveLength(1);
  });

  it('records that no channel accepted an alert rather than dropping it silently', async () => {
    const clock = new TestClock();
    installIncidentDependencies({ clock, channels: [] });
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    const result = await stub.get();
    expect(
      result.ok &&
        result.value.timeline.some((e) => e.message.startsWith('No alert channel accepts opened')),
    ).toBe(true);
  });

  it('builds messages with runbook and incident links', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [slack] });
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      expected: 'a'.repeat(64),
      observed: 'b'.repeat(64),
      release: 'v24.11.1',
    });
    const stub = stubOf(finding);
    const opened = await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const id = opened.ok ? opened.value.incidentId : '';
    expect(slack.delivered[0]?.message).toMatchObject({
      incidentId: id,
      event: 'opened',
      severity: 'P0',
      state: 'open',
      expected: 'a'.repeat(64),
      observed: 'b'.repeat(64),
      release: 'v24.11.1',
      count: 1,
      security: true,
      disclosed: false,
      runbookUrl:
        'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/runbooks/supply-chain-compromise.md',
      incidentUrl: `https://monitor.test/api/incidents/${id}`,
    });
  });
});
