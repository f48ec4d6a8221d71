/**
 * True counters of incident response, kept by the IncidentIndex: for each step
 * (acknowledge, contain, resolve) and severity, how many times it was completed and the
 * seconds it took in total, measured from the incident's (latest) opening. They only ever
 * grow, so the `_sum` and `_count` of the `dist_monitor_time_to_*_seconds` summaries in
 * `/metrics` are real Prometheus counters (`rate()` works), unlike sums over the newest
 * incidents of a listing. A step is counted once, when a newer summary first carries its
 * time for the current cycle; a time from before a reopen belongs to the previous cycle.
 * Functions over the index's SQLite storage, plus the pure step detection.
 */
import { SEVERITIES, type Severity } from '../core/findings';
import type { IncidentSummary } from '../core/incident';

export const RESPONSE_STEPS = ['acknowledge', 'contain', 'resolve'] as const;
export type ResponseStep = (typeof RESPONSE_STEPS)[number];

const STEP_TIMES: Record<ResponseStep, 'acknowledgedAt' | 'containedAt' | 'resolvedAt'> = {
  acknowledge: 'acknowledgedAt',
  contain: 'containedAt',
  resolve: 'resolvedAt',
};

export interface CompletedStep {
  readonly step: ResponseStep;
  readonly severity: Severity;
  readonly seconds: number;
}

export interface ResponseTotal {
  readonly step: ResponseStep;
  readonly severity: Severity;
  readonly count: number;
  readonly sumSeconds: number;
}

/** The steps `next` completes that `previous` (the stored version) had not. Pure. */
export function completedSteps(
  previous: IncidentSummary | undefined,
  next: IncidentSummary,
): CompletedStep[] {
  const steps: CompletedStep[] = [];
  const opened = Date.parse(next.openedAt);
  for (const step of RESPONSE_STEPS) {
    const at = next[STEP_TIMES[step]];
    if (at === undefined || previous?.[STEP_TIMES[step]] === at) continue;
    const seconds = (Date.parse(at) - opened) / 1000;
    if (!Number.isFinite(seconds) || seconds < 0) continue;
    steps.push({ step, severity: next.severity, seconds });
  }
  return steps;
}

export function createResponseTotalsTable(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS response_totals (step TEXT NOT NULL, severity TEXT NOT NULL,
       count INTEGER NOT NULL, sum_seconds REAL NOT NULL, PRIMARY KEY (step, severity))`,
  );
}

export function recordCompletedSteps(sql: SqlStorage, steps: readonly CompletedStep[]): void {
  for (const { step, severity, seconds } of steps) {
    sql.exec(
      `INSERT INTO response_totals (step, severity, count, sum_seconds) VALUES (?, ?, 1, ?)
       ON CONFLICT (step, severity) DO UPDATE SET count = count + 1, sum_seconds = sum_seconds + excluded.sum_seconds`,
      step,
      severity,
      seconds,
    );
  }
}

/** Every step and severity, zero where nothing was counted yet. */
export function readResponseTotals(sql: SqlStorage): ResponseTotal[] {
  const rows = sql
    .exec<{ step: string; severity: string; count: number; sum_seconds: number }>(
      `SELECT step, severity, count, sum_seconds FROM response_totals`,
    )
    .toArray();
  return RESPONSE_STEPS.flatMap((step) =>
    SEVERITIES.map((severity) => {
      const row = rows.find((r) => r.step === step && r.severity === severity);
      return { step, severity, count: row?.count ?? 0, sumSeconds: row?.sum_seconds ?? 0 };
    }),
  );
}
