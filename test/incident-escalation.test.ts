import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IncidentObject } from '../src/durable/incident-object';
import {
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

let clock: TestClock;
let slack: RecordingChannel;
let pager: RecordingChannel;
afterEach(() => resetIncidentDependencies());

function setup(vars: Record<string, string> = {}) {
  clock = new TestClock();
  slack = new RecordingChannel('slack');
  pager = new RecordingChannel('pager');
  installIncidentDependencies({ clock, channels: [slack, pager], vars });
}

const escalations = (channel: RecordingChannel) =>
  channel.delivered
    .filter((d) => d.message.event === 'escalated')
    .map((d) => d.message.escalationLevel);

async function alarmTime(stub: IncidentStub) {
  return runInDurableObject(stub, (_i: IncidentObject, state) => state.storage.getAlarm());
}

describe('escalation', () => {
  beforeEach(() => setup());

  it('re-notifies every channel with level 1 when a P0 is not acknowledged within 15 minutes', async () => {
    const finding = makeFinding({ kind: 'artifact-hash-mismatch' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    clock.advance(14 * MINUTE);
    await runAlarms(stub);
    expect(escalations(slack)).toEqual([]);
    clock.advance(1 * MINUTE);
    await runAlarms(stub);
    expect(escalations(slack)).toEqual([1]);
    expect(escalations(pager)).toEqual([1]);
  });

  it('keeps the alarm at the earliest due timer', async () => {
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    expect(await alarmTime(stub)).toBe(clock.now + 30 * MINUTE);
  });

  it('repeats every response time with rising levels until acknowledged, then stops', async () => {
    const finding = makeFinding({ kind: 'cache-poisoned' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    for (let i = 0; i < 3; i += 1) {
      clock.advance(30 * MINUTE);
      await runAlarms(stub);
    }
    expect(escalations(slack)).toEqual([1, 2, 3]);
    await stub.acknowledge('operator:alice');
    await runAlarms(stub);
    clock.advance(120 * MINUTE);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect(escalations(slack)).toEqual([1, 2, 3]);
    expect(await alarmTime(stub)).toBeNull();
  });

  it('does not escalate an incident acknowledged in time', async () => {
    const finding = makeFinding({ kind: 'artifact-hash-mismatch' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    clock.advance(10 * MINUTE);
    await stub.acknowledge('slack:U1');
    clock.advance(60 * MINUTE);
    await runAlarms(stub);
    expect(escalations(slack)).toEqual([]);
  });

  it('fires the escalation that was due once, however often the alarm runs', async () => {
    const finding = makeFinding({ kind: 'artifact-hash-mismatch' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    clock.advance(15 * MINUTE);
    await runAlarms(stub);
    await runAlarms(stub);
    await runInDurableObject(stub, (instance: IncidentObject) => instance.alarm());
    expect(escalations(slack)).toEqual([1]);
  });

  it('shortens the deadline when severity is raised', async () => {
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.changeSeverity('operator:alice', 'P0', 'every region is slow');
    clock.advance(15 * MINUTE);
    await runAlarms(stub);
    expect(escalations(slack)).toEqual([1]);
  });
});

describe('escalation targets', () => {
  it('sends level n to the n-th configured target, the last one repeating', async () => {
    setup({ ESCALATION_TARGETS: 'slack,pager', ESCALATION_REPEAT_MINUTES: '5' });
    const finding = makeFinding({ kind: 'artifact-hash-mismatch' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    clock.advance(15 * MINUTE);
    await runAlarms(stub);
    clock.advance(5 * MINUTE);
    await runAlarms(stub);
    clock.advance(5 * MINUTE);
    await runAlarms(stub);
    expect(escalations(slack)).toEqual([1]);
    expect(escalations(pager)).toEqual([2, 3]);
  });
});
