/**
 * The incident store's configuration: the vars StrykerJS showed no test read
 * (docs/reliability.md, "Mutation testing"). CONTAINMENT_MODE=enforce silently read as
 * dry-run would leave every playbook a rehearsal; a cap or budget read wrong changes who
 * gets paged and how often.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RETRY } from '../src/core/alerts';
import {
  DEFAULT_INCIDENT_CONFIG,
  DEFAULT_STEP_RETRY,
  parseIncidentConfig,
} from '../src/core/incident-config';

describe('parseIncidentConfig', () => {
  it('reads every shared var it is given', () => {
    const parsed = parseIncidentConfig({
      CONTAINMENT_MODE: 'enforce',
      AUTO_RESOLVE_CLEAN_SWEEPS: '7',
      RUNBOOK_BASE_URL: 'https://runbooks.test/r',
      PUBLIC_URL: 'https://m.test',
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        containmentMode: 'enforce',
        autoResolveCleanSweeps: 7,
        runbookBaseUrl: 'https://runbooks.test/r',
        publicUrl: 'https://m.test',
      },
    });
  });

  it('matches its documented defaults with no vars at all', () => {
    expect(parseIncidentConfig({})).toEqual({ ok: true, value: DEFAULT_INCIDENT_CONFIG });
    expect(DEFAULT_INCIDENT_CONFIG).toMatchObject({
      containmentMode: 'dry-run',
      escalationTargets: [],
      runbookBaseUrl: 'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/runbooks',
      publicUrl: '',
      alertCapPerSweep: 10,
    });
    expect(DEFAULT_STEP_RETRY).toEqual({
      maxAttempts: 5,
      baseDelayMs: 30_000,
      maxDelayMs: 900_000,
    });
  });

  it('takes empty or blank integer vars as unset', () => {
    expect(
      parseIncidentConfig({ ESCALATION_REPEAT_MINUTES: '  ', ALERT_MAX_ATTEMPTS: '' }),
    ).toEqual({ ok: true, value: DEFAULT_INCIDENT_CONFIG });
  });

  it.each([
    ['ESCALATION_REPEAT_MINUTES', 1, 10_080],
    ['ALERT_MAX_ATTEMPTS', 1, 50],
    ['PLAYBOOK_MAX_ATTEMPTS', 1, 50],
    ['ALERT_CAP_PER_SWEEP', 1, 1000],
  ])('accepts %s from %i to %i and refuses one past each end', (name, min, max) => {
    for (const value of [min, max]) {
      expect(parseIncidentConfig({ [name]: String(value) }).ok, `${name}=${value}`).toBe(true);
    }
    for (const value of [min - 1, max + 1, 2.5]) {
      expect(parseIncidentConfig({ [name]: String(value) }), `${name}=${value}`).toEqual({
        ok: false,
        error: {
          kind: 'invalid-config',
          problems: [`${name}: must be an integer from ${min} to ${max}`],
        },
      });
    }
  });

  it('puts each budget where it belongs, keeping the other retry settings', () => {
    const parsed = parseIncidentConfig({
      ALERT_MAX_ATTEMPTS: '3',
      PLAYBOOK_MAX_ATTEMPTS: '4',
      ALERT_CAP_PER_SWEEP: '2',
      ESCALATION_REPEAT_MINUTES: '20',
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        alertRetry: { ...DEFAULT_ALERT_RETRY, maxAttempts: 3 },
        stepRetry: { ...DEFAULT_STEP_RETRY, maxAttempts: 4 },
        alertCapPerSweep: 2,
        escalationRepeatMinutes: 20,
      },
    });
  });

  it('reports a bad shared var and a bad incident var together', () => {
    const parsed = parseIncidentConfig({ AUTO_RESOLVE_CLEAN_SWEEPS: '0', ALERT_MAX_ATTEMPTS: '0' });
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.error.problems;
    expect(problems.some((problem) => problem.includes('AUTO_RESOLVE_CLEAN_SWEEPS'))).toBe(true);
    expect(problems.some((problem) => problem.includes('ALERT_MAX_ATTEMPTS'))).toBe(true);
  });
});
