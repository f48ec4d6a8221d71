/**
 * The public status snapshot: everything an unauthenticated request may be answered with,
 * computed once when something changes (a sweep ends, an incident changes, an operator
 * discloses) and then served to every reader. Contract: pure (no I/O; `takenAt` and `now`
 * are parameters). The disclosure rule is applied here, when the snapshot is built — only
 * public views go in, never an incident's raw record — and checked again over the finished
 * JSON before it may be written (snapshot-guard.ts). What depends on the reader's clock (is
 * the monitor behind? how old is this?) is recomputed at read time from the stamps the
 * snapshot carries (`reportAt`, snapshot-health.ts).
 */
import type { IncidentRecord, IncidentSummary, OutboxView } from '../core/incident';
import {
  isRedacted,
  publicIncidentDetailOf,
  publicIncidentOf,
  type PublicIncident,
  type PublicIncidentDetail,
} from './incident-views';
import type { FeedEntry } from './atom-feed';
import { renderMetrics, type MetricsInput } from './metrics';
import { servedHealth, type SweepHeartbeat } from './snapshot-health';
import { planAreaHistories, type AreaHistory } from './status-model';
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
  /** The feed's first entries with their stable ids (feed-ids.ts); absent in the empty one. */
  readonly feed?: { readonly id: string; readonly entries: readonly FeedEntry[] };
}

/** Entries the Atom feed holds: the first of the listing. */
export const FEED_ENTRIES = 50;

/** The feed's ids, keyed by the deployment's feed key: the feed's own, and per incident id. */
export interface FeedIdsInput {
  readonly feed: string;
  readonly entries: Readonly<Record<string, string>>;
}

/** Everything the writer reads before it builds a snapshot (operator-level data). */
export interface SnapshotInput {
  readonly sources: StatusSources;
  readonly totals: MetricsInput['totals'];
  readonly verifiedBytes: number;
  readonly deliveries: readonly OutboxView[];
  /** Full records of listed incidents (at least of those the public may see in full). */
  readonly records: readonly IncidentRecord[];
  /** The feed's ids for the first FEED_ENTRIES listed incidents. */
  readonly feedIds?: FeedIdsInput;
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
    ...(input.feedIds !== undefined && { feed: feedOf(sources, input.feedIds) }),
    metrics: renderMetrics(publicMetricsInput(input, report.coverageWithheld), now, 'public'),
  };
}

function feedOf(sources: StatusSources, ids: FeedIdsInput): PublicSnapshot['feed'] {
  const entries = sources.incidents.slice(0, FEED_ENTRIES).flatMap((incident) => {
    const id = ids.entries[incident.id];
    return id === undefined ? [] : [{ id, incident: publicIncidentOf(incident) }];
  });
  return { id: ids.feed, entries };
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
