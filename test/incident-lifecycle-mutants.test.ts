/**
 * The incident state machine, transition by transition: the alert each raises and whether it
 * acknowledges, which StrykerJS showed no test compared (docs/reliability.md, "Mutation
 * testing"). The `event` decides which alert humans get; `acknowledges` stops escalation.
 */
import { describe, expect, it } from 'vitest';
import type { FindingKind, Severity } from '../src/core/findings';
import type { Actor, IncidentState } from '../src/core/incident';
import {
  planSeverityChange,
  planTransition,
  type LifecycleAction,
} from '../src/core/incident-lifecycle';

const facts = (
  state: IncidentState,
  acknowledged: boolean,
  severity: Severity = 'P1',
  kind: FindingKind = 'cache-poisoned',
) => ({ state, acknowledged, severity, kind });

describe('planTransition: what each allowed change raises', () => {
  it.each([
    ['open', false, 'acknowledge', 'operator:a', 'acknowledged', 'acknowledged', true],
    ['contained', false, 'acknowledge', 'slack:U1', 'contained', 'acknowledged', true],
    ['open', false, 'contain', 'system', 'contained', 'contained', false],
    ['open', false, 'contain', 'operator:a', 'contained', 'contained', true],
    ['acknowledged', true, 'contain', 'operator:a', 'contained', 'contained', false],
    ['open', false, 'resolve', 'operator:a', 'resolved', 'resolved', false],
    ['resolved', false, 'reopen', 'system', 'open', 'reopened', false],
  ] as const)(
    '%s (acknowledged: %s) → %s by %s: %s, alert %s, acknowledges %s',
    (state, acknowledged, action, actor, to, event, acknowledges) => {
      expect(planTransition(facts(state, acknowledged), action, actor)).toEqual({
        ok: true,
        value: { from: state, to, event, acknowledges },
      });
    },
  );
});

describe('planTransition: who may resolve', () => {
  const quiet = facts('open', false, 'P2', 'latency-degraded');

  it('lets the system resolve an auto-resolvable incident, and no alert channel', () => {
    expect(planTransition(quiet, 'resolve', 'system')).toMatchObject({ ok: true });
    expect(planTransition(quiet, 'resolve', 'channel:slack')).toMatchObject({
      ok: false,
      error: { kind: 'human-required', operation: 'resolve' },
    });
  });

  it.each([
    ['P0', 'artifact-hash-mismatch'],
    ['P1', 'cache-poisoned'],
    ['P2', 'manifest-changed'],
  ] as const)('refuses the system a %s %s, saying a person must', (severity, kind) => {
    const result = planTransition(facts('open', false, severity, kind), 'resolve', 'system');
    expect(result).toEqual({
      ok: false,
      error: {
        kind: 'human-required',
        operation: 'resolve',
        reason: `${severity} ${kind} incidents are resolved only by a person`,
      },
    });
  });

  it('refuses an acknowledgement by anyone but a person, whatever the incident', () => {
    for (const actor of ['system', 'channel:webhook'] as Actor[]) {
      const result = planTransition(facts('open', false), 'acknowledge' as LifecycleAction, actor);
      expect(result).toMatchObject({
        ok: false,
        error: { kind: 'human-required', operation: 'acknowledge' },
      });
    }
  });
});

describe('planSeverityChange', () => {
  it('names the operation it refuses', () => {
    expect(planSeverityChange(facts('open', false), 'P0', 'system', 'worse')).toMatchObject({
      ok: false,
      error: { kind: 'human-required', operation: 'change-severity' },
    });
    expect(planSeverityChange(facts('resolved', false), 'P0', 'operator:a', 'worse')).toEqual({
      ok: false,
      error: { kind: 'illegal-transition', from: 'resolved', operation: 'change-severity' },
    });
  });
});
