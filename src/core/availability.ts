/**
 * Availability: turns what one sweep's requests saw into an outcome (ok, partial, down)
 * and, with the count of consecutive failed sweeps, into `origin-unavailable` and
 * `latency-degraded` findings. Contract: a single failed sweep is never an outage (the
 * threshold is configurable); nothing answering is P0, part answering is P1.
 */
import { createFinding, type Finding } from './findings';

export interface RequestTally {
  /** Requests that got an HTTP answer (any status below 500). */
  readonly answered: number;
  /** Requests that failed after their retries: timeouts, resets, 5xx. */
  readonly failed: number;
  readonly latenciesMs: readonly number[];
  /** Up to a few failed URLs with their error, for evidence. */
  readonly failures: readonly { readonly url: string; readonly error: string }[];
}

export type AvailabilityOutcome = 'ok' | 'partial' | 'down';

export function classifyAvailability(tally: RequestTally): AvailabilityOutcome {
  if (tally.failed === 0) return 'ok';
  return tally.answered === 0 ? 'down' : 'partial';
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export interface AvailabilityInput {
  readonly baseUrl: string;
  readonly tally: RequestTally;
  readonly consecutiveFailures: number;
  readonly consecutiveSlow: number;
  readonly outageThreshold: number;
  readonly latencyThresholdMs: number;
}

export function classifyAvailabilityFindings(input: AvailabilityInput, now: Date): Finding[] {
  const findings: Finding[] = [];
  const outcome = classifyAvailability(input.tally);
  if (outcome !== 'ok' && input.consecutiveFailures >= input.outageThreshold) {
    const full = outcome === 'down';
    findings.push(
      createFinding(
        {
          kind: 'origin-unavailable',
          severity: full ? 'P0' : 'P1',
          subject: input.baseUrl,
          summary: full
            ? `Nothing under ${input.baseUrl} answered for ${input.consecutiveFailures} consecutive sweeps.`
            : `${input.tally.failed} of ${input.tally.failed + input.tally.answered} requests under ${input.baseUrl} failed for ${input.consecutiveFailures} consecutive sweeps.`,
          expected: 'every request answered',
          observed: `${input.tally.failed} failed, ${input.tally.answered} answered`,
          evidence: {
            outcome,
            consecutiveFailures: input.consecutiveFailures,
            failures: input.tally.failures.slice(0, 10),
          },
        },
        now,
      ),
    );
  }
  const p50 = percentile(input.tally.latenciesMs, 50);
  if (
    p50 !== undefined &&
    p50 > input.latencyThresholdMs &&
    input.consecutiveSlow >= input.outageThreshold
  ) {
    findings.push(
      createFinding(
        {
          kind: 'latency-degraded',
          subject: input.baseUrl,
          summary: `Median response time under ${input.baseUrl} was ${Math.round(p50)} ms (threshold ${input.latencyThresholdMs} ms) for ${input.consecutiveSlow} consecutive sweeps.`,
          expected: `median ≤ ${input.latencyThresholdMs} ms`,
          observed: `median ${Math.round(p50)} ms`,
          evidence: {
            p50,
            p90: percentile(input.tally.latenciesMs, 90),
            max: percentile(input.tally.latenciesMs, 100),
            samples: input.tally.latenciesMs.length,
          },
        },
        now,
      ),
    );
  }
  return findings;
}
