/**
 * The public status snapshot: everything an unauthenticated request may be answered with,
 * computed once when something changes (a sweep ends, an incident changes, an operator
 * discloses) and then served to every reader. Contract: pure (no I/O; `takenAt` and `now`
 * are parameters). The disclosure rule is applied here, when the snapshot is built — only
 * public views go in, never an incident's raw record — and checked again over the finished
 * JSON before it may be written (`findDisclosedSecrets`). What depends on the reader's
 * clock (is the monitor behind? how old is this?) is recomputed at read time from the
 * stamps the snapshot carries (`reportAt`).
 */
import type { IncidentRecord, IncidentSummary, OutboxView } from '../core/incident';
import type { SweepSummary } from '../core/sweep-summary';
import {
  isRedacted,
  publicIncidentDetailOf,
  publicIncidentOf,
  type PublicIncident,
  type PublicIncidentDetail,
} from './incident-views';
import { renderMetrics, type MetricsInput } from './metrics';
import {
  assessMonitorHealth,
  planAreaHistories,
  SWEEP_INTERVAL_MS,
  type AreaHistory,
  type MonitorHealth,
} from './status-model';
import {
  buildStatusReport,
  HISTORY_DAYS,
  type StatusReport,
  type StatusSources,
} from './status-report';

/** Bumped when the stored shape changes; a reader refuses any other. */
export const SNAPSHOT_FORMAT = 1;

/** What made the writer take a snapshot (shown to operators, logged). */
export type SnapshotTrigger = 'sweep' | 'incident' | 'operator' | 'deferred' | 'test';

/** When and which: every public answer carries this (a header and a field or line). */
export interface SnapshotStamp {
  /** Unique per snapshot (a version number can restart if the writer's storage is lost). */
  readonly id: string;
  /** Increases with every snapshot the writer publishes. */
  readonly version: number;
  /** When the writer read the state this snapshot shows. */
  readonly takenAt: string;
}

/** The monitor's own health as of the snapshot; re-judged at read time against the clock. */
export interface SnapshotHealth {
  readonly sweeps: number;
  readonly lastSuccessAt?: string;
  readonly sweepRunning: boolean;
}

export interface PublicSnapshot extends SnapshotStamp {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly trigger: SnapshotTrigger;
  readonly health: SnapshotHealth;
  /** The public status report as of `takenAt` (`generatedAt` is `takenAt`). */
  readonly report: StatusReport;
  /** The areas' full 90-day bars, for the page. */
  readonly histories: readonly AreaHistory[];
  /** The public incident listing, open first, newest first (at most the index's 500). */
  readonly incidents: readonly PublicIncident[];
  /** `GET /api/incidents/:id` for every listed incident the public may see in full. */
  readonly details: Readonly<Record<string, PublicIncidentDetail>>;
  /** The public `/metrics` body as of `takenAt`. */
  readonly metrics: string;
}

/** Everything the writer reads before it builds a snapshot (operator-level data). */
export interface SnapshotInput {
  readonly sources: StatusSources;
  readonly totals: MetricsInput['totals'];
  readonly verifiedBytes: number;
  readonly deliveries: readonly OutboxView[];
  /** Full records of listed incidents (at least of those the public may see in full). */
  readonly records: readonly IncidentRecord[];
}

export interface SnapshotOptions extends SnapshotStamp {
  readonly trigger: SnapshotTrigger;
}

/**
 * A redacted incident as the public metrics count it: only open or resolved, with no
 * lifecycle times the status page does not show either (an acknowledgement or a
 * containment of an undisclosed incident is internal).
 */
function metricsViewOf(incident: IncidentSummary): IncidentSummary {
  if (!isRedacted(incident)) return incident;
  const {
    acknowledgedAt: _acknowledged,
    containedAt: _contained,
    publicStatus: _status,
    ...rest
  } = incident;
  return {
    ...rest,
    id: '',
    fingerprint: '',
    subject: '',
    state: incident.state === 'resolved' ? 'resolved' : 'open',
  };
}

/** The metrics input with the disclosure rule applied, as the public `/metrics` gets it. */
export function publicMetricsInput(input: SnapshotInput, withheld: boolean): MetricsInput {
  return {
    sources: {
      ...input.sources,
      incidents: input.sources.incidents.map(metricsViewOf),
      // Per-line results point at the release under investigation (docs/api.md).
      coverage: withheld ? [] : input.sources.coverage,
      regions: withheld ? [] : (input.sources.regions ?? []),
    },
    totals: input.totals,
    verifiedBytes: input.verifiedBytes,
    deliveries: input.deliveries,
  };
}

function healthOf(sources: StatusSources): SnapshotHealth {
  return {
    // The rollup may start after the first summaries (an upgraded deployment).
    sweeps: Math.max(sources.sweepCount, sources.latestSweep === undefined ? 0 : 1),
    ...(sources.lastSuccessAt !== undefined && { lastSuccessAt: sources.lastSuccessAt }),
    sweepRunning: sources.sweepRunning,
  };
}

export function buildPublicSnapshot(
  input: SnapshotInput,
  options: SnapshotOptions,
): PublicSnapshot {
  const now = new Date(options.takenAt);
  const { sources } = input;
  const report = buildStatusReport(sources, { audience: 'public', now });
  const byId = new Map(input.records.map((record) => [record.id, record]));
  const details: Record<string, PublicIncidentDetail> = {};
  for (const incident of sources.incidents) {
    const record = byId.get(incident.id);
    // The record is checked itself: a listing row and a record of another version may differ.
    if (record !== undefined && !isRedacted(incident) && !isRedacted(record))
      details[incident.id] = publicIncidentDetailOf(record);
  }
  return {
    format: SNAPSHOT_FORMAT,
    id: options.id,
    version: options.version,
    takenAt: options.takenAt,
    trigger: options.trigger,
    health: healthOf(sources),
    report,
    histories: planAreaHistories(sources.incidents, sources.sweepDays, {
      now,
      days: HISTORY_DAYS,
    }),
    incidents: sources.incidents.map(publicIncidentOf),
    details,
    metrics: renderMetrics(publicMetricsInput(input, report.coverageWithheld), now, 'public'),
  };
}

/** Sources with nothing in them: what the public sees before any snapshot exists. */
export function emptySources(baseUrl: string): StatusSources {
  return {
    sweepCount: 0,
    sweepDays: [],
    coverage: [],
    incidents: [],
    sweepRunning: false,
    channels: { slack: false, sentry: false, webhooks: false },
    baseUrl,
    regions: [],
  };
}

/**
 * The snapshot served before the writer published one (a fresh deployment): the monitor is
 * starting. `heartbeat` (what the sweeps themselves last recorded) keeps it honest when
 * sweeps did run and only the snapshot is missing.
 */
export function emptySnapshot(
  baseUrl: string,
  takenAt: Date,
  heartbeat?: SweepHeartbeat,
): PublicSnapshot {
  const snapshot = buildPublicSnapshot(
    {
      sources: emptySources(baseUrl),
      totals: { sweeps: 0, failed: 0, bytes: 0 },
      verifiedBytes: 0,
      deliveries: [],
      records: [],
    },
    { id: 'none', version: 0, takenAt: takenAt.toISOString(), trigger: 'deferred' },
  );
  if (heartbeat === undefined) return snapshot;
  return {
    ...snapshot,
    health: {
      sweeps: heartbeat.sweeps,
      ...(heartbeat.lastSuccessAt !== undefined && { lastSuccessAt: heartbeat.lastSuccessAt }),
      sweepRunning: false,
    },
  };
}

/**
 * What each sweep records for `/healthz` beside the snapshot, written by the sweep itself:
 * if the snapshot writer is what broke, the heartbeat still moves and says so.
 */
export interface SweepHeartbeat {
  readonly sweeps: number;
  readonly lastFinishedAt: string;
  readonly lastOutcome: SweepSummary['outcome'];
  readonly lastSuccessAt?: string;
}

export function nextHeartbeat(
  previous: SweepHeartbeat | undefined,
  summary: Pick<SweepSummary, 'finishedAt' | 'outcome'>,
): SweepHeartbeat {
  const lastSuccessAt = summary.outcome === 'failed' ? previous?.lastSuccessAt : summary.finishedAt;
  return {
    sweeps: (previous?.sweeps ?? 0) + 1,
    lastFinishedAt: summary.finishedAt,
    lastOutcome: summary.outcome,
    ...(lastSuccessAt !== undefined && { lastSuccessAt }),
  };
}

/** A snapshot older than this tells its readers that the monitor is behind. */
export const STALE_SNAPSHOT_MS = 2 * SWEEP_INTERVAL_MS;

function minutesBetween(from: string, now: Date): number {
  return Math.round((now.getTime() - Date.parse(from)) / 60_000);
}

/**
 * The monitor's health as a public answer states it at `now`. Two things can be behind:
 * the sweeps, and the snapshot the answer comes from (the writer may be what broke).
 * `sweepsFirst`: the caller knows the sweeps' own record (the heartbeat, on /healthz), so a
 * sweep problem is named first; a page knows only its snapshot, so a stale snapshot is
 * named first (its sweep times are as old as it is).
 */
export function servedHealth(
  health: Pick<SnapshotHealth, 'sweeps' | 'lastSuccessAt'>,
  snapshotTakenAt: string | undefined,
  now: Date,
  options: { readonly sweepsFirst: boolean },
): MonitorHealth {
  const sweeps = assessMonitorHealth({
    sweeps: health.sweeps,
    lastSuccessAt: health.lastSuccessAt,
    now,
  });
  if (health.sweeps === 0) return sweeps;
  let problem: string | undefined;
  if (snapshotTakenAt === undefined) {
    problem = 'sweeps ran but no public status snapshot was published';
  } else if (now.getTime() - Date.parse(snapshotTakenAt) > STALE_SNAPSHOT_MS) {
    problem = `the public status snapshot was taken ${minutesBetween(snapshotTakenAt, now)} min ago; a new one follows every sweep (every ${Math.round(SWEEP_INTERVAL_MS / 60_000)} min)`;
  }
  if (problem === undefined || (options.sweepsFirst && sweeps.status === 'degraded')) return sweeps;
  return {
    status: 'degraded',
    reason: problem,
    sweeps: health.sweeps,
    ...(health.lastSuccessAt !== undefined && { lastSuccessAt: health.lastSuccessAt }),
  };
}

/** The public report as served at `now`: the snapshot's, with its health judged now. */
export interface ServedReport extends StatusReport {
  /** `null` before the first snapshot (a fresh deployment). */
  readonly snapshot: SnapshotStamp | null;
}

export function reportAt(snapshot: PublicSnapshot, now: Date): ServedReport {
  const published = snapshot.version > 0;
  const health = servedHealth(snapshot.health, published ? snapshot.takenAt : undefined, now, {
    sweepsFirst: false,
  });
  return {
    ...snapshot.report,
    monitor: { ...health, sweepRunning: snapshot.health.sweepRunning },
    snapshot: published ? stampOf(snapshot) : null,
  };
}

export function stampOf(snapshot: SnapshotStamp): SnapshotStamp {
  return { id: snapshot.id, version: snapshot.version, takenAt: snapshot.takenAt };
}

/**
 * The second line of the disclosure rule: strings that identify an undisclosed incident
 * and occur in the finished snapshot (its JSON), so the writer can refuse to publish it.
 * Its id, fingerprint, URL and hashes are secret unless the same string is public
 * through another, disclosed or non-private incident (two findings about one URL).
 */
export function findDisclosedSecrets(
  serialized: string,
  input: Pick<SnapshotInput, 'sources' | 'records'>,
): string[] {
  const hidden = input.sources.incidents.filter(isRedacted);
  if (hidden.length === 0) return [];
  const shown = input.sources.incidents.filter((incident) => !isRedacted(incident));
  const shownRecords = input.records.filter((record) => !isRedacted(record));
  const publicText = JSON.stringify([shown, shownRecords]);
  const records = new Map(input.records.map((record) => [record.id, record]));
  const found = new Set<string>();
  for (const incident of hidden) {
    const record = records.get(incident.id);
    const always = [incident.id, incident.fingerprint];
    // Not the release name: short and shared by every finding about that release.
    const unlessPublic = [incident.subject, record?.expected, record?.observed].filter(
      (value): value is string => value !== undefined && value.length >= 6,
    );
    for (const secret of always) if (serialized.includes(secret)) found.add(secret);
    for (const secret of unlessPublic)
      if (serialized.includes(secret) && !publicText.includes(secret)) found.add(secret);
  }
  return [...found];
}
