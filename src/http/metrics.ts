/**
 * `GET /metrics` in the Prometheus text format: sweeps, findings of the last sweep,
 * incidents, alert deliveries, verification coverage, the monitor's health, and the
 * response KPIs per severity. Contract: pure, built from what the status sources hold.
 *
 * Counters come from MonitorState's daily rollup (true counters since the rollup began).
 * Findings by kind are the incidents the last sweep saw (an incident's `lastSeen` is the
 * sweep's time; one incident per fingerprint, so one per finding). The incident engine
 * keeps delivery records per incident and no global counts, so alert deliveries are a
 * gauge over the outboxes of the incidents passed in (the open ones), not a counter.
 */
import { FINDING_KIND_NAMES, SEVERITIES } from '../core/findings';
import { INCIDENT_STATES, type OutboxView } from '../core/incident';
import { MetricsWriter } from './prometheus';
import { computeResponseKpis, type DurationStats } from './response-kpis';
import { assessMonitorHealth } from './status-model';
import type { StatusSources } from './status-report';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsInput {
  readonly sources: StatusSources;
  readonly totals: { readonly sweeps: number; readonly failed: number; readonly bytes: number };
  readonly verifiedBytes: number;
  /** Outbox rows of the incidents whose deliveries are counted, with their channel. */
  readonly deliveries: readonly OutboxView[];
}

const seconds = (iso: string | undefined): number =>
  iso === undefined ? Number.NaN : Date.parse(iso) / 1000;

function writeDurations(
  out: MetricsWriter,
  name: string,
  help: string,
  bySeverity: readonly [string, DurationStats][],
): void {
  out.family(name, 'summary', help);
  for (const [severity, stats] of bySeverity) {
    out.sample(name, stats.p50Seconds ?? Number.NaN, { severity, quantile: '0.5' });
    out.sample(name, stats.p90Seconds ?? Number.NaN, { severity, quantile: '0.9' });
    out.sample(`${name}_sum`, stats.sumSeconds, { severity });
    out.sample(`${name}_count`, stats.count, { severity });
  }
}

export function renderMetrics(
  input: MetricsInput,
  now: Date,
  audience: 'public' | 'operator' = 'operator',
): string {
  const { sources, totals } = input;
  const out = new MetricsWriter();
  const latest = sources.latestSweep;
  const health = assessMonitorHealth({
    sweeps: Math.max(totals.sweeps, latest === undefined ? 0 : 1),
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

  if (latest !== undefined) {
    out.family(
      'dist_monitor_last_sweep_timestamp_seconds',
      'gauge',
      'When the last sweep finished (Unix time).',
    );
    out.sample('dist_monitor_last_sweep_timestamp_seconds', seconds(latest.finishedAt));
    out.family(
      'dist_monitor_last_sweep_duration_seconds',
      'gauge',
      'How long the last sweep took.',
    );
    out.sample('dist_monitor_last_sweep_duration_seconds', latest.durationMs / 1000);
    out.family(
      'dist_monitor_last_sweep_requests',
      'gauge',
      'Requests the last sweep made to the dist site.',
    );
    out.sample('dist_monitor_last_sweep_requests', latest.requests);
    out.family('dist_monitor_last_sweep_bytes', 'gauge', 'Bytes the last sweep read.');
    out.sample('dist_monitor_last_sweep_bytes', latest.bytes);
    out.family(
      'dist_monitor_last_sweep_artifacts_checked',
      'gauge',
      'Artifacts the last sweep checked.',
    );
    out.sample('dist_monitor_last_sweep_artifacts_checked', latest.artifactsChecked);
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
    if (audience === 'operator') writeFindingsByKind(out, sources, latest.startedAt);
  }

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
  out.family('dist_monitor_open_incidents', 'gauge', 'Unresolved incidents by severity.');
  for (const severity of SEVERITIES) {
    const count = sources.incidents.filter(
      (i) => i.state !== 'resolved' && i.severity === severity,
    ).length;
    out.sample('dist_monitor_open_incidents', count, { severity });
  }

  out.family(
    'dist_monitor_alert_messages',
    'gauge',
    'Alert messages of open incidents by channel and delivery status.',
  );
  const byChannel = new Map<string, number>();
  for (const row of input.deliveries) {
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
  for (const row of input.deliveries)
    attempts.set(row.channel, (attempts.get(row.channel) ?? 0) + row.attempts);
  for (const [channel, count] of [...attempts].sort()) {
    out.sample('dist_monitor_alert_attempts', count, { channel });
  }
  out.family(
    'dist_monitor_alert_channel_configured',
    'gauge',
    '1 when the channel’s secret is set.',
  );
  for (const [channel, on] of Object.entries(sources.channels)) {
    out.sample('dist_monitor_alert_channel_configured', on ? 1 : 0, { channel });
  }

  out.family(
    'dist_monitor_verified_bytes',
    'gauge',
    'Bytes of artifacts whose latest hash matched the signed manifest.',
  );
  out.sample('dist_monitor_verified_bytes', input.verifiedBytes);
  out.family(
    'dist_monitor_coverage_files',
    'gauge',
    'Files per release line by verification result within the rotation period.',
  );
  for (const line of sources.coverage) {
    const results: [string, number][] = [
      ['verified', line.verifiedWithinPeriod],
      ['stale', line.stale],
      ['never_hashed', line.neverHashed],
      ['mismatched', line.mismatched],
      ['unverifiable', line.unverifiable],
    ];
    for (const [result, count] of results) {
      out.sample('dist_monitor_coverage_files', count, { line: line.line, result });
    }
  }
  out.family(
    'dist_monitor_coverage_complete',
    'gauge',
    '1 when every file of the line was verified within the rotation period.',
  );
  for (const line of sources.coverage) {
    out.sample('dist_monitor_coverage_complete', line.complete ? 1 : 0, { line: line.line });
  }

  const kpis = computeResponseKpis(sources.incidents, now);
  const per = (pick: (k: (typeof kpis)[keyof typeof kpis]) => DurationStats) =>
    SEVERITIES.map((severity): [string, DurationStats] => [severity, pick(kpis[severity])]);
  writeDurations(
    out,
    'dist_monitor_time_to_acknowledge_seconds',
    'From opening to acknowledgement.',
    per((k) => k.acknowledge),
  );
  writeDurations(
    out,
    'dist_monitor_time_to_contain_seconds',
    'From opening to containment.',
    per((k) => k.contain),
  );
  writeDurations(
    out,
    'dist_monitor_time_to_resolve_seconds',
    'From opening to resolution.',
    per((k) => k.resolve),
  );
  out.family(
    'dist_monitor_response_minutes',
    'gauge',
    'The response time each severity must be acknowledged within.',
  );
  for (const severity of SEVERITIES)
    out.sample('dist_monitor_response_minutes', kpis[severity].responseMinutes, { severity });
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
  return out.toString();
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
