/**
 * The status report behind `GET /`, `GET /api/status` and the badge, built from what
 * MonitorState and the incident index hold. Contract: pure (`now` is a parameter). The
 * public report obeys the disclosure rule (see incident-views.ts); while a private incident
 * is undisclosed it also withholds per-release verification results, because "40/41
 * verified" next to a release would name the release being investigated. Operators get
 * every incident in full, the complete sweep summary, the alert channels and the KPIs.
 */
import type { LogStatus } from './log-status';
import type { IncidentSummary } from '../core/incident';
import type { SweepSummary } from '../core/sweep-summary';
import type { LineCoverage } from '../core/rotation-coverage';
import type { RegionStatus } from '../durable/region-status-store';
import { isRedacted, publicIncidentOf, type PublicIncident } from './incident-views';
import { regionViewOf, type RegionView } from './region-views';
import { computeResponseKpis, type ResponseKpis } from './response-kpis';
import {
  assessMonitorHealth,
  overallStateOf,
  planAreaHistories,
  SITE_STATE_LABELS,
  type AreaHistory,
  type MonitorHealth,
  type SiteState,
  type SweepDay,
} from './status-model';

/** Which alert channels are configured (their secrets are set); never the values. */
export interface ChannelSwitches {
  readonly slack: boolean;
  readonly sentry: boolean;
  readonly webhooks: boolean;
}

/** Everything the report is built from. */
export interface StatusSources {
  readonly latestSweep?: SweepSummary;
  readonly lastSuccessAt?: string;
  readonly sweepCount: number;
  readonly sweepDays: readonly SweepDay[];
  /** Per release line: files verified within the rotation period. */
  readonly coverage: readonly LineCoverage[];
  /** The whole incident listing, open first. */
  readonly incidents: readonly IncidentSummary[];
  readonly sweepRunning: boolean;
  readonly channels: ChannelSwitches;
  readonly baseUrl: string;
  /** Each probed region's latest result (regional probes); absent or empty = none ran. */
  readonly regions?: readonly RegionStatus[];
  /** The transparency log: on or off, its size (src/http/log-status.ts). */
  readonly transparencyLog?: LogStatus;
}

/** What the public learns of the last sweep. */
export interface PublicSweep {
  readonly id: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly outcome: SweepSummary['outcome'];
  /** How many releases it watched (which ones could point at an undisclosed incident). */
  readonly releases: number;
  readonly artifactsChecked: number;
  readonly bytes: number;
  readonly availability: SweepSummary['availability'];
  readonly findings: number;
}

/** A release line's verification coverage, as the public may see it. */
export interface CoverageView {
  /** e.g. `v24.x`. */
  readonly line: string;
  readonly releases: number;
  /** Files the line's signed manifests list. */
  readonly files: number;
  /** The rest is withheld from the public while a private incident is undisclosed. */
  readonly verified?: number;
  readonly mismatched?: number;
  readonly unverifiable?: number;
  readonly complete?: boolean;
  readonly oldestVerifiedAt?: string;
  /** e.g. `v24.x: all 41 files verified within the last 7 days`. */
  readonly summary?: string;
}

/** An area's state and its last 90 days, compactly (the page draws the full bar). */
export interface AreaSummary {
  readonly area: AreaHistory['area'];
  readonly label: string;
  readonly state: SiteState;
  /** Percent of monitored time without a P0/P1 incident; absent before any data. */
  readonly uptimePercent?: number;
  /** Days (UTC) on which an incident was open in the area, with the worst severity. */
  readonly daysWithIncidents: readonly { readonly day: string; readonly worst: string }[];
  readonly daysWithoutData: number;
}

export function summarizeArea(history: AreaHistory): AreaSummary {
  return {
    area: history.area,
    label: history.label,
    state: history.state,
    ...(history.uptimePercent !== undefined && { uptimePercent: history.uptimePercent }),
    daysWithIncidents: history.days.flatMap((day) =>
      day.worst === undefined ? [] : [{ day: day.day, worst: day.worst }],
    ),
    daysWithoutData: history.days.filter((day) => !day.monitored).length,
  };
}

export interface StatusReport {
  readonly audience: 'public' | 'operator';
  readonly generatedAt: string;
  readonly status: SiteState;
  readonly statusLabel: string;
  readonly baseUrl: string;
  readonly monitor: MonitorHealth & { readonly sweepRunning: boolean };
  readonly lastSweep?: PublicSweep | SweepSummary;
  readonly coverage: readonly (CoverageView | LineCoverage)[];
  readonly coverageWithheld: boolean;
  /** Per region: colo seen, last probe time, result (withheld like coverage). */
  readonly regions: readonly (RegionView | RegionStatus)[];
  readonly areas: readonly AreaSummary[];
  /** Open incidents: public views, or full listing rows for operators. */
  readonly incidents: readonly (PublicIncident | IncidentSummary)[];
  /** Incidents resolved within the history window, newest first (public views). */
  readonly recentlyResolved: readonly PublicIncident[];
  readonly channels?: ChannelSwitches;
  readonly kpis?: ResponseKpis;
  readonly transparencyLog?: LogStatus;
}

export function publicSweepOf(summary: SweepSummary): PublicSweep {
  return {
    id: summary.id,
    finishedAt: summary.finishedAt,
    durationMs: summary.durationMs,
    outcome: summary.outcome,
    releases: summary.releases.length,
    artifactsChecked: summary.artifactsChecked,
    bytes: summary.bytes,
    availability: summary.availability,
    findings: summary.findings,
  };
}

function coverageViewOf(coverage: LineCoverage, withheld: boolean): CoverageView {
  const base = { line: coverage.line, releases: coverage.releases, files: coverage.files };
  if (withheld) return base;
  return {
    ...base,
    verified: coverage.verifiedWithinPeriod,
    mismatched: coverage.mismatched,
    unverifiable: coverage.unverifiable,
    complete: coverage.complete,
    ...(coverage.oldestVerifiedAt !== undefined && { oldestVerifiedAt: coverage.oldestVerifiedAt }),
    summary: coverage.summary,
  };
}

export const HISTORY_DAYS = 90;

export function buildStatusReport(
  sources: StatusSources,
  options: { readonly audience: 'public' | 'operator'; readonly now: Date },
): StatusReport {
  const operator = options.audience === 'operator';
  const open = sources.incidents.filter((incident) => incident.state !== 'resolved');
  const windowStart = options.now.getTime() - HISTORY_DAYS * 86_400_000;
  const resolved = sources.incidents
    .filter(
      (incident) =>
        incident.state === 'resolved' &&
        incident.resolvedAt !== undefined &&
        Date.parse(incident.resolvedAt) >= windowStart,
    )
    .sort((a, b) => (b.resolvedAt ?? '').localeCompare(a.resolvedAt ?? ''));
  const withheld = !operator && open.some(isRedacted);
  const status = overallStateOf(sources.incidents);
  const health = assessMonitorHealth({
    // The rollup may start after the first summaries (an upgraded deployment).
    sweeps: Math.max(sources.sweepCount, sources.latestSweep === undefined ? 0 : 1),
    lastSuccessAt: sources.lastSuccessAt,
    now: options.now,
  });
  const latest = sources.latestSweep;
  return {
    audience: options.audience,
    generatedAt: options.now.toISOString(),
    status,
    statusLabel: SITE_STATE_LABELS[status],
    baseUrl: sources.baseUrl,
    monitor: { ...health, sweepRunning: sources.sweepRunning },
    ...(latest !== undefined && { lastSweep: operator ? latest : publicSweepOf(latest) }),
    coverage: operator
      ? sources.coverage
      : sources.coverage.map((coverage) => coverageViewOf(coverage, withheld)),
    coverageWithheld: withheld,
    regions: operator
      ? (sources.regions ?? [])
      : (sources.regions ?? []).map((region) => regionViewOf(region, withheld)),
    areas: planAreaHistories(sources.incidents, sources.sweepDays, {
      now: options.now,
      days: HISTORY_DAYS,
    }).map(summarizeArea),
    incidents: operator ? open : open.map(publicIncidentOf),
    recentlyResolved: resolved.slice(0, 20).map(publicIncidentOf),
    // Which channels are on is public (booleans, never a value): a reader can tell whether
    // anyone is being told.
    channels: sources.channels,
    ...(sources.transparencyLog && { transparencyLog: sources.transparencyLog }),
    ...(operator && {
      kpis: computeResponseKpis(sources.incidents, options.now),
    }),
  };
}
