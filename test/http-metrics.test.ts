/**
 * GET /metrics: operators only, Prometheus text format 0.0.4, with sweeps, findings of the
 * last sweep by kind, incidents by severity, alert deliveries, coverage, health and the
 * response KPIs.
 */
import { describe, expect, it } from 'vitest';
import { reportSweepFindings } from '../src/jobs/report-findings';
import {
  ALICE_TOKEN,
  missingFileFinding,
  testEnv,
  call,
  openMissingFileIncident,
  openTamperIncident,
  seedSweep,
} from './http-helpers';

async function scrape(): Promise<string> {
  const response = await call('/metrics', { token: ALICE_TOKEN });
  expect(response.status).toBe(200);
  return response.text();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('serves the public families without a token, but findings by kind only to operators', async () => {
    await seedSweep();
    const response = await call('/metrics');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('dist_monitor_sweeps_total');
    expect(text).not.toContain('dist_monitor_last_sweep_findings_by_kind');
    const full = await (await call('/metrics', { token: ALICE_TOKEN })).text();
    expect(full).toContain('# TYPE dist_monitor_last_sweep_findings_by_kind gauge');
  });

  it('refuses a wrong token with 401', async () => {
    const response = await call('/metrics', { token: 'not-a-token' });
    expect(response.status).toBe(401);
  });

  it('is Prometheus text format 0.0.4, every line a comment or a sample', async () => {
    await seedSweep();
    const response = await call('/metrics', { token: ALICE_TOKEN });
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf))$/,
      );
    }
  });

  it('counts sweeps and failures and reports the last one', async () => {
    await seedSweep({ outcome: 'failed', finishedAt: new Date(Date.now() - 60_000).toISOString() });
    const last = await seedSweep({ durationMs: 7_500, bytes: 2048 });
    const text = await scrape();
    expect(sample(text, 'dist_monitor_sweeps_total')).toBe(2);
    expect(sample(text, 'dist_monitor_sweep_failures_total')).toBe(1);
    expect(sample(text, 'dist_monitor_last_sweep_duration_seconds')).toBe(7.5);
    expect(sample(text, 'dist_monitor_last_sweep_bytes')).toBe(2048);
    expect(sample(text, 'dist_monitor_last_success_timestamp_seconds')).toBe(
      Date.parse(last.finishedAt) / 1000,
    );
    expect(sample(text, 'dist_monitor_healthy')).toBe(1);
  });

  it('counts open incidents by severity and the last sweep’s findings by kind (operators)', async () => {
    const summary = await seedSweep({
      findings: 1,
      findingsBySeverity: { P0: 1, P1: 0, P2: 0, P3: 0 },
    });
    await openTamperIncident(new Date(summary.startedAt));
    await openMissingFileIncident();
    const text = await scrape();
    expect(sample(text, 'dist_monitor_open_incidents{severity="P0"}')).toBe(1);
    expect(sample(text, 'dist_monitor_open_incidents{severity="P2"}')).toBe(1);
    expect(sample(text, 'dist_monitor_open_incidents{severity="P1"}')).toBe(0);
    expect(sample(text, 'dist_monitor_last_sweep_findings{severity="P0"}')).toBe(1);
    expect(
      sample(
        text,
        'dist_monitor_last_sweep_findings_by_kind{kind="artifact-hash-mismatch",severity="P0"}',
      ),
    ).toBe(1);
  });

  it('reports alert messages of open incidents by channel and status to operators only', async () => {
    await openTamperIncident();
    const text = await scrape();
    expect(text).toContain('# TYPE dist_monitor_alert_messages gauge');
    expect(text).toContain('dist_monitor_alert_channel_configured{channel="slack"} 0');
    const open = await (await call('/metrics')).text();
    expect(open).not.toContain('dist_monitor_alert_messages');
    expect(open).toContain('dist_monitor_alert_channel_configured{channel="slack"} 0');
  });

  it('reports response KPIs and SLA breaches per severity', async () => {
    const id = await openMissingFileIncident();
    await call(`/api/incidents/${id}/acknowledge`, { method: 'POST', token: ALICE_TOKEN });
    const text = await scrape();
    expect(text).toContain('# TYPE dist_monitor_time_to_acknowledge_seconds summary');
    expect(sample(text, 'dist_monitor_time_to_acknowledge_seconds_count{severity="P2"}')).toBe(1);
    expect(sample(text, 'dist_monitor_time_to_resolve_seconds_count{severity="P2"}')).toBe(0);
    expect(sample(text, 'dist_monitor_sla_breaches{severity="P2"}')).toBe(0);
    expect(sample(text, 'dist_monitor_response_target_seconds{severity="P0"}')).toBe(900);
  });

  it('keeps the response counters when an acknowledged incident is resolved and reopened', async () => {
    const opened = new Date(Date.now() - 60_000);
    const id = await openMissingFileIncident(opened);
    await call(`/api/incidents/${id}/acknowledge`, { method: 'POST', token: ALICE_TOKEN });
    const count = async (step: string) =>
      sample(await scrape(), `dist_monitor_time_to_${step}_seconds_count{severity="P2"}`);
    expect(await count('acknowledge')).toBe(1);
    await call(`/api/incidents/${id}/resolve`, { method: 'POST', token: ALICE_TOKEN });
    expect(await count('resolve')).toBe(1);
    // Seen again by a later sweep: the incident reopens, with a new opening time.
    await reportSweepFindings(testEnv, {
      sweepId: 'sweep-later',
      findings: [missingFileFinding(new Date())],
      now: new Date(),
    });
    const reopened = await (await call(`/api/incidents/${id}`, { token: ALICE_TOKEN })).json();
    expect(reopened).toMatchObject({ incident: { state: 'open', reopenCount: 1 } });
    expect(await count('acknowledge')).toBe(1);
    expect(await count('resolve')).toBe(1);
    await call(`/api/incidents/${id}/acknowledge`, { method: 'POST', token: ALICE_TOKEN });
    expect(await count('acknowledge')).toBe(2);
  });

  it('shows the public nothing /api/status withholds while a private incident is open', async () => {
    await seedSweep();
    await openTamperIncident();
    const status = (await (await call('/api/status')).json()) as { coverageWithheld: boolean };
    expect(status.coverageWithheld).toBe(true);
    const text = await (await call('/metrics')).text();
    expect(sample(text, 'dist_monitor_coverage_withheld')).toBe(1);
    expect(sample(text, 'dist_monitor_open_incidents{severity="withheld"}')).toBe(1);
    expect(sample(text, 'dist_monitor_open_incidents{severity="P0"}')).toBe(0);
    for (const hidden of [
      'coverage_files',
      'verified_bytes',
      'artifact-hash-mismatch',
      'state="',
    ]) {
      expect(text).not.toContain(hidden);
    }
  });

  it('says unhealthy when the last success is stale', async () => {
    await seedSweep({ finishedAt: new Date(Date.now() - 20 * 60_000).toISOString() });
    expect(sample(await scrape(), 'dist_monitor_healthy')).toBe(0);
  });
});
