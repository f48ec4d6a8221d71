/**
 * The monitor's health as a public answer states it, judged at read time: from the sweeps'
 * own record (the heartbeat each sweep writes beside the snapshot, or the health a snapshot
 * carries) and from the snapshot's age, since the writer may be what broke. Contract: pure
 * (`now` is a parameter).
 */
import type { SweepSummary } from '../core/sweep-summary';
import type { SnapshotHealth } from './snapshot-model';
import { assessMonitorHealth, SWEEP_INTERVAL_MS, type MonitorHealth } from './status-model';

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
