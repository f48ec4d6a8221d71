/**
 * `GET /metrics` in the Prometheus text format, checked by `promtool check metrics`:
 * sweeps, findings of the last sweep, incidents, alert deliveries, verification coverage,
 * the monitor's health and the response KPIs per severity. Contract: pure, built from
 * what the status sources hold; base units (seconds, bytes); counters only ever grow.
 *
 * Two audiences. Operators get everything. The public gets only what `GET /api/status`
 * shows the public: its families are built from the public status report (status-report.ts),
 * so the disclosure rule holds by construction: while a private incident is undisclosed,
 * coverage results are withheld (`dist_monitor_coverage_withheld 1`), such an incident
 * counts under `severity="withheld"`, and there are no findings by kind, no incident
 * states, no KPIs and no alert deliveries (whose channel names carry receiver hosts).
 *
 * Sweep counters come from MonitorState's daily rollup (true counters). The `_sum` and
 * `_count` of the `time_to_*_seconds` summaries are the IncidentIndex's response counters
 * (durable/response-totals.ts, true counters); their quantiles are over the listed
 * incidents, as a summary's quantiles are over a recent window. Alert deliveries are a
 * gauge over the outboxes of the open incidents passed in, not a counter.
 */
import { FINDING_KIND_NAMES, SEVERITIES } from '../core/findings';
import { INCIDENT_STATES, type OutboxView } from '../core/incident';
import type { ResponseTotal } from '../durable/response-totals';
import type { PublicIncident } from './incident-views';
import { MetricsWriter } from './prometheus';
import { computeResponseKpis, type DurationStats } from './response-kpis';
import { assessMonitorHealth } from './status-model';
import {
  buildStatusReport,
  type CoverageView,
  type PublicSweep,
  type StatusReport,
  type StatusSources,
} from './status-report';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsInput {
  readonly sources: StatusSources;
  readonly totals: { readonly sweeps: number; readonly failed: number; readonly bytes: number };
  readonly verifiedBytes: number;
  /** Outbox rows of the incidents whose deliveries are counted, with their channel. */
  readonly deliveries: readonly OutboxView[];
  /** The IncidentIndex's response counters (operators only; absent = all zero). */
  readonly responseTotals?: readonly ResponseTotal[];
}

const seconds = (iso: string | undefined): number =>
  iso === undefined ? Number.NaN : Date.parse(iso) / 1000;

function writeDurations(
  out: MetricsWriter,
  name: string,
  help: string,
  bySeverity: readonly [string, DurationStats, ResponseTotal | undefined][],
): void {
  out.family(name, 'summary', help);
  for (const [severity, stats, total] of bySeverity) {
    out.sample(name, stats.p50Seconds ?? Number.NaN, { severity, quantile: '0.5' });
    out.sample(name, stats.p90Seconds ?? Number.NaN, { severity, quantile: '0.9' });
    out.sample(`${name}_sum`, total?.sumSeconds ?? 0, { severity });
    out.sample(`${name}_count`, total?.count ?? 0, { severity });
  }
}

export function renderMetrics(
  input: MetricsInput,
  now: Date,
  audience: 'public' | 'operator' = 'operator',
): string {
  const { sources, totals } = input;
  const out = new MetricsWriter();
  const operator = audience === 'operator';
  // What /api/status shows the public: the public families are read from this alone.
  const report = buildStatusReport(sources, { audience: 'public', now });
  const health = assessMonitorHealth({
    sweeps: Math.max(totals.sweeps, sources.latestSweep === undefined ? 0 : 1),
    lastSuccessAt: sources.lastSuccessAt,
    now,
  });

  out.family(
    'dist_monitor_healthy',
    'gauge',
    '1 while the last successful sweep is recent (or none ran yet), else 0.',
  );
  out.sample('dist_monitor_healthy', health.status === 'ok' ? 1 : 0);
  out.family('dist_monitor_sweeps_total', 'counter', 'Sweeps finished.');
  out.sample('dist_monitor_sweeps_total', totals.sweeps);
  out.family(
    'dist_monitor_sweep_failures_total',
    'counter',
    'Sweeps that broke (a bug or a binding failure, not the site).',
  );
  out.sample('dist_monitor_sweep_failures_total', totals.failed);
  out.family(
    'dist_monitor_sweep_bytes_total',
    'counter',
    'Bytes read from the dist site by sweeps.',
  );
  out.sample('dist_monitor_sweep_bytes_total', totals.bytes);
  out.family('dist_monitor_sweep_running', 'gauge', '1 while a sweep holds the lock.');
  out.sample('dist_monitor_sweep_running', sources.sweepRunning ? 1 : 0);
  out.family(
    'dist_monitor_last_success_timestamp_seconds',
    'gauge',
    'When the last successful sweep finished (Unix time).',
  );
  out.sample('dist_monitor_last_success_timestamp_seconds', seconds(sources.lastSuccessAt));

  writeLastSweep(out, sources, report.lastSweep as PublicSweep | undefined, operator);
  writeIncidents(out, sources, report, operator);
  if (operator) writeDeliveries(out, input.deliveries);
  out.family(
    'dist_monitor_alert_channel_configured',
    'gauge',
    '1 when the channel’s secret is set.',
  );
  for (const [channel, on] of Object.entries(sources.channels)) {
    out.sample('dist_monitor_alert_channel_configured', on ? 1 : 0, { channel });
  }
  writeCoverage(out, input, report, operator);
  if (operator) writeResponseKpis(out, input, now);
  return out.toString();
}

function writeLastSweep(
  out: MetricsWriter,
  sources: StatusSources,
  publicSweep: PublicSweep | undefined,
  operator: boolean,
): void {
  const latest = sources.latestSweep;
  if (latest === undefined || publicSweep === undefined) return;
  out.family(
    'dist_monitor_last_sweep_timestamp_seconds',
    'gauge',
    'When the last sweep finished (Unix time).',
  );
  out.sample('dist_monitor_last_sweep_timestamp_seconds', seconds(publicSweep.finishedAt));
  out.family('dist_monitor_last_sweep_duration_seconds', 'gauge', 'How long the last sweep took.');
  out.sample('dist_monitor_last_sweep_duration_seconds', publicSweep.durationMs / 1000);
  out.family('dist_monitor_last_sweep_bytes', 'gauge', 'Bytes the last sweep read.');
  out.sample('dist_monitor_last_sweep_bytes', publicSweep.bytes);
  out.family(
    'dist_monitor_last_sweep_artifacts_checked',
    'gauge',
    'Artifacts the last sweep checked.',
  );
  out.sample('dist_monitor_last_sweep_artifacts_checked', publicSweep.artifactsChecked);
  if (!operator) {
    out.family('dist_monitor_last_sweep_findings', 'gauge', 'Findings of the last sweep.');
    out.sample('dist_monitor_last_sweep_findings', publicSweep.findings);
    return;
  }
  out.family(
    'dist_monitor_last_sweep_requests',
    'gauge',
    'Requests the last sweep made to the dist site.',
  );
  out.sample('dist_monitor_last_sweep_requests', latest.requests);
  out.family(
    'dist_monitor_last_sweep_hash_jobs_queued',
    'gauge',
    'Hash jobs the last sweep queued.',
  );
  out.sample('dist_monitor_last_sweep_hash_jobs_queued', latest.hashJobsQueued);
  out.family(
    'dist_monitor_last_sweep_findings',
    'gauge',
    'Findings of the last sweep by severity.',
  );
  for (const severity of SEVERITIES) {
    out.sample('dist_monitor_last_sweep_findings', latest.findingsBySeverity[severity], {
      severity,
    });
  }
  writeFindingsByKind(out, sources, latest.startedAt);
}

function writeIncidents(
  out: MetricsWriter,
  sources: StatusSources,
  report: StatusReport,
  operator: boolean,
): void {
  if (operator) {
    out.family(
      'dist_monitor_incidents',
      'gauge',
      'Incidents the index lists, by state and severity.',
    );
    for (const state of INCIDENT_STATES) {
      for (const severity of SEVERITIES) {
        const count = sources.incidents.filter(
          (i) => i.state === state && i.severity === severity,
        ).length;
        out.sample('dist_monitor_incidents', count, { state, severity });
      }
    }
  }
  out.family(
    'dist_monitor_open_incidents',
    'gauge',
    operator
      ? 'Unresolved incidents by severity.'
      : 'Unresolved incidents by severity; undisclosed private ones as severity="withheld".',
  );
  const open = report.incidents as readonly PublicIncident[];
  for (const severity of SEVERITIES) {
    const count = operator
      ? sources.incidents.filter((i) => i.state !== 'resolved' && i.severity === severity).length
      : open.filter((i) => !i.redacted && i.severity === severity).length;
    out.sample('dist_monitor_open_incidents', count, { severity });
  }
  if (!operator) {
    const withheld = open.filter((i) => i.redacted).length;
    out.sample('dist_monitor_open_incidents', withheld, { severity: 'withheld' });
  }
}

function writeDeliveries(out: MetricsWriter, deliveries: readonly OutboxView[]): void {
  out.family(
    'dist_monitor_alert_messages',
    'gauge',
    'Alert messages of open incidents by channel and delivery status.',
  );
  const byChannel = new Map<string, number>();
  for (const row of deliveries) {
    const key = `${row.channel}\u0000${row.status}`;
    byChannel.set(key, (byChannel.get(key) ?? 0) + 1);
  }
  for (const [key, count] of [...byChannel].sort()) {
    const [channel = '', status = ''] = key.split('\u0000');
    out.sample('dist_monitor_alert_messages', count, { channel, status });
  }
  out.family(
    'dist_monitor_alert_attempts',
    'gauge',
    'Delivery attempts for alert messages of open incidents, by channel.',
  );
  const attempts = new Map<string, number>();
  for (const row of deliveries)
    attempts.set(row.channel, (attempts.get(row.channel) ?? 0) + row.attempts);
  for (const [channel, count] of [...attempts].sort()) {
    out.sample('dist_monitor_alert_attempts', count, { channel });
  }
}

function writeCoverage(
  out: MetricsWriter,
  input: MetricsInput,
  report: StatusReport,
  operator: boolean,
): void {
  out.family(
    'dist_monitor_coverage_withheld',
    'gauge',
    '1 while the public is not shown verification results (a private incident is undisclosed).',
  );
  out.sample('dist_monitor_coverage_withheld', report.coverageWithheld ? 1 : 0);
  if (!operator && report.coverageWithheld) return;
  out.family(
    'dist_monitor_verified_bytes',
    'gauge',
    'Bytes of artifacts whose latest hash matched the signed manifest.',
  );
  out.sample('dist_monitor_verified_bytes', input.verifiedBytes);
  // Operators read the full rows; the public the views /api/status shows (same numbers).
  const lines: readonly CoverageView[] = operator
    ? input.sources.coverage.map((line) => ({
        line: line.line,
        releases: line.releases,
        files: line.files,
        verified: line.verifiedWithinPeriod,
        mismatched: line.mismatched,
        unverifiable: line.unverifiable,
        complete: line.complete,
      }))
    : (report.coverage as readonly CoverageView[]);
  const staleOf = (line: string) => input.sources.coverage.find((c) => c.line === line);
  out.family(
    'dist_monitor_coverage_files',
    'gauge',
    'Files per release line by verification result within the rotation period.',
  );
  for (const line of lines) {
    // Stale and never-hashed counts are not in the public view: operators only.
    const full = operator ? staleOf(line.line) : undefined;
    const results: [string, number | undefined][] = [
      ['verified', line.verified],
      ['stale', full?.stale],
      ['never_hashed', full?.neverHashed],
      ['mismatched', line.mismatched],
      ['unverifiable', line.unverifiable],
    ];
    for (const [result, count] of results) {
      if (count !== undefined)
        out.sample('dist_monitor_coverage_files', count, { line: line.line, result });
    }
  }
  out.family(
    'dist_monitor_coverage_complete',
    'gauge',
    '1 when every file of the line was verified within the rotation period.',
  );
  for (const line of lines) {
    out.sample('dist_monitor_coverage_complete', line.complete ? 1 : 0, { line: line.line });
  }
}

function writeResponseKpis(out: MetricsWriter, input: MetricsInput, now: Date): void {
  const kpis = computeResponseKpis(input.sources.incidents, now);
  const totals = input.responseTotals ?? [];
  const per = (
    step: ResponseTotal['step'],
    pick: (k: (typeof kpis)[keyof typeof kpis]) => DurationStats,
  ) =>
    SEVERITIES.map((severity): [string, DurationStats, ResponseTotal | undefined] => [
      severity,
      pick(kpis[severity]),
      totals.find((total) => total.step === step && total.severity === severity),
    ]);
  writeDurations(
    out,
    'dist_monitor_time_to_acknowledge_seconds',
    'From opening to acknowledgement.',
    per('acknowledge', (k) => k.acknowledge),
  );
  writeDurations(
    out,
    'dist_monitor_time_to_contain_seconds',
    'From opening to containment.',
    per('contain', (k) => k.contain),
  );
  writeDurations(
    out,
    'dist_monitor_time_to_resolve_seconds',
    'From opening to resolution.',
    per('resolve', (k) => k.resolve),
  );
  out.family(
    'dist_monitor_response_target_seconds',
    'gauge',
    'The response time each severity must be acknowledged within.',
  );
  for (const severity of SEVERITIES)
    out.sample('dist_monitor_response_target_seconds', kpis[severity].responseMinutes * 60, {
      severity,
    });
  out.family(
    'dist_monitor_sla_breaches',
    'gauge',
    'Listed incidents acknowledged later than their response time, or still waiting past it.',
  );
  for (const severity of SEVERITIES)
    out.sample('dist_monitor_sla_breaches', kpis[severity].slaBreaches, { severity });
  out.family(
    'dist_monitor_sla_breaches_open',
    'gauge',
    'Unacknowledged, unresolved incidents past their response time.',
  );
  for (const severity of SEVERITIES)
    out.sample('dist_monitor_sla_breaches_open', kpis[severity].slaBreachesOpen, { severity });
}

/** Findings of the last sweep by kind: operators only (kinds reveal undisclosed incidents). */
function writeFindingsByKind(out: MetricsWriter, sources: StatusSources, startedAt: string): void {
  out.family(
    'dist_monitor_last_sweep_findings_by_kind',
    'gauge',
    'Findings of the last sweep by kind and severity.',
  );
  const seen = sources.incidents.filter((incident) => incident.lastSeen === startedAt);
  for (const kind of FINDING_KIND_NAMES) {
    for (const severity of SEVERITIES) {
      const count = seen.filter((i) => i.kind === kind && i.severity === severity).length;
      if (count > 0)
        out.sample('dist_monitor_last_sweep_findings_by_kind', count, { kind, severity });
    }
  }
}
