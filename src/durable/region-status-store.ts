/**
 * MonitorState's memory of the regional probes: one row per configured region with its
 * latest probe (colo seen, time, result), the failed sweeps in a row behind the regional
 * outage threshold, and when it last hashed in full (the rotation). Plain functions over
 * the object's SQLite storage, called from MonitorState. Regions no longer configured are
 * dropped when the next results are recorded. Tables: docs/storage.md.
 */
import type { RegionStatusInput } from '../core/regional';

/** A region's latest probe, as /api/status and the status page show it. */
export interface RegionStatus extends RegionStatusInput {
  /** Sweeps in a row in which the region's requests failed (0 after a good one). */
  readonly consecutiveFailures: number;
  /** When the region last hashed the newest release's artifacts in full. */
  readonly lastFullHashAt?: string;
}

export function createRegionStatusTable(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS region_status (region TEXT PRIMARY KEY, position INTEGER NOT NULL,
       status TEXT NOT NULL, consecutive_failures INTEGER NOT NULL, last_full_hash_at TEXT)`,
  );
}

type Row = {
  region: string;
  status: string;
  consecutive_failures: number;
  last_full_hash_at: string | null;
};

/**
 * Stores one sweep's results (in the configured order) and answers each region's count of
 * consecutive failed sweeps, this one included. A probe that could not run leaves the
 * count as it was: it says nothing about the site.
 */
export function recordRegionResults(
  sql: SqlStorage,
  entries: readonly RegionStatusInput[],
): Record<string, number> {
  const previous = new Map(
    sql
      .exec<{ region: string; consecutive_failures: number; last_full_hash_at: string | null }>(
        `SELECT region, consecutive_failures, last_full_hash_at FROM region_status`,
      )
      .toArray()
      .map((row) => [row.region, row]),
  );
  const counters: Record<string, number> = {};
  entries.forEach((entry, position) => {
    const before = previous.get(entry.region);
    const failures =
      entry.availability === 'ok'
        ? 0
        : entry.availability === 'not-probed'
          ? (before?.consecutive_failures ?? 0)
          : (before?.consecutive_failures ?? 0) + 1;
    const lastFullHashAt = entry.fullHash ? entry.probedAt : (before?.last_full_hash_at ?? null);
    sql.exec(
      `INSERT INTO region_status (region, position, status, consecutive_failures, last_full_hash_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(region) DO UPDATE SET position = excluded.position, status = excluded.status,
         consecutive_failures = excluded.consecutive_failures, last_full_hash_at = excluded.last_full_hash_at`,
      entry.region,
      position,
      JSON.stringify(entry),
      failures,
      lastFullHashAt,
    );
    counters[entry.region] = failures;
  });
  if (entries.length > 0) {
    const kept = entries.map((entry) => entry.region);
    sql.exec(
      `DELETE FROM region_status WHERE region NOT IN (${kept.map(() => '?').join(', ')})`,
      ...kept,
    );
  }
  return counters;
}

/** Every region's latest probe, in the configured order. */
export function readRegionStatus(sql: SqlStorage): RegionStatus[] {
  return sql
    .exec<Row>(
      `SELECT region, status, consecutive_failures, last_full_hash_at FROM region_status ORDER BY position`,
    )
    .toArray()
    .map((row) => ({
      ...(JSON.parse(row.status) as RegionStatusInput),
      consecutiveFailures: row.consecutive_failures,
      ...(row.last_full_hash_at !== null && { lastFullHashAt: row.last_full_hash_at }),
    }));
}
