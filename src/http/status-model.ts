/**
 * What the status page, the badge and /api/status say, computed from plain data: the
 * incident listing, the daily sweep rollup and the clock. Contract: pure (no I/O, `now`
 * is a parameter). Overall and area states follow the worst open incident; the 90-day
 * history marks each UTC day with the worst severity of any incident open that day; uptime
 * is the share of the monitored time without an open P0 or P1 incident in the area.
 */
import { AREAS, kindSpec, severityRank, type Area, type Severity } from '../core/findings';
import type { IncidentSummary } from '../core/incident';

/** The overall or per-area state, worst first: critical (P0), major (P1), minor (P2/P3). */
export type SiteState = 'operational' | 'minor' | 'major' | 'critical';

export const SITE_STATE_LABELS: Record<SiteState, string> = {
  operational: 'All systems operational',
  minor: 'Minor issue',
  major: 'Major issue',
  critical: 'Critical issue',
};

export const AREA_LABELS: Record<Area, string> = {
  index: 'Release index',
  manifests: 'Signed manifests',
  artifacts: 'Release downloads',
  availability: 'Availability',
  cache: 'Download cache',
};

/** One UTC day of the sweep rollup kept in MonitorState. */
export interface SweepDay {
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly sweeps: number;
  readonly failed: number;
}

/** The fields of an incident listing row this module reads. */
export type IncidentTimes = Pick<
  IncidentSummary,
  'kind' | 'severity' | 'state' | 'openedAt' | 'resolvedAt'
>;

export function stateOfSeverity(severity: Severity | undefined): SiteState {
  switch (severity) {
    case undefined:
      return 'operational';
    case 'P0':
      return 'critical';
    case 'P1':
      return 'major';
    case 'P2':
    case 'P3':
      return 'minor';
  }
}

export function worstSeverity(severities: Iterable<Severity>): Severity | undefined {
  let worst: Severity | undefined;
  for (const severity of severities) {
    if (worst === undefined || severityRank(severity) < severityRank(worst)) worst = severity;
  }
  return worst;
}

function isOpen(incident: Pick<IncidentSummary, 'state'>): boolean {
  return incident.state !== 'resolved';
}

export function overallStateOf(incidents: readonly IncidentTimes[]): SiteState {
  return stateOfSeverity(worstSeverity(incidents.filter(isOpen).map((i) => i.severity)));
}

export function areaStateOf(incidents: readonly IncidentTimes[], area: Area): SiteState {
  return stateOfSeverity(
    worstSeverity(
      incidents
        .filter((incident) => isOpen(incident) && kindSpec(incident.kind).area === area)
        .map((incident) => incident.severity),
    ),
  );
}

/** One day of an area's history bar. */
export interface DayMark {
  readonly day: string;
  /** Worst severity of an incident open that day in the area; absent when none. */
  readonly worst?: Severity;
  /** The monitor swept (or had an incident open) that day. */
  readonly monitored: boolean;
}

export interface AreaHistory {
  readonly area: Area;
  readonly label: string;
  readonly state: SiteState;
  /** Oldest first. */
  readonly days: readonly DayMark[];
  /** Percent of monitored time in the window without a P0/P1 incident; absent without data. */
  readonly uptimePercent?: number;
}

const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** An incident as a closed interval of epoch ms, the open end at `now`. */
function intervalOf(incident: IncidentTimes, nowMs: number): [number, number] | undefined {
  const start = Date.parse(incident.openedAt);
  const end = incident.resolvedAt === undefined ? nowMs : Date.parse(incident.resolvedAt);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return undefined;
  return [start, Math.min(end, nowMs)];
}

/** Total length of the union of intervals, clipped to [from, to]. */
export function coveredMs(
  intervals: readonly [number, number][],
  from: number,
  to: number,
): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const interval of clipped) {
    if (current === undefined || interval[0] > current[1]) {
      if (current) total += current[1] - current[0];
      current = [...interval];
    } else {
      current[1] = Math.max(current[1], interval[1]);
    }
  }
  if (current) total += current[1] - current[0];
  return total;
}

export interface HistoryOptions {
  readonly now: Date;
  /** Days in the bar, today included (default 90). */
  readonly days?: number;
}

export function planAreaHistories(
  incidents: readonly IncidentTimes[],
  sweepDays: readonly SweepDay[],
  options: HistoryOptions,
): AreaHistory[] {
  const nowMs = options.now.getTime();
  const dayCount = options.days ?? 90;
  const todayStart = Date.parse(`${utcDay(nowMs)}T00:00:00Z`);
  const windowStart = todayStart - (dayCount - 1) * DAY_MS;
  const swept = new Set(sweepDays.filter((d) => d.sweeps > 0).map((d) => d.day));
  const intervals = incidents
    .map((incident) => ({ incident, interval: intervalOf(incident, nowMs) }))
    .filter(
      (x): x is { incident: IncidentTimes; interval: [number, number] } => x.interval !== undefined,
    );
  const incidentDays = new Set<string>();
  for (const { interval } of intervals) {
    for (let t = Math.max(interval[0], windowStart); t <= interval[1]; t += DAY_MS) {
      incidentDays.add(utcDay(t));
    }
    if (interval[1] >= windowStart) incidentDays.add(utcDay(interval[1]));
  }
  const firstMonitored = [...swept, ...incidentDays]
    .filter((day) => day >= utcDay(windowStart))
    .sort()[0];

  return AREAS.map((area) => {
    const inArea = intervals.filter(({ incident }) => kindSpec(incident.kind).area === area);
    const days: DayMark[] = [];
    for (let index = 0; index < dayCount; index += 1) {
      const start = windowStart + index * DAY_MS;
      const day = utcDay(start);
      const worst = worstSeverity(
        inArea
          .filter(({ interval }) => interval[0] < start + DAY_MS && interval[1] >= start)
          .map(({ incident }) => incident.severity),
      );
      const monitored = swept.has(day) || incidentDays.has(day);
      days.push({ day, monitored, ...(worst !== undefined && { worst }) });
    }
    const history: AreaHistory = {
      area,
      label: AREA_LABELS[area],
      state: areaStateOf(
        inArea.map(({ incident }) => incident),
        area,
      ),
      days,
    };
    if (firstMonitored === undefined) return history;
    const from = Date.parse(`${firstMonitored}T00:00:00Z`);
    const span = nowMs - from;
    if (span <= 0) return history;
    const outages = inArea
      .filter(({ incident }) => incident.severity === 'P0' || incident.severity === 'P1')
      .map(({ interval }) => interval);
    const up = 1 - coveredMs(outages, from, nowMs) / span;
    // Floor, so a short outage never rounds up to a perfect 100 %.
    return { ...history, uptimePercent: Math.floor(up * 10_000) / 100 };
  });
}

/** The sweep interval of wrangler.toml's cron (`*\/5 * * * *`). */
export const SWEEP_INTERVAL_MS = 5 * 60_000;

/** Whether the monitor itself is keeping up, as /healthz and /api/status report it. */
export type MonitorHealth =
  | {
      readonly status: 'ok';
      readonly sweeps: number;
      readonly phase: 'starting' | 'running';
      readonly lastSuccessAt?: string;
    }
  | {
      readonly status: 'degraded';
      readonly reason: string;
      readonly sweeps: number;
      readonly lastSuccessAt?: string;
    };

/**
 * Degraded when the last successful sweep is older than twice the interval, or when
 * sweeps ran and none succeeded; before the first sweep the monitor is starting, not ill.
 */
export function assessMonitorHealth(input: {
  readonly sweeps: number;
  readonly lastSuccessAt: string | undefined;
  readonly now: Date;
  readonly intervalMs?: number;
}): MonitorHealth {
  const interval = input.intervalMs ?? SWEEP_INTERVAL_MS;
  if (input.sweeps === 0) return { status: 'ok', sweeps: 0, phase: 'starting' };
  if (input.lastSuccessAt === undefined) {
    return { status: 'degraded', reason: 'no sweep has succeeded yet', sweeps: input.sweeps };
  }
  const age = input.now.getTime() - Date.parse(input.lastSuccessAt);
  if (age > 2 * interval) {
    return {
      status: 'degraded',
      reason: `the last successful sweep finished ${Math.round(age / 60_000)} min ago; sweeps run every ${Math.round(interval / 60_000)} min`,
      sweeps: input.sweeps,
      lastSuccessAt: input.lastSuccessAt,
    };
  }
  return {
    status: 'ok',
    sweeps: input.sweeps,
    phase: 'running',
    lastSuccessAt: input.lastSuccessAt,
  };
}
