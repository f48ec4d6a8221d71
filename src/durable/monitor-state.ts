/**
 * MonitorState: the one strongly consistent home of the sweep's own state (a singleton,
 * `idFromName('monitor')`). It holds the sweep lock (one sweep at a time, whatever starts
 * it: cron, operator, Slack), the index history (highest version ever seen, watched set),
 * the availability counters behind consecutive-failure thresholds, the sweep summaries the
 * status endpoint reads, and per-artifact verification results for coverage.
 * Tables: docs/storage.md.
 */
import { DurableObject } from 'cloudflare:workers';
import type { MonitorEnv } from '../env';
import type { SweepSummary } from '../core/sweep-summary';
import type { LineCoverage } from '../core/rotation-coverage';
import type { RotationPlan } from '../core/rotation-plan';
import {
  cacheManifest,
  clearHashFailures,
  createRotationTables,
  lastHashFailure,
  lineCoverage,
  manifestStatuses,
  markManifest,
  planAndMarkRotation,
  recordHashFailures,
  releasesNeedingManifest,
  type CacheManifestInput,
  type HashFailureRecord,
  type ManifestStatusInput,
  type PlanRotationInput,
} from './rotation-store';
import { RateWindows, type RateDecision } from './rate-window';
import {
  createReleaseRegistryTables,
  markManifestsChecked,
  readReleaseRegistry,
  recordManifestAnswers,
  recordPinnedEntries,
  recordSightings,
  type PinnedEntryRecord,
  type ReleaseRegistry,
  type SilenceRecord,
} from './release-registry';
import type { ManifestObservation } from '../core/manifest-silence';
import type { ReleaseSighting } from '../core/release-novelty';
import type { RegionStatusInput } from '../core/regional';
import {
  createRegionStatusTable,
  readRegionStatus,
  recordRegionResults,
  type RegionStatus,
} from './region-status-store';
import {
  createSweepRollupTable,
  readSweepDays,
  readSweepTotals,
  readVerifiedBytes,
  recordSweepDay,
  type SweepDayRow,
  type SweepTotals,
} from './sweep-rollup';

/** A sweep holding the lock longer than this is presumed dead and its lock is taken over. */
const STALE_LOCK_MS = 10 * 60 * 1000;
const SUMMARIES_KEPT = 500;

export type BeginSweepResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly runningSweepId: string; readonly since: string };

export interface AvailabilityCounters {
  readonly consecutiveFailures: number;
  readonly consecutiveSlow: number;
  readonly lastOutcome: 'ok' | 'partial' | 'down';
}

export interface ArtifactResult {
  readonly version: string;
  readonly name: string;
  readonly result: 'verified' | 'mismatch' | 'unverifiable';
  readonly bytes: number;
  readonly at: string;
}

export interface ReleaseCoverage {
  readonly version: string;
  readonly files: number;
  readonly verified: number;
  readonly mismatched: number;
  readonly unverifiable: number;
  readonly oldestVerifiedAt?: string;
}

export class MonitorState extends DurableObject<MonitorEnv> {
  private readonly sql: SqlStorage;
  /** Operator-route rate limits (src/http/rate-limit.ts): in memory, see rate-window.ts. */
  private readonly rateWindows = new RateWindows();

  constructor(ctx: DurableObjectState, env: MonitorEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(
        `CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      );
      this.sql.exec(
        `CREATE TABLE IF NOT EXISTS sweeps (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, summary TEXT)`,
      );
      this.sql.exec(
        `CREATE TABLE IF NOT EXISTS artifacts (version TEXT NOT NULL, name TEXT NOT NULL, result TEXT NOT NULL,
           bytes INTEGER NOT NULL, verified_at TEXT NOT NULL, PRIMARY KEY (version, name))`,
      );
      createRotationTables(this.sql);
      createSweepRollupTable(this.sql);
      createRegionStatusTable(this.sql);
      createReleaseRegistryTables(this.sql);
    });
  }

  private getSetting<T>(key: string): T | undefined {
    const row = this.sql
      .exec<{ value: string }>(`SELECT value FROM settings WHERE key = ?`, key)
      .toArray()[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  private setSetting(key: string, value: unknown): void {
    this.sql.exec(
      `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      key,
      JSON.stringify(value),
    );
  }

  /** Takes the sweep lock, or says which sweep holds it. */
  beginSweep(sweepId: string, startedAt: string): BeginSweepResult {
    const lock = this.getSetting<{ sweepId: string; since: string }>('lock');
    if (lock && Date.parse(startedAt) - Date.parse(lock.since) < STALE_LOCK_MS) {
      return { ok: false, runningSweepId: lock.sweepId, since: lock.since };
    }
    this.setSetting('lock', { sweepId, since: startedAt });
    this.sql.exec(
      `INSERT OR REPLACE INTO sweeps (id, started_at) VALUES (?, ?)`,
      sweepId,
      startedAt,
    );
    return { ok: true };
  }

  /** Stores the summary and releases the lock if this sweep holds it. */
  finishSweep(summary: SweepSummary): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO sweeps (id, started_at, finished_at, summary) VALUES (?, ?, ?, ?)`,
      summary.id,
      summary.startedAt,
      summary.finishedAt,
      JSON.stringify(summary),
    );
    const lock = this.getSetting<{ sweepId: string }>('lock');
    if (lock?.sweepId === summary.id) this.sql.exec(`DELETE FROM settings WHERE key = 'lock'`);
    if (summary.outcome !== 'failed') this.setSetting('lastSuccessAt', summary.finishedAt);
    recordSweepDay(this.sql, summary);
    this.sql.exec(
      `DELETE FROM sweeps WHERE id NOT IN (SELECT id FROM sweeps ORDER BY started_at DESC, rowid DESC LIMIT ?)`,
      SUMMARIES_KEPT,
    );
  }

  isSweepRunning(now: string): { running: boolean; sweepId?: string; since?: string } {
    const lock = this.getSetting<{ sweepId: string; since: string }>('lock');
    if (!lock || Date.parse(now) - Date.parse(lock.since) >= STALE_LOCK_MS)
      return { running: false };
    return { running: true, sweepId: lock.sweepId, since: lock.since };
  }

  latestSweep(): SweepSummary | undefined {
    const row = this.sql
      .exec<{ summary: string }>(
        `SELECT summary FROM sweeps WHERE summary IS NOT NULL ORDER BY finished_at DESC, rowid DESC LIMIT 1`,
      )
      .toArray()[0];
    return row ? (JSON.parse(row.summary) as SweepSummary) : undefined;
  }

  recentSweeps(limit: number): SweepSummary[] {
    return this.sql
      .exec<{ summary: string }>(
        `SELECT summary FROM sweeps WHERE summary IS NOT NULL ORDER BY finished_at DESC, rowid DESC LIMIT ?`,
        Math.max(1, Math.min(limit, SUMMARIES_KEPT)),
      )
      .toArray()
      .map((row) => JSON.parse(row.summary) as SweepSummary);
  }

  lastSuccessAt(): string | undefined {
    return this.getSetting<string>('lastSuccessAt');
  }

  getIndexHistory(): { highestVersion?: string; watched: string[] } | undefined {
    return this.getSetting('indexHistory');
  }

  setIndexHistory(history: { highestVersion?: string; watched: string[] }): void {
    this.setSetting('indexHistory', history);
  }

  /** Counts consecutive failed / slow sweeps; a clean sweep resets the count. */
  recordAvailability(outcome: 'ok' | 'partial' | 'down', slow: boolean): AvailabilityCounters {
    const previous = this.getSetting<AvailabilityCounters>('availability');
    const next: AvailabilityCounters = {
      consecutiveFailures: outcome === 'ok' ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
      consecutiveSlow: slow ? (previous?.consecutiveSlow ?? 0) + 1 : 0,
      lastOutcome: outcome,
    };
    this.setSetting('availability', next);
    return next;
  }

  /** Idempotent: the newest result per artifact wins. */
  recordArtifactResults(results: readonly ArtifactResult[]): void {
    for (const result of results) {
      this.sql.exec(
        `INSERT INTO artifacts (version, name, result, bytes, verified_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(version, name) DO UPDATE SET result = excluded.result, bytes = excluded.bytes,
           verified_at = excluded.verified_at WHERE excluded.verified_at >= artifacts.verified_at`,
        result.version,
        result.name,
        result.result,
        result.bytes,
        result.at,
      );
    }
  }

  artifactResult(version: string, name: string): ArtifactResult | undefined {
    const row = this.sql
      .exec<{ result: ArtifactResult['result']; bytes: number; verified_at: string }>(
        `SELECT result, bytes, verified_at FROM artifacts WHERE version = ? AND name = ?`,
        version,
        name,
      )
      .toArray()[0];
    return row
      ? { version, name, result: row.result, bytes: row.bytes, at: row.verified_at }
      : undefined;
  }

  /** Per release: how many files were verified, and the oldest verification. */
  coverage(versions: readonly string[]): ReleaseCoverage[] {
    return versions.map((version) => {
      const rows = this.sql
        .exec<{ result: string; verified_at: string }>(
          `SELECT result, verified_at FROM artifacts WHERE version = ?`,
          version,
        )
        .toArray();
      const verified = rows.filter((row) => row.result === 'verified');
      const oldest = verified.map((row) => row.verified_at).sort()[0];
      return {
        version,
        files: rows.length,
        verified: verified.length,
        mismatched: rows.filter((row) => row.result === 'mismatch').length,
        unverifiable: rows.filter((row) => row.result === 'unverifiable').length,
        ...(oldest !== undefined && { oldestVerifiedAt: oldest }),
      };
    });
  }

  // The hashing rotation (src/durable/rotation-store.ts): manifest cache, plan, failures.

  /** Listed versions without a cached manifest that are due for another try. */
  releasesNeedingManifest(versions: readonly string[], now: string, limit: number): string[] {
    return releasesNeedingManifest(this.sql, versions, now, limit);
  }

  cacheReleaseManifest(input: CacheManifestInput): void {
    cacheManifest(this.sql, input);
  }

  markReleaseManifest(input: ManifestStatusInput): void {
    markManifest(this.sql, input);
  }

  rotationManifests(): ReturnType<typeof manifestStatuses> {
    return manifestStatuses(this.sql);
  }

  /** This sweep's share of the rotation; the planned artifacts are marked as queued. */
  planRotation(input: PlanRotationInput): RotationPlan {
    return planAndMarkRotation(this.sql, input);
  }

  /** Per release line: files verified within the rotation period. */
  rotationCoverage(input: {
    versions?: readonly string[];
    now: string;
    periodMs: number;
  }): LineCoverage[] {
    return lineCoverage(this.sql, input);
  }

  recordHashFailures(failures: readonly HashFailureRecord[]): void {
    recordHashFailures(this.sql, failures);
  }

  clearHashFailures(artifacts: readonly { version: string; name: string }[]): void {
    clearHashFailures(this.sql, artifacts);
  }

  lastHashFailure(
    version: string,
    name: string,
  ): { error: string; failures: number; at: string } | undefined {
    return lastHashFailure(this.sql, version, name);
  }

  // The release registry (src/durable/release-registry.ts): sightings, pinned index
  // entries, manifest re-checks, silences.

  releaseRegistry(): ReleaseRegistry {
    return readReleaseRegistry(this.sql);
  }

  recordReleaseSightings(sightings: readonly ReleaseSighting[], indexAt: string): void {
    recordSightings(this.sql, sightings, indexAt);
  }

  recordPinnedEntries(records: readonly PinnedEntryRecord[]): void {
    recordPinnedEntries(this.sql, records);
  }

  markManifestsChecked(versions: readonly string[], at: string): void {
    markManifestsChecked(this.sql, versions, at);
  }

  recordManifestAnswers(observations: readonly ManifestObservation[], at: string): SilenceRecord[] {
    return recordManifestAnswers(this.sql, observations, at);
  }

  // Regional probes (src/jobs/sweep-regions.ts, src/durable/region-status-store.ts).

  /** Stores each region's latest probe; answers each region's consecutive failed sweeps. */
  recordRegionResults(entries: readonly RegionStatusInput[]): Record<string, number> {
    return recordRegionResults(this.sql, entries);
  }

  /** Every configured region's latest probe: colo seen, time, result (for /api/status). */
  regionStatus(): RegionStatus[] {
    return readRegionStatus(this.sql);
  }

  // The status page and /metrics (src/http/): daily sweep rollup, totals, rate limits.

  /** Days of the rollup from `fromDay` (`YYYY-MM-DD`, UTC), oldest first. */
  sweepDays(fromDay: string): SweepDayRow[] {
    return readSweepDays(this.sql, fromDay);
  }

  sweepTotals(): SweepTotals {
    return readSweepTotals(this.sql);
  }

  verifiedBytes(): number {
    return readVerifiedBytes(this.sql);
  }

  /** Counts one request for `key` against `limit` per `windowMs`. */
  hitRateLimit(key: string, limit: number, windowMs: number, nowMs: number): RateDecision {
    return this.rateWindows.hit(key, limit, windowMs, nowMs);
  }

  /** One authentication attempt: refused while `key` has `limit` failures this window. */
  authAttempt(
    key: string,
    failed: boolean,
    limit: number,
    windowMs: number,
    nowMs: number,
  ): RateDecision {
    return this.rateWindows.attempt(key, failed, limit, windowMs, nowMs);
  }

  /**
   * A random key made once per deployment and kept: the Atom feed's entry ids are HMACs
   * of incident ids under it (src/http/feed-ids.ts), stable for life and unguessable.
   */
  feedKey(): string {
    const stored = this.getSetting<string>('feed-key');
    if (stored !== undefined) return stored;
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const key = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
    this.setSetting('feed-key', key);
    return key;
  }
}

export function monitorStateStub(
  env: Pick<MonitorEnv, 'MONITOR_STATE'>,
): DurableObjectStub<MonitorState> {
  return env.MONITOR_STATE.get(
    env.MONITOR_STATE.idFromName('monitor'),
  ) as DurableObjectStub<MonitorState>;
}
