import { describe, expect, it } from 'vitest';
import {
  planDelivery,
  retryDelayMs,
  selectChannels,
  DEFAULT_ALERT_RETRY,
} from '../src/core/alerts';
import { escalationDueAt, escalationTargetsFor } from '../src/core/escalation';
import { FINDING_KIND_NAMES, type FindingKind, type Severity } from '../src/core/findings';
import {
  isIncidentId,
  parseActor,
  publicSummaryOf,
  type IncidentState,
} from '../src/core/incident';
import { parseIncidentConfig } from '../src/core/incident-config';
import {
  isAutoResolvable,
  planCleanSweep,
  planSeverityChange,
  planTransition,
  raiseSeverity,
  type LifecycleAction,
} from '../src/core/incident-lifecycle';
import {
  containmentUrlsOf,
  limitEvidence,
  parseContainmentMode,
  planPurgeBatches,
  playbookFor,
  PLAYBOOK_STEPS,
  quarantineKeyOf,
} from '../src/core/playbooks';

const facts = (
  state: IncidentState,
  acknowledged = false,
  severity: Severity = 'P1',
  kind: FindingKind = 'cache-poisoned',
) => ({
  state,
  severity,
  kind,
  acknowledged,
});

describe('incident lifecycle', () => {
  it.each([
    ['open', false, 'acknowledge', 'operator:a', 'acknowledged'],
    ['contained', false, 'acknowledge', 'slack:U1', 'contained'],
    ['open', false, 'contain', 'system', 'contained'],
    ['acknowledged', true, 'contain', 'operator:a', 'contained'],
    ['open', false, 'resolve', 'operator:a', 'resolved'],
    ['contained', true, 'resolve', 'slack:U1', 'resolved'],
    ['resolved', false, 'reopen', 'system', 'open'],
  ] as const)(
    'allows %s (acknowledged: %s) → %s by %s, reaching %s',
    (state, acknowledged, action, actor, to) => {
      const result = planTransition(facts(state, acknowledged), action, actor);
      expect(result).toMatchObject({ ok: true, value: { from: state, to } });
    },
  );

  it.each([
    ['resolved', false, 'acknowledge', 'operator:a', 'illegal-transition'],
    ['resolved', false, 'contain', 'operator:a', 'illegal-transition'],
    ['acknowledged', true, 'acknowledge', 'operator:a', 'already'],
    ['contained', false, 'contain', 'system', 'already'],
    ['resolved', false, 'resolve', 'operator:a', 'already'],
    ['open', false, 'reopen', 'system', 'already'],
    ['open', false, 'acknowledge', 'system', 'human-required'],
    ['open', false, 'acknowledge', 'channel:slack', 'human-required'],
    ['open', false, 'resolve', 'system', 'human-required'],
    ['open', false, 'resolve', 'channel:slack', 'human-required'],
  ] as const)(
    'refuses %s (acknowledged: %s) → %s by %s as %s',
    (state, acknowledged, action, actor, refusal) => {
      const result = planTransition(facts(state, acknowledged), action as LifecycleAction, actor);
      expect(result).toMatchObject({ ok: false, error: { kind: refusal } });
    },
  );

  it('lets the system resolve only auto-resolvable incidents', () => {
    expect(
      planTransition(facts('open', false, 'P2', 'latency-degraded'), 'resolve', 'system').ok,
    ).toBe(true);
    expect(
      planTransition(facts('open', false, 'P0', 'manifest-changed'), 'resolve', 'system').ok,
    ).toBe(false);
  });

  it.each([
    ['P2', 'latency-degraded', true],
    ['P3', 'origin-unavailable', true],
    ['P2', 'artifact-missing', true],
    ['P1', 'latency-degraded', false],
    ['P0', 'origin-unavailable', false],
    ['P2', 'cache-poisoned', false],
    ['P0', 'artifact-hash-mismatch', false],
  ] as const)('auto-resolvable(%s %s) is %s', (severity, kind, expected) => {
    expect(isAutoResolvable(severity, kind)).toBe(expected);
  });

  it('raises severity only towards P0', () => {
    expect(raiseSeverity('P2', 'P1')).toBe('P1');
    expect(raiseSeverity('P1', 'P2')).toBeUndefined();
    expect(raiseSeverity('P1', 'P1')).toBeUndefined();
  });

  it.each([
    [{ state: 'open', severity: 'P2' }, 'P0', 'operator:a', 'bigger blast radius', { ok: true }],
    [{ state: 'open', severity: 'P0' }, 'P3', 'operator:a', 'false positive', { ok: true }],
    [
      { state: 'open', severity: 'P2' },
      'P0',
      'system',
      'why',
      { ok: false, error: { kind: 'human-required' } },
    ],
    [
      { state: 'open', severity: 'P2' },
      'P0',
      'operator:a',
      ' ',
      { ok: false, error: { kind: 'invalid-input' } },
    ],
    [
      { state: 'open', severity: 'P2' },
      'P2',
      'operator:a',
      'same',
      { ok: false, error: { kind: 'already' } },
    ],
    [
      { state: 'resolved', severity: 'P2' },
      'P1',
      'operator:a',
      'late',
      { ok: false, error: { kind: 'illegal-transition' } },
    ],
  ] as const)('judges a severity change %#', (current, requested, actor, reason, expected) => {
    expect(planSeverityChange(current, requested, actor, reason)).toMatchObject(expected);
  });

  it('resolves on the clean sweep that reaches the threshold, and only then', () => {
    const slow = { state: 'open', severity: 'P2', kind: 'latency-degraded' } as const;
    expect(planCleanSweep(slow, 2, 3)).toBe('count');
    expect(planCleanSweep(slow, 3, 3)).toBe('resolve');
    expect(planCleanSweep({ ...slow, severity: 'P0', kind: 'manifest-changed' }, 99, 3)).toBe(
      'count',
    );
    expect(planCleanSweep({ ...slow, state: 'resolved' }, 3, 3)).toBe('ignore');
  });
});

describe('actors and ids', () => {
  it.each([
    ['system', true],
    ['operator:alice', true],
    ['slack:U0123ABC', true],
    ['channel:webhook-1', true],
    ['operator:', false],
    ['root', false],
    ['operator:alice\nsystem', false],
  ])('parses actor %j: %s', (value, valid) => {
    expect(parseActor(value) !== undefined).toBe(valid);
  });

  it.each([
    ['0123456789abcdef0123456789abcdef', true],
    ['0123456789ABCDEF0123456789ABCDEF', false],
    ['0123456789abcdef0123456789abcde', false],
    ['../0123456789abcdef0123456789abc', false],
  ])('validates incident id %s: %s', (value, valid) => {
    expect(isIncidentId(value)).toBe(valid);
  });

  it('keeps a private incident’s detail off the public summary until disclosed', () => {
    const record = {
      kind: 'artifact-hash-mismatch',
      security: true,
      disclosed: false,
      summary: 'node.tar.gz differs',
    } as const;
    expect(publicSummaryOf(record)).toBe('Investigating an issue affecting release downloads.');
    expect(publicSummaryOf({ ...record, disclosed: true })).toBe('node.tar.gz differs');
  });
});

describe('escalation schedule', () => {
  it.each([
    ['P0', 0, 15],
    ['P1', 0, 30],
    ['P2', 0, 120],
    ['P3', 0, 1440],
    ['P0', 2, 15],
  ] as const)('%s at level %i is due %i minutes after its clock', (severity, level, minutes) => {
    expect(escalationDueAt({ since: 0, severity, level })).toBe(minutes * 60_000);
  });

  it('repeats at the configured interval after the first escalation', () => {
    expect(escalationDueAt({ since: 0, severity: 'P0', level: 1, repeatMinutes: 5 })).toBe(
      5 * 60_000,
    );
    expect(escalationDueAt({ since: 0, severity: 'P0', level: 0, repeatMinutes: 5 })).toBe(
      15 * 60_000,
    );
  });

  it('sends level n to the n-th target, the last repeating; no targets means every channel', () => {
    expect(escalationTargetsFor([], 1)).toBeUndefined();
    expect(escalationTargetsFor(['slack', 'pager+webhook'], 1)).toEqual(['slack']);
    expect(escalationTargetsFor(['slack', 'pager+webhook'], 2)).toEqual(['pager', 'webhook']);
    expect(escalationTargetsFor(['slack', 'pager+webhook'], 7)).toEqual(['pager', 'webhook']);
  });
});

describe('delivery retries', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 };

  it('backs off exponentially with jitter between half and all of the step', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, () => 0.999999)).toBe(1000);
    expect(retryDelayMs(4, policy, () => 0)).toBe(4000);
    expect(retryDelayMs(20, policy, () => 1)).toBe(60_000);
  });

  it('never retries sooner than the service asked', () => {
    expect(retryDelayMs(1, policy, () => 0, 120_000)).toBe(120_000);
  });

  it('fails a message once its budget is spent', () => {
    const retry = { kind: 'retry', detail: '503' } as const;
    expect(planDelivery(retry, 7, policy, () => 0)).toMatchObject({ status: 'pending' });
    expect(planDelivery(retry, 8, policy, () => 0)).toEqual({
      status: 'failed',
      reason: 'budget-exhausted',
    });
    expect(planDelivery({ kind: 'failed', detail: '400' }, 1, policy, () => 0)).toEqual({
      status: 'failed',
      reason: 'permanent',
    });
    expect(planDelivery({ kind: 'disabled', detail: '410' }, 1, policy, () => 0)).toEqual({
      status: 'disabled',
    });
    expect(DEFAULT_ALERT_RETRY.maxAttempts).toBe(8);
  });

  it('selects channels that accept the event, narrowed to escalation targets', () => {
    const channels = [
      { name: 'slack', accepts: () => true },
      { name: 'sentry', accepts: (severity: Severity) => severity === 'P0' },
      { name: 'webhook', accepts: () => true },
    ];
    expect(selectChannels(channels, 'P1', 'opened').map((c) => c.name)).toEqual([
      'slack',
      'webhook',
    ]);
    expect(
      selectChannels(channels, 'P0', 'escalated', { only: ['sentry'] }).map((c) => c.name),
    ).toEqual(['sentry']);
    expect(
      selectChannels(channels, 'P0', 'delivery-failed', { except: ['slack'] }).map((c) => c.name),
    ).toEqual(['sentry', 'webhook']);
  });
});

describe('playbooks', () => {
  it('gives every kind a playbook of known steps that captures evidence first and posts status last', () => {
    for (const kind of FINDING_KIND_NAMES) {
      const steps = playbookFor(kind);
      expect(steps.every((step) => PLAYBOOK_STEPS.includes(step))).toBe(true);
      expect(steps[0]).toBe('capture-evidence');
      expect(steps.at(-1)).toBe('post-status');
    }
  });

  it.each([
    [
      'artifact-hash-mismatch',
      ['capture-evidence', 'quarantine', 'purge-cache', 'reverify', 'post-status'],
    ],
    ['cache-poisoned', ['capture-evidence', 'purge-cache', 'reverify', 'post-status']],
    ['header-disclosure', ['capture-evidence', 'post-status']],
    ['cache-policy-violation', ['capture-evidence', 'post-status']],
    ['origin-unavailable', ['capture-evidence', 'post-status']],
  ] as const)('runs %s as %j', (kind, steps) => {
    expect(playbookFor(kind)).toEqual(steps);
  });

  it('purges in batches of at most 100 URLs', () => {
    const urls = Array.from({ length: 250 }, (_, i) => `https://dist.test/${i}`);
    const batches = planPurgeBatches(urls);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(urls);
  });

  it.each([
    ['enforce', 'enforce'],
    ['dry-run', 'dry-run'],
    ['Enforce', 'dry-run'],
    [' enforce', 'dry-run'],
    ['', 'dry-run'],
    [undefined, 'dry-run'],
  ])('reads CONTAINMENT_MODE %j as %s', (value, mode) => {
    expect(parseContainmentMode(value)).toBe(mode);
  });

  it('acts on the subject and the evidence URLs, http(s) only, each once', () => {
    const urls = containmentUrlsOf({
      subject: 'https://dist.test/a',
      evidence: {
        urls: [
          'https://dist.test/b',
          'https://dist.test/a',
          'javascript:alert(1)',
          42,
          'not a url',
        ],
      },
    });
    expect(urls).toEqual(['https://dist.test/a', 'https://dist.test/b']);
  });

  it('keys quarantine flags by URL path', () => {
    expect(quarantineKeyOf('https://nodejs.org/dist/v24.11.1/SHASUMS256.txt?x=1')).toBe(
      'quarantine:/dist/v24.11.1/SHASUMS256.txt',
    );
  });

  it('keeps at most the first MiB of a body', () => {
    const body = 'A'.repeat(2_000_000);
    const limited = limitEvidence({ evidence: { bodyBase64: body } });
    expect((limited.evidence['bodyBase64'] as string).length).toBe(1_398_104);
    expect(atob(limited.evidence['bodyBase64'] as string).length).toBeGreaterThanOrEqual(
      1024 * 1024,
    );
  });
});

describe('incident configuration', () => {
  it('defaults to dry-run, 3 clean sweeps, every channel, 8 alert and 5 step attempts', () => {
    const parsed = parseIncidentConfig({});
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        containmentMode: 'dry-run',
        autoResolveCleanSweeps: 3,
        escalationTargets: [],
        alertRetry: { maxAttempts: 8 },
        stepRetry: { maxAttempts: 5 },
        publicUrl: '',
      },
    });
  });

  it('reads the escalation vars', () => {
    const parsed = parseIncidentConfig({
      ESCALATION_TARGETS: 'slack, pager',
      ESCALATION_REPEAT_MINUTES: '10',
      PUBLIC_URL: 'https://m.test/',
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        escalationTargets: ['slack', 'pager'],
        escalationRepeatMinutes: 10,
        publicUrl: 'https://m.test',
      },
    });
  });

  it('names a var that does not parse', () => {
    const parsed = parseIncidentConfig({ ALERT_MAX_ATTEMPTS: 'many' });
    expect(parsed).toMatchObject({
      ok: false,
      error: { problems: [expect.stringContaining('ALERT_MAX_ATTEMPTS')] },
    });
  });
});
