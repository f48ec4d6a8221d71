/**
 * Response KPIs per severity from the incident listing: how long acknowledging, containing
 * and resolving took (measured from when the incident last opened), and SLA breaches —
 * acknowledged later than the severity's response time (RESPONSE_MINUTES), or still
 * unacknowledged and unresolved past it. Pure: `now` is a parameter.
 */
import { RESPONSE_MINUTES, SEVERITIES, type Severity } from '../core/findings';
import type { IncidentSummary } from '../core/incident';

/** Durations of one response step, in seconds. */
export interface DurationStats {
  readonly count: number;
  readonly sumSeconds: number;
  readonly p50Seconds?: number;
  readonly p90Seconds?: number;
  readonly maxSeconds?: number;
}

export interface SeverityKpis {
  readonly responseMinutes: number;
  readonly acknowledge: DurationStats;
  readonly contain: DurationStats;
  readonly resolve: DurationStats;
  /** Acknowledged late, plus those still waiting past their response time. */
  readonly slaBreaches: number;
  /** Of those, the ones still waiting now. */
  readonly slaBreachesOpen: number;
}

export type ResponseKpis = Record<Severity, SeverityKpis>;

export type KpiIncident = Pick<
  IncidentSummary,
  'severity' | 'state' | 'openedAt' | 'acknowledgedAt' | 'containedAt' | 'resolvedAt'
>;

/** Nearest-rank percentile of sorted values. */
function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function durationStats(seconds: readonly number[]): DurationStats {
  const sorted = [...seconds].sort((a, b) => a - b);
  const p50 = nearestRank(sorted, 50);
  const p90 = nearestRank(sorted, 90);
  const max = sorted.at(-1);
  return {
    count: sorted.length,
    sumSeconds: sorted.reduce((total, value) => total + value, 0),
    ...(p50 !== undefined && { p50Seconds: p50 }),
    ...(p90 !== undefined && { p90Seconds: p90 }),
    ...(max !== undefined && { maxSeconds: max }),
  };
}

function secondsBetween(from: string, to: string | undefined): number | undefined {
  if (to === undefined) return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export function computeResponseKpis(incidents: readonly KpiIncident[], now: Date): ResponseKpis {
  const result = {} as Record<Severity, SeverityKpis>;
  for (const severity of SEVERITIES) {
    const limitSeconds = RESPONSE_MINUTES[severity] * 60;
    const mine = incidents.filter((incident) => incident.severity === severity);
    const steps = (pick: (incident: KpiIncident) => string | undefined): number[] =>
      mine
        .map((incident) => secondsBetween(incident.openedAt, pick(incident)))
        .filter((value): value is number => value !== undefined);
    const acknowledge = steps((incident) => incident.acknowledgedAt);
    const lateAcks = acknowledge.filter((seconds) => seconds > limitSeconds).length;
    const waiting = mine.filter(
      (incident) =>
        incident.acknowledgedAt === undefined &&
        incident.state !== 'resolved' &&
        (secondsBetween(incident.openedAt, now.toISOString()) ?? 0) > limitSeconds,
    ).length;
    result[severity] = {
      responseMinutes: RESPONSE_MINUTES[severity],
      acknowledge: durationStats(acknowledge),
      contain: durationStats(steps((incident) => incident.containedAt)),
      resolve: durationStats(steps((incident) => incident.resolvedAt)),
      slaBreaches: lateAcks + waiting,
      slaBreachesOpen: waiting,
    };
  }
  return result;
}
