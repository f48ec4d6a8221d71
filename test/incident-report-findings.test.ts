import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { incidentIdOf } from '../src/core/incident';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import { reportSweepFindings } from '../src/jobs/report-findings';
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

let sweepNumber = 0;
/** The next sweep, five minutes after the last. */
function sweep(
  findings: Parameters<typeof reportSweepFindings>[1]['findings'],
  checkedKinds?: Parameters<typeof reportSweepFindings>[1]['checkedKinds'],
) {
  sweepNumber += 1;
  clock.advance(5 * MINUTE);
  return reportSweepFindings(env, {
    sweepId: `sweep-${sweepNumber}`,
    findings,
    now: new Date(clock.now),
    ...(checkedKinds && { checkedKinds }),
  });
}

async function stateOf(finding: Parameters<typeof stubOf>[0]) {
  const result = await stubOf(finding).get();
  return result.ok ? result.value.incident : undefined;
}

describe('reportSweepFindings', () => {
  it('opens, updates and reopens incidents, reporting their ids', async () => {
    const slow = makeFinding({ kind: 'latency-degraded' });
    const missing = makeFinding({ kind: 'artifact-missing' });
    const slowId = await incidentIdOf(slow.fingerprint);
    const missingId = await incidentIdOf(missing.fingerprint);
    expect(await sweep([slow, missing])).toEqual({
      opened: [slowId, missingId],
      updated: [],
      reopened: [],
    });
    await stubOf(missing).resolve('operator:alice', 'restored');
    expect(await sweep([slow, missing])).toEqual({
      opened: [],
      updated: [slowId],
      reopened: [missingId],
    });
  });

  it('files two sightings of one problem in one sweep as one observation, at the higher severity', async () => {
    const partial = makeFinding({ kind: 'origin-unavailable', severity: 'P1' });
    const full = { ...partial, severity: 'P0' as const };
    const outcome = await sweep([partial, full]);
    expect(outcome.opened).toHaveLength(1);
    expect(await stateOf(partial)).toMatchObject({ severity: 'P0', count: 1 });
  });

  it('auto-resolves a P2 availability incident after 3 consecutive clean sweeps', async () => {
    const slow = makeFinding({ kind: 'latency-degraded' });
    await sweep([slow]);
    await sweep([]);
    await sweep([]);
    expect((await stateOf(slow))?.state).toBe('open');
    await sweep([]);
    expect(await stateOf(slow)).toMatchObject({
      state: 'resolved',
      resolvedBy: 'system',
      cleanStreak: 3,
    });
    await runAlarms(stubOf(slow));
    expect(slack.events()).toContain('resolved');
  });

  it('restarts the clean count when the finding is seen again', async () => {
    const slow = makeFinding({ kind: 'latency-degraded' });
    await sweep([slow]);
    await sweep([]);
    await sweep([]);
    await sweep([slow]);
    await sweep([]);
    await sweep([]);
    expect((await stateOf(slow))?.state).toBe('open');
  });

  it('never auto-resolves a P0 integrity incident, however many clean sweeps pass', async () => {
    const tampered = makeFinding({ kind: 'artifact-hash-mismatch' });
    await sweep([tampered]);
    for (let i = 0; i < 6; i += 1) await sweep([]);
    expect(await stateOf(tampered)).toMatchObject({ state: 'open', cleanStreak: 6 });
  });

  it('counts a sweep as clean only for the kinds it checked', async () => {
    const slow = makeFinding({ kind: 'latency-degraded' });
    await sweep([slow]);
    for (let i = 0; i < 3; i += 1) await sweep([], ['index-invalid']);
    expect(await stateOf(slow)).toMatchObject({ state: 'open', cleanStreak: 0 });
    for (let i = 0; i < 3; i += 1) await sweep([], ['latency-degraded']);
    expect((await stateOf(slow))?.state).toBe('resolved');
  });

  it('honours a configured auto-resolve threshold', async () => {
    installIncidentDependencies({
      clock,
      channels: [slack],
      vars: { AUTO_RESOLVE_CLEAN_SWEEPS: '1' },
    });
    const slow = makeFinding({ kind: 'latency-degraded' });
    await sweep([slow]);
    await sweep([]);
    expect((await stateOf(slow))?.state).toBe('resolved');
  });

  it('keeps the index in step, so listings show the new state', async () => {
    const slow = makeFinding({ kind: 'latency-degraded' });
    await sweep([slow]);
    const id = await incidentIdOf(slow.fingerprint);
    expect((await incidentIndexStub(env).openIncidents()).map((r) => r.id)).toContain(id);
    for (let i = 0; i < 3; i += 1) await sweep([]);
    expect((await incidentIndexStub(env).openIncidents()).map((r) => r.id)).not.toContain(id);
  });
});
