/**
 * MonitorState's daily sweep rollup: one row per UTC day (sweeps, failed sweeps, sweeps
 * that found the site down or partly down, bytes read). The sweep table keeps only the
 * latest summaries; the rollup is what the 90-day status bars, uptime and the sweep
 * counters in /metrics read. Rows are tiny and kept (about 365 a year), so the totals are
 * true counters. Functions over the object's SQLite storage, called from MonitorState.
 */
import type { SweepSummary } from '../core/sweep-summary';

/** One UTC day of sweeps. */
export interface SweepDayRow {
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly sweeps: number;
  readonly failed: number;
  readonly down: number;
  readonly partial: number;
  readonly bytes: number;
}

export interface SweepTotals {
  readonly sweeps: number;
  readonly failed: number;
  readonly bytes: number;
}

export function createSweepRollupTable(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS sweep_days (day TEXT PRIMARY KEY, sweeps INTEGER NOT NULL,
       failed INTEGER NOT NULL, down INTEGER NOT NULL, partial INTEGER NOT NULL, bytes INTEGER NOT NULL)`,
  );
}

/** Counts a finished sweep on the UTC day it finished. */
export function recordSweepDay(sql: SqlStorage, summary: SweepSummary): void {
  sql.exec(
    `INSERT INTO sweep_days (day, sweeps, failed, down, partial, bytes) VALUES (?, 1, ?, ?, ?, ?)
     ON CONFLICT(day) DO UPDATE SET sweeps = sweeps + 1, failed = failed + excluded.failed,
       down = down + excluded.down, partial = partial + excluded.partial, bytes = bytes + excluded.bytes`,
    summary.finishedAt.slice(0, 10),
    summary.outcome === 'failed' ? 1 : 0,
    summary.availability === 'down' ? 1 : 0,
    summary.availability === 'partial' ? 1 : 0,
    Math.max(0, Math.round(summary.bytes)),
  );
}

/** Days from `fromDay` (inclusive), oldest first. */
export function readSweepDays(sql: SqlStorage, fromDay: string): SweepDayRow[] {
  return sql
    .exec<{
      day: string;
      sweeps: number;
      failed: number;
      down: number;
      partial: number;
      bytes: number;
    }>(
      `SELECT day, sweeps, failed, down, partial, bytes FROM sweep_days WHERE day >= ? ORDER BY day`,
      fromDay,
    )
    .toArray()
    .map((row) => ({ ...row }));
}

export function readSweepTotals(sql: SqlStorage): SweepTotals {
  const row = sql
    .exec<{ sweeps: number | null; failed: number | null; bytes: number | null }>(
      `SELECT SUM(sweeps) AS sweeps, SUM(failed) AS failed, SUM(bytes) AS bytes FROM sweep_days`,
    )
    .toArray()[0];
  return { sweeps: row?.sweeps ?? 0, failed: row?.failed ?? 0, bytes: row?.bytes ?? 0 };
}

/** Bytes of the artifacts whose latest hash verified (MonitorState's `artifacts` table). */
export function readVerifiedBytes(sql: SqlStorage): number {
  const row = sql
    .exec<{ bytes: number | null }>(
      `SELECT SUM(bytes) AS bytes FROM artifacts WHERE result = 'verified'`,
    )
    .toArray()[0];
  return row?.bytes ?? 0;
}
