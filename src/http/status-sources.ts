/**
 * Gathers what the status report, the badge, the feed and the metrics are built from:
 * MonitorState (sweeps, rollup, coverage, lock) and the incident index, read in parallel.
 */
import { logStatus } from './log-status';
import { parseMonitorConfig } from '../core/config';
import type { LineCoverage } from '../core/rotation-coverage';
import { monitorStateStub } from '../durable/monitor-state';
import type { MonitorEnv } from '../env';
import { listIncidents } from './incident-access';
import type { StatusSources } from './status-report';
import { utcDay } from './status-model';
import { channelsEnabled } from '../adapters/alert-channels';

const DAY_MS = 86_400_000;

/** The rotation period and the watched base URL, from the vars (defaults when unparsable). */
function settingsOf(env: MonitorEnv): { baseUrl: string; periodMs: number } {
  const parsed = parseMonitorConfig(env as unknown as Record<string, unknown>);
  if (!parsed.ok) return { baseUrl: 'https://nodejs.org/dist', periodMs: 7 * DAY_MS };
  return { baseUrl: parsed.value.DIST_BASE_URL, periodMs: parsed.value.ROTATION_DAYS * DAY_MS };
}

export async function loadStatusSources(env: MonitorEnv, now: Date): Promise<StatusSources> {
  const state = monitorStateStub(env);
  const { baseUrl, periodMs } = settingsOf(env);
  const nowIso = now.toISOString();
  const [latestSweep, lastSuccessAt, totals, sweepDays, coverage, incidents, running, regions] =
    await Promise.all([
      state.latestSweep(),
      state.lastSuccessAt(),
      state.sweepTotals(),
      state.sweepDays(utcDay(now.getTime() - 90 * DAY_MS)),
      state.rotationCoverage({ now: nowIso, periodMs }) as Promise<LineCoverage[]>,
      listIncidents(env),
      state.isSweepRunning(nowIso),
      state.regionStatus(),
    ]);
  return {
    ...(latestSweep !== undefined && { latestSweep }),
    ...(lastSuccessAt !== undefined && { lastSuccessAt }),
    sweepCount: totals.sweeps,
    sweepDays,
    coverage,
    incidents,
    sweepRunning: running.running,
    // On means the channel could be built: a malformed secret is off, not on.
    channels: channelsEnabled(env),
    baseUrl,
    regions,
    transparencyLog: await logStatus(env),
  };
}
