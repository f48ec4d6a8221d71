/**
 * The metrics renderer alone (src/http/metrics.ts), from hand-made status sources: the
 * public scrape shows only what the public status report shows (the disclosure rule), no
 * label names a webhook receiver, units are base units, and the summaries' `_sum`/`_count`
 * are the index's counters, not sums over a listing.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentSummary, OutboxView } from '../src/core/incident';
import type { LineCoverage } from '../src/core/rotation-coverage';
import type { ResponseTotal } from '../src/durable/response-totals';
import { renderMetrics, type MetricsInput } from '../src/http/metrics';
import { buildStatusReport, type StatusSources } from '../src/http/status-report';
import { sweepSummary } from './http-helpers';

const NOW = new Date('2040-01-01T00:10:00Z');

const COVERAGE: LineCoverage = {
  line: 'v18.x',
  releases: 1,
  manifestsPending: 0,
  files: 8,
  verifiedWithinPeriod: 7,
  stale: 0,
  neverHashed: 0,
  mismatched: 1,
  unverifiable: 0,
  complete: false,
  summary: 'v18.x: 7 of 8 files verified, 1 mismatched',
};

function incident(overrides: Partial<IncidentSummary>): IncidentSummary {
  return {
    id: '0123456789abcdef0123456789abcdef',
    fingerprint: 'artifact-hash-mismatch https://dist.test/dist/v18.20.0/node.tar.gz',
    kind: 'artifact-hash-mismatch',
    severity: 'P0',
    state: 'acknowledged',
    subject: 'https://dist.test/dist/v18.20.0/node.tar.gz',
    title: 'An artifact’s bytes differ from the signed hash',
    openedAt: '2040-01-01T00:00:00.000Z',
    acknowledgedAt: '2040-01-01T00:05:00.000Z',
    lastSeen: '2040-01-01T00:00:00.000Z',
    security: true,
    disclosed: false,
    publicSummary: 'Investigating an issue affecting release downloads.',
    version: 3,
    ...overrides,
  };
}

const DELIVERIES: OutboxView[] = [
  {
    id: 1,
    channel: 'webhook:hooks.receiver.test:8443',
    event: 'opened',
    status: 'delivered',
    attempts: 1,
  },
  { id: 2, channel: 'slack', event: 'opened', status: 'delivered', attempts: 2 },
];

function input(incidents: IncidentSummary[], extra: Partial<MetricsInput> = {}): MetricsInput {
  const sources: StatusSources = {
    latestSweep: sweepSummary({ finishedAt: '2040-01-01T00:09:00.000Z' }),
    lastSuccessAt: '2040-01-01T00:09:00.000Z',
    sweepCount: 3,
    sweepDays: [],
    coverage: [COVERAGE],
    incidents,
    sweepRunning: false,
    channels: { slack: true, sentry: false, webhooks: true },
    baseUrl: 'https://dist.test/dist',
  };
  return {
    sources,
    totals: { sweeps: 3, failed: 0, bytes: 1000 },
    verifiedBytes: 4096,
    deliveries: DELIVERIES,
    ...extra,
  };
}

/** Every label value of every sample. */
function labelValues(text: string): string[] {
  return [...text.matchAll(/="([^"]*)"/g)].map((match) => match[1] as string);
}

describe('public /metrics under the disclosure rule', () => {
  it('shows no coverage result while /api/status withholds them (issue 13, item 6)', () => {
    const withPrivate = input([incident({})]);
    expect(buildStatusReport(withPrivate.sources, { audience: 'public', now: NOW })).toMatchObject({
      coverageWithheld: true,
    });
    const text = renderMetrics(withPrivate, NOW, 'public');
    expect(text).toContain('dist_monitor_coverage_withheld 1');
    expect(text).not.toContain('dist_monitor_coverage_files');
    expect(text).not.toContain('mismatched');
    expect(text).not.toContain('dist_monitor_verified_bytes');
    expect(text).not.toContain('v18.x');
  });

  it('counts an undisclosed incident as withheld, with no state, kind or severity of its own', () => {
    const text = renderMetrics(input([incident({})]), NOW, 'public');
    expect(text).toContain('dist_monitor_open_incidents{severity="withheld"} 1');
    expect(text).toContain('dist_monitor_open_incidents{severity="P0"} 0');
    expect(text).not.toContain('acknowledged');
    expect(text).not.toContain('artifact-hash-mismatch');
    expect(text).not.toContain('dist_monitor_time_to_');
  });

  it('shows coverage once nothing is withheld', () => {
    const text = renderMetrics(input([incident({ disclosed: true })]), NOW, 'public');
    expect(text).toContain('dist_monitor_coverage_withheld 0');
    expect(text).toContain('dist_monitor_coverage_files{line="v18.x",result="mismatched"} 1');
    expect(text).toContain('dist_monitor_open_incidents{severity="P0"} 1');
  });

  it('names no webhook receiver host or port in any label', () => {
    const text = renderMetrics(input([incident({})]), NOW, 'public');
    for (const value of labelValues(text)) {
      expect(value).not.toContain('hooks.receiver.test');
      expect(value).not.toContain('8443');
    }
    expect(text).not.toContain('dist_monitor_alert_messages');
  });

  it('gives operators everything: deliveries by channel, states, coverage, KPIs', () => {
    const text = renderMetrics(input([incident({})]), NOW, 'operator');
    expect(text).toContain(
      'dist_monitor_alert_messages{channel="webhook:hooks.receiver.test:8443",status="delivered"} 1',
    );
    expect(text).toContain('dist_monitor_coverage_files{line="v18.x",result="mismatched"} 1');
    expect(text).toContain('dist_monitor_incidents{state="acknowledged",severity="P0"} 1');
  });
});

describe('units and counters', () => {
  it('uses seconds, not minutes, for the response targets', () => {
    const text = renderMetrics(input([]), NOW, 'operator');
    expect(text).not.toMatch(/_minutes\b/);
    expect(text).toContain('dist_monitor_response_target_seconds{severity="P0"} 900');
  });

  it('takes the summaries’ _sum and _count from the counters, not from the listed incidents', () => {
    const totals: ResponseTotal[] = [
      { step: 'acknowledge', severity: 'P0', count: 41, sumSeconds: 12_345 },
    ];
    // One listed incident, but the counters have seen 41 acknowledgements.
    const text = renderMetrics(input([incident({})], { responseTotals: totals }), NOW, 'operator');
    expect(text).toContain('dist_monitor_time_to_acknowledge_seconds_count{severity="P0"} 41');
    expect(text).toContain('dist_monitor_time_to_acknowledge_seconds_sum{severity="P0"} 12345');
    expect(text).toContain(
      'dist_monitor_time_to_acknowledge_seconds{severity="P0",quantile="0.5"} 300',
    );
  });

  it('names every counter *_total and nothing else so', () => {
    const text = renderMetrics(input([incident({})]), NOW, 'operator');
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
    for (const [, name, type] of types) {
      expect(name!.endsWith('_total'), `${name} is a ${type}`).toBe(type === 'counter');
    }
  });

  it('keeps a hostile release line from breaking the exposition format', () => {
    const hostile = { ...COVERAGE, line: 'v18.x"} 1\nevil{a="\u0001\uD800\\' };
    const text = renderMetrics(
      input([], { sources: { ...input([]).sources, coverage: [hostile] } }),
      NOW,
      'operator',
    );
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf))$/,
      );
    }
    expect(text).not.toMatch(/^evil/m);
    expect(text.isWellFormed()).toBe(true);
  });
});
