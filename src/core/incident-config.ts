/**
 * The incident store's configuration: containment mode, auto-resolve threshold, escalation
 * targets and schedule, retry budgets, and where alert links point.
 *
 * Contract: parsed from the Worker's vars (plain strings). Shared vars go through
 * `parseMonitorConfig`, so they mean the same here as everywhere else. The incident-only
 * vars are optional (not in wrangler.toml until a deployment needs them):
 * `ESCALATION_TARGETS` (comma-separated channel names, level n goes to the n-th, the last
 * one repeats; empty = every channel), `ESCALATION_REPEAT_MINUTES` (empty = the severity's
 * response time), `ALERT_MAX_ATTEMPTS` (default 8), `PLAYBOOK_MAX_ATTEMPTS` (default 5),
 * `ALERT_CAP_PER_SWEEP` (default 10: incidents that alert per sweep report; the rest are
 * held back in their timelines and named by one cap alert).
 */
import { parseMonitorConfig, type ConfigError } from './config';
import { DEFAULT_ALERT_RETRY, type RetryPolicy } from './alerts';
import type { ContainmentMode } from './playbooks';
import { err, ok, type Result } from './result';

export interface IncidentConfig {
  readonly containmentMode: ContainmentMode;
  /** Consecutive clean sweeps after which an auto-resolvable incident resolves. */
  readonly autoResolveCleanSweeps: number;
  /** Channel names per escalation level; empty = re-notify every channel. */
  readonly escalationTargets: readonly string[];
  /** Minutes between re-notifications; `undefined` = the severity's response time. */
  readonly escalationRepeatMinutes?: number;
  readonly alertRetry: RetryPolicy;
  readonly stepRetry: RetryPolicy;
  readonly runbookBaseUrl: string;
  /** No trailing slash; empty = links relative to the monitor's origin. */
  readonly publicUrl: string;
  /** Incidents that may alert per sweep report; the others' alerts are held back. */
  readonly alertCapPerSweep: number;
}

export const DEFAULT_ALERT_CAP_PER_SWEEP = 10;

export const DEFAULT_STEP_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
};

export const DEFAULT_INCIDENT_CONFIG: IncidentConfig = {
  containmentMode: 'dry-run',
  autoResolveCleanSweeps: 3,
  escalationTargets: [],
  alertRetry: DEFAULT_ALERT_RETRY,
  stepRetry: DEFAULT_STEP_RETRY,
  runbookBaseUrl: 'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/runbooks',
  publicUrl: '',
  alertCapPerSweep: DEFAULT_ALERT_CAP_PER_SWEEP,
};

const SHARED_VARS = [
  'CONTAINMENT_MODE',
  'AUTO_RESOLVE_CLEAN_SWEEPS',
  'PUBLIC_URL',
  'RUNBOOK_BASE_URL',
];

export function parseIncidentConfig(
  vars: Readonly<Record<string, unknown>>,
): Result<IncidentConfig, ConfigError> {
  const shared = parseMonitorConfig(
    Object.fromEntries(
      SHARED_VARS.filter((name) => vars[name] !== undefined).map((name) => [name, vars[name]]),
    ),
  );
  const problems: string[] = shared.ok ? [] : [...shared.error.problems];
  const int = (name: string, min: number, max: number): number | undefined => {
    const value = vars[name];
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) return undefined;
    const parsed = Number(value);
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    problems.push(`${name}: must be an integer from ${min} to ${max}`);
    return undefined;
  };
  const repeatMinutes = int('ESCALATION_REPEAT_MINUTES', 1, 7 * 24 * 60);
  const alertAttempts = int('ALERT_MAX_ATTEMPTS', 1, 50);
  const stepAttempts = int('PLAYBOOK_MAX_ATTEMPTS', 1, 50);
  const alertCap = int('ALERT_CAP_PER_SWEEP', 1, 1000);
  const targets = typeof vars['ESCALATION_TARGETS'] === 'string' ? vars['ESCALATION_TARGETS'] : '';
  if (!shared.ok || problems.length > 0) return err({ kind: 'invalid-config', problems });
  return ok({
    containmentMode: shared.value.CONTAINMENT_MODE,
    autoResolveCleanSweeps: shared.value.AUTO_RESOLVE_CLEAN_SWEEPS,
    escalationTargets: targets
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    ...(repeatMinutes !== undefined && { escalationRepeatMinutes: repeatMinutes }),
    alertRetry: {
      ...DEFAULT_ALERT_RETRY,
      ...(alertAttempts !== undefined && { maxAttempts: alertAttempts }),
    },
    stepRetry: {
      ...DEFAULT_STEP_RETRY,
      ...(stepAttempts !== undefined && { maxAttempts: stepAttempts }),
    },
    runbookBaseUrl: shared.value.RUNBOOK_BASE_URL,
    publicUrl: shared.value.PUBLIC_URL ?? '',
    alertCapPerSweep: alertCap ?? DEFAULT_ALERT_CAP_PER_SWEEP,
  });
}
