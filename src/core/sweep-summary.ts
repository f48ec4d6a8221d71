/**
 * What one sweep did, as the status endpoint and the metrics read it. Contract: a sweep
 * always ends with a summary, also when it stopped early; `skipped` says what it did not
 * check and why, so a budget cut is visible rather than silent.
 */
import type { Severity } from './findings';

export type SweepTrigger = 'cron' | 'operator' | 'slack' | 'test';

export type SweepOutcome = 'clean' | 'findings' | 'failed';

export interface SkippedWork {
  /** e.g. `artifact-head v18.20.8`, `cache-differential`. */
  readonly what: string;
  readonly reason:
    | 'subrequest-budget'
    | 'origin-failing'
    | 'sweep-deadline'
    | 'manifest-unavailable'
    | 'index-unavailable'
    | 'keys-unavailable'
    /** A pin could not be written (KV failed); the next sweep pins it. */
    | 'pin-store-unavailable'
    /** Hash jobs could not be queued; the rotation plans them again within the hour. */
    | 'queue-unavailable';
  readonly count: number;
}

export interface SweepSummary {
  readonly id: string;
  readonly trigger: SweepTrigger;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly outcome: SweepOutcome;
  readonly baseUrl: string;
  /** Releases watched this sweep, newest first. */
  readonly releases: readonly string[];
  readonly requests: number;
  readonly retries: number;
  readonly bytes: number;
  readonly subrequestBudget: number;
  readonly artifactsChecked: number;
  readonly hashJobsQueued: number;
  /** Artifacts the sweep hashed itself (INLINE_HASH_BYTES), and how many of them mismatched. */
  readonly hashedInline?: number;
  readonly inlineMismatches?: number;
  readonly findings: number;
  readonly findingsBySeverity: Readonly<Record<Severity, number>>;
  readonly findingKinds: readonly string[];
  readonly availability: 'ok' | 'partial' | 'down';
  readonly latencyMsP50?: number;
  readonly latencyMsMax?: number;
  readonly skipped: readonly SkippedWork[];
  /** Set when the sweep itself broke (a bug or a binding failure), not the site. */
  readonly error?: string;
}
