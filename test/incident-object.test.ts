import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { incidentIdOf } from '../src/core/incident';
import type { IncidentObject } from '../src/durable/incident-object';
import { incidentIndexStub, incidentStubById } from '../src/durable/incident-stubs';
import {
  installIncidentDependencies,
  makeFinding,
  MINUTE,
  RecordingChannel,
  resetIncidentDependencies,
  runAlarms,
  stubOf,
  TestClock,
} from './incident-helpers';

let clock: TestClock;
let slack: RecordingChannel;
beforeEach(() => {
  clock = new TestClock();
  slack = new RecordingChannel('slack');
  installIncidentDependencies({ clock, channels: [slack] });
});
afterEach(() => resetIncidentDependencies());

async function detail(stub: ReturnType<typeof stubOf>) {
  const result = await stub.get();
  if (!result.ok) throw new Error(`no incident: ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('observations', () => {
  it('opens an incident whose id is the first 32 hex of SHA-256(fingerprint)', async () => {
    const finding = makeFinding({ kind: 'artifact-hash-mismatch' });
    const result = await stubOf(finding).observe(finding, 'sweep-1');
    const id = await incidentIdOf(finding.fingerprint);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(result).toEqual({
      ok: true,
      value: {
        outcome: 'opened',
        incidentId: id,
        severity: 'P0',
        alerts: { queued: ['opened'], held: [] },
      },
    });
    const { incident } = await detail(stubOf(finding));
    expect(incident).toMatchObject({
      state: 'open',
      severity: 'P0',
      count: 1,
      security: true,
      disclosed: false,
    });
  });

  it('counts a finding seen again in the open incident instead of opening another', async () => {
    const first = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(first);
    await stub.observe(first, 'sweep-1');
    clock.advance(5 * MINUTE);
    const again = {
      ...first,
      observedAt: new Date(clock.now).toISOString(),
      summary: 'still slow',
    };
    const result = await stub.observe(again, 'sweep-2');
    expect(result).toMatchObject({ ok: true, value: { outcome: 'updated' } });
    const { incident, timeline } = await detail(stub);
    expect(incident).toMatchObject({
      count: 2,
      firstSeen: first.observedAt,
      lastSeen: again.observedAt,
      summary: 'still slow',
    });
    expect(timeline.filter((e) => e.type === 'observation')).toHaveLength(2);
    expect(timeline.filter((e) => e.type === 'state-change')).toHaveLength(1);
  });

  it('counts one sweep once even when it reports the finding twice', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.observe(finding, 'sweep-1');
    expect((await detail(stub)).incident.count).toBe(1);
  });

  it('reopens a resolved incident when the finding is seen again, and says so', async () => {
    const finding = makeFinding({ kind: 'artifact-missing' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.resolve('operator:alice', 'file restored');
    clock.advance(30 * MINUTE);
    const result = await stub.observe(
      { ...finding, observedAt: new Date(clock.now).toISOString() },
      'sweep-2',
    );
    expect(result).toMatchObject({ ok: true, value: { outcome: 'reopened' } });
    const { incident, timeline } = await detail(stub);
    expect(incident).toMatchObject({
      state: 'open',
      reopenCount: 1,
      count: 2,
      openedAt: new Date(clock.now).toISOString(),
    });
    expect(incident.resolvedAt).toBeUndefined();
    expect(
      timeline.some((e) => e.type === 'state-change' && e.message.startsWith('Reopened')),
    ).toBe(true);
    await runAlarms(stub);
    expect(slack.events()).toEqual(['opened', 'resolved', 'reopened']);
  });

  it('raises severity when a sighting is more severe, and records it', async () => {
    const finding = makeFinding({ kind: 'origin-unavailable', severity: 'P1' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.observe({ ...finding, severity: 'P0' }, 'sweep-2');
    const { incident, timeline } = await detail(stub);
    expect(incident.severity).toBe('P0');
    expect(timeline.find((e) => e.type === 'severity-change')?.message).toContain('from P1 to P0');
    await runAlarms(stub);
    expect(slack.events()).toEqual(['opened', 'severity-changed']);
  });

  it('never lowers severity on a calmer sighting', async () => {
    const finding = makeFinding({ kind: 'origin-unavailable', severity: 'P0' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.observe({ ...finding, severity: 'P1' }, 'sweep-2');
    expect((await detail(stub)).incident.severity).toBe('P0');
  });

  it('still opens the incident when the alert channels cannot be built, and records why', async () => {
    installIncidentDependencies({
      clock,
      channels: [],
      deps: {
        channels: () => {
          throw new Error('SLACK_WEBHOOK_URL is garbage');
        },
      },
    });
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    expect(await stub.observe(finding, 'sweep-1')).toMatchObject({
      ok: true,
      value: { outcome: 'opened' },
    });
    const { timeline } = await detail(stub);
    expect(
      timeline.some(
        (e) => e.type === 'error' && e.message.includes('SLACK_WEBHOOK_URL is garbage'),
      ),
    ).toBe(true);
  });

  it('refuses a finding whose fingerprint is not kind + subject', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const result = await stubOf(finding).observe(
      { ...finding, fingerprint: 'something else' },
      'sweep-1',
    );
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid-input' } });
  });
});

describe('state transitions', () => {
  it('moves open → acknowledged → contained → resolved, each recorded with its actor', async () => {
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    expect(await stub.acknowledge('slack:U123')).toMatchObject({
      ok: true,
      value: { state: 'acknowledged', acknowledgedBy: 'slack:U123' },
    });
    expect(await stub.contain('operator:alice', 'purged by hand')).toMatchObject({
      ok: true,
      value: { state: 'contained' },
    });
    expect(await stub.resolve('operator:alice', 'verified from three networks')).toMatchObject({
      ok: true,
      value: { state: 'resolved', resolvedBy: 'operator:alice' },
    });
    const { timeline } = await detail(stub);
    expect(
      timeline.filter((e) => e.type === 'state-change').map((e) => [e.actor, e.message]),
    ).toEqual([
      ['system', 'Opened as P1: The cached response differs from the origin'],
      ['slack:U123', 'open → acknowledged'],
      ['operator:alice', 'acknowledged → contained: purged by hand'],
      ['operator:alice', 'contained → resolved: verified from three networks'],
    ]);
  });

  it.each([
    ['acknowledging a resolved incident', 'acknowledge', 'operator:alice', 'illegal-transition'],
    ['containing a resolved incident', 'contain', 'operator:alice', 'illegal-transition'],
    ['resolving it twice', 'resolve', 'operator:alice', 'already'],
  ] as const)('refuses %s', async (_name, action, actor, refusal) => {
    const finding = makeFinding({ kind: 'artifact-missing' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.resolve('operator:bob');
    const result =
      action === 'acknowledge'
        ? await stub.acknowledge(actor)
        : action === 'contain'
          ? await stub.contain(actor)
          : await stub.resolve(actor);
    expect(result).toMatchObject({ ok: false, error: { kind: refusal } });
  });

  it('refuses to let the system resolve a P0 integrity incident', async () => {
    const finding = makeFinding({ kind: 'manifest-changed' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    expect(await stub.resolve('system')).toMatchObject({
      ok: false,
      error: { kind: 'human-required', operation: 'resolve' },
    });
    expect((await detail(stub)).incident.state).toBe('open');
  });

  it('refuses an acknowledgement by the system or a channel', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    expect(await stub.acknowledge('system')).toMatchObject({
      ok: false,
      error: { kind: 'human-required' },
    });
    expect(await stub.acknowledge('channel:slack')).toMatchObject({
      ok: false,
      error: { kind: 'human-required' },
    });
  });

  it('refuses an actor string outside the vocabulary', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    expect(await stub.acknowledge('admin')).toMatchObject({
      ok: false,
      error: { kind: 'invalid-input' },
    });
  });

  it('answers not-found for an incident that was never observed', async () => {
    const stub = stubOf(makeFinding({ kind: 'latency-degraded' }));
    expect(await stub.acknowledge('operator:alice')).toEqual({
      ok: false,
      error: { kind: 'not-found' },
    });
  });
});

describe('operator actions', () => {
  it('changes severity with a reason, recorded in the timeline and alerted', async () => {
    const finding = makeFinding({ kind: 'artifact-missing' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    const result = await stub.changeSeverity('operator:alice', 'P1', 'the current LTS installer');
    expect(result).toMatchObject({ ok: true, value: { severity: 'P1' } });
    const entry = (await detail(stub)).timeline.find((e) => e.type === 'severity-change');
    expect(entry).toMatchObject({
      actor: 'operator:alice',
      message: 'Severity changed from P2 to P1: the current LTS installer',
    });
    await runAlarms(stub);
    expect(slack.delivered.at(-1)?.message).toMatchObject({
      event: 'severity-changed',
      severity: 'P1',
    });
  });

  it('refuses a severity change without a reason', async () => {
    const finding = makeFinding({ kind: 'artifact-missing' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    expect(await stub.changeSeverity('operator:alice', 'P0', '  ')).toMatchObject({
      ok: false,
      error: { kind: 'invalid-input' },
    });
  });

  it('appends notes with their author', async () => {
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.addNote('operator:alice', 'CDN support case opened');
    expect((await detail(stub)).timeline.at(-1)).toMatchObject({
      type: 'note',
      actor: 'operator:alice',
      message: 'CDN support case opened',
    });
  });

  it('discloses a private incident once, and the index summary then shows its detail', async () => {
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      summary: 'node-v24.tar.gz has other bytes',
    });
    const stub = stubOf(finding);
    const opened = await stub.observe(finding, 'sweep-1');
    const id = opened.ok ? opened.value.incidentId : '';
    const before = (await incidentIndexStub(env).list()).find((s) => s.id === id);
    expect(before?.publicSummary).toBe('Investigating an issue affecting release downloads.');
    expect(await stub.disclose('operator:alice')).toMatchObject({
      ok: true,
      value: { disclosed: true },
    });
    expect(await stub.disclose('operator:alice')).toMatchObject({
      ok: false,
      error: { kind: 'already' },
    });
    const after = (await incidentIndexStub(env).list()).find((s) => s.id === id);
    expect(after).toMatchObject({
      disclosed: true,
      publicSummary: 'node-v24.tar.gz has other bytes',
    });
  });

  it('renders the post-mortem draft from the incident', async () => {
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    const markdown = await stub.postmortem();
    expect(
      markdown.ok &&
        markdown.value.startsWith(
          '# Post-incident review: The cached response differs from the origin',
        ),
    ).toBe(true);
  });
});

describe('index', () => {
  it('lists open incidents first, newest first, and maps ids to fingerprints', async () => {
    const old = makeFinding({ kind: 'latency-degraded' });
    const resolved = makeFinding({ kind: 'artifact-missing' });
    const newest = makeFinding({ kind: 'cache-poisoned' });
    await stubOf(old).observe(old, 'sweep-1');
    clock.advance(MINUTE);
    await stubOf(resolved).observe(resolved, 'sweep-2');
    await stubOf(resolved).resolve('operator:alice');
    clock.advance(MINUTE);
    await stubOf(newest).observe(newest, 'sweep-3');
    const ours = new Set([old, resolved, newest].map((f) => f.fingerprint));
    const listed = (await incidentIndexStub(env).list()).filter((s) => ours.has(s.fingerprint));
    expect(listed.map((s) => [s.kind, s.state])).toEqual([
      ['cache-poisoned', 'open'],
      ['latency-degraded', 'open'],
      ['artifact-missing', 'resolved'],
    ]);
    const id = await incidentIdOf(newest.fingerprint);
    const stub = await incidentStubById(env, id);
    expect(stub && (await stub.get()).ok).toBe(true);
  });

  it('rejects ids that are not 32 lowercase hex digits', async () => {
    expect(await incidentStubById(env, '../../etc')).toBeUndefined();
    expect(await incidentIndexStub(env).lookup('ABCDEF0123456789ABCDEF0123456789')).toBeUndefined();
  });

  it('keeps the newest summary when an older version arrives late', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.acknowledge('operator:alice');
    const summary = (await incidentIndexStub(env).list()).find(
      (s) => s.fingerprint === finding.fingerprint,
    )!;
    expect(
      await incidentIndexStub(env).upsert({
        ...summary,
        state: 'open',
        version: summary.version - 1,
      }),
    ).toBe(false);
    const again = (await incidentIndexStub(env).list()).find(
      (s) => s.fingerprint === finding.fingerprint,
    )!;
    expect(again.state).toBe('acknowledged');
  });
});

describe('storage', () => {
  it('creates its tables in the constructor', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const tables = await runInDurableObject(stubOf(finding), (_instance: IncidentObject, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((r) => r.name),
    );
    expect(tables).toEqual(
      expect.arrayContaining(['incident', 'outbox', 'playbook_steps', 'schedule', 'timeline']),
    );
  });
});
