/**
 * The manifest rotation: every pinned release's SHASUMS256.txt (+ `.sig`/`.asc`) is fetched
 * again, compared with its pin and its signature verified, a few releases per sweep, so
 * that the whole archive is re-checked within MANIFEST_RECHECK_PERIOD_MS (a day). An old
 * release's manifest edited, with its signatures deleted, is then found within a day, not
 * never (watched releases are checked every sweep anyway and are not planned here).
 *
 * Contract: pure and bounded. `planManifestRechecks` takes every candidate with when its
 * manifest was last checked and returns this sweep's share: first every release whose
 * signed files are currently not served (a silence must be seen again each sweep to
 * escalate), then never-checked ones, then the longest unchecked. The share is the archive
 * spread over the sweeps of one period with headroom, doubled while some are overdue, never
 * more than `maxPerSweep` or what the subrequest budget affords (`affordable`).
 */
import { SWEEP_INTERVAL_MS } from './rotation-plan';

/** The whole archive's manifests are re-checked within this period. */
export const MANIFEST_RECHECK_PERIOD_MS = 24 * 60 * 60 * 1000;
/** Planned to finish in 1/1.25 of the period: slack for skipped sweeps and budget cuts. */
export const MANIFEST_RECHECK_HEADROOM = 1.25;
/** Worst case of one re-check: a KV read, three GETs, three more past the cache if suspect. */
export const MANIFEST_RECHECK_COST = 7;
/** Re-checks one sweep does at most, whatever the archive's size. */
export const MAX_MANIFEST_RECHECKS_PER_SWEEP = 25;

export interface RecheckCandidate {
  readonly version: string;
  /** Epoch ms of the last re-check (or watched check); undefined when never. */
  readonly lastCheckedAt?: number;
  /** One of its signed files was not served last time it was asked for. */
  readonly silent: boolean;
}

export interface RecheckPolicy {
  readonly periodMs: number;
  readonly sweepIntervalMs: number;
  readonly maxPerSweep: number;
}

export interface RecheckPlan {
  /** Versions to re-check this sweep, in order. */
  readonly versions: readonly string[];
  /** Releases per sweep that keep the period (before the budget cut). */
  readonly pace: number;
  /** Candidates not checked within the period. */
  readonly overdue: number;
}

export function defaultRecheckPolicy(): RecheckPolicy {
  return {
    periodMs: MANIFEST_RECHECK_PERIOD_MS,
    sweepIntervalMs: SWEEP_INTERVAL_MS,
    maxPerSweep: MAX_MANIFEST_RECHECKS_PER_SWEEP,
  };
}

export function planManifestRechecks(
  candidates: readonly RecheckCandidate[],
  now: number,
  policy: RecheckPolicy,
  affordable: number,
): RecheckPlan {
  const sweeps = Math.max(1, Math.floor(policy.periodMs / Math.max(1, policy.sweepIntervalMs)));
  const overdue = candidates.filter(
    (candidate) =>
      candidate.lastCheckedAt === undefined || now - candidate.lastCheckedAt >= policy.periodMs,
  ).length;
  const basePace = Math.ceil((candidates.length * MANIFEST_RECHECK_HEADROOM) / sweeps);
  const pace = overdue > 0 ? basePace * 2 : basePace;
  const silent = candidates.filter((candidate) => candidate.silent).length;
  const limit = Math.max(0, Math.min(pace + silent, policy.maxPerSweep, Math.floor(affordable)));
  const ordered = [...candidates].sort(byUrgency);
  return { versions: ordered.slice(0, limit).map((c) => c.version), pace, overdue };
}

/** Silent first, then never checked, then oldest checked; the version breaks ties. */
function byUrgency(a: RecheckCandidate, b: RecheckCandidate): number {
  if (a.silent !== b.silent) return a.silent ? -1 : 1;
  const at = a.lastCheckedAt ?? Number.NEGATIVE_INFINITY;
  const bt = b.lastCheckedAt ?? Number.NEGATIVE_INFINITY;
  if (at !== bt) return at < bt ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}
