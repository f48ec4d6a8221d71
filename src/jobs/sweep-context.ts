/**
 * The state one sweep carries between its steps: configuration, the HTTP client with its
 * shared subrequest budget, the findings so far (deduplicated by fingerprint), the request
 * tally behind availability, and what was skipped. Steps add to it; the orchestrator reads
 * it once at the end to write the summary.
 */
import type { MonitorConfig } from '../core/config';
import { createFinding, type Finding, type FindingInput } from '../core/findings';
import type { HeaderPolicy } from '../core/header-policy';
import { checkResponseHeaders } from '../core/header-policy';
import type { RequestTally } from '../core/availability';
import type { SkippedWork } from '../core/sweep-summary';
import type { HashJob } from '../core/hash-jobs';
import type { DistClient, HttpError, ResponseMeta } from '../adapters/dist-client';
import type { PinStore } from '../adapters/pin-store';
import type { ManifestObservation } from '../core/manifest-silence';
import type { ReleaseFacts } from '../core/release-novelty';
import type { PinnedEntryRecord } from '../durable/release-registry';

export interface SweepContext {
  readonly sweepId: string;
  readonly now: Date;
  readonly config: MonitorConfig;
  readonly headerPolicy: HeaderPolicy;
  readonly client: DistClient;
  /** Shared with the client: every attempt and redirect hop spends one unit. */
  readonly budget: { remaining: number };
  readonly pins: PinStore;
  readonly findings: Map<string, Finding>;
  readonly tally: {
    answered: number;
    failed: number;
    /** Availability failures in a row; at CIRCUIT_BREAKER_FAILURES the sweep stops asking. */
    consecutiveFailed: number;
    latenciesMs: number[];
    failures: { url: string; error: string }[];
  };
  readonly skipped: SkippedWork[];
  /** Wall-clock time (epoch ms) after which the sweep sends nothing more. */
  readonly deadlineAt: number;
  readonly hashJobs: HashJob[];
  artifactsChecked: number;
  /** What each signed file asked for answered (core/manifest-silence.ts), recorded at the end. */
  readonly manifestObservations: ManifestObservation[];
  /** Index entries of pins written (or backfilled) this sweep, for the release registry. */
  readonly pinnedEntries: PinnedEntryRecord[];
  /** Releases whose manifest this sweep fetched (watched or re-checked). */
  readonly manifestsChecked: string[];
  /** Per version, what the index step learnt (listed and pinned entries, novelty). */
  releaseFacts: ReadonlyMap<string, ReleaseFacts>;
}

export function createSweepContext(
  init: { readonly deadlineMs?: number } & Pick<
    SweepContext,
    'sweepId' | 'now' | 'config' | 'headerPolicy' | 'client' | 'budget' | 'pins'
  >,
): SweepContext {
  return {
    ...init,
    findings: new Map(),
    tally: { answered: 0, failed: 0, consecutiveFailed: 0, latenciesMs: [], failures: [] },
    skipped: [],
    deadlineAt: Date.now() + (init.deadlineMs ?? SWEEP_DEADLINE_MS),
    hashJobs: [],
    artifactsChecked: 0,
    manifestObservations: [],
    pinnedEntries: [],
    manifestsChecked: [],
    releaseFacts: new Map(),
  };
}

/** Adds a finding; a second finding with the same fingerprint in one sweep is merged away. */
export function addFinding(ctx: SweepContext, input: FindingInput): void {
  const finding = createFinding(input, ctx.now);
  if (!ctx.findings.has(finding.fingerprint)) ctx.findings.set(finding.fingerprint, finding);
}

export function addFindings(ctx: SweepContext, findings: readonly Finding[]): void {
  for (const finding of findings) {
    if (!ctx.findings.has(finding.fingerprint)) ctx.findings.set(finding.fingerprint, finding);
  }
}

export function skip(
  ctx: SweepContext,
  what: string,
  reason: SkippedWork['reason'],
  count = 1,
): void {
  const existing = ctx.skipped.find((entry) => entry.what === what && entry.reason === reason);
  if (existing) {
    ctx.skipped[ctx.skipped.indexOf(existing)] = { ...existing, count: existing.count + count };
  } else {
    ctx.skipped.push({ what, reason, count });
  }
}

const AVAILABILITY_FAILURES: ReadonlySet<HttpError['kind']> = new Set([
  'timeout',
  'network',
  'truncated',
]);

/** True when an error says the site did not answer (as opposed to answering wrongly). */
export function isAvailabilityFailure(error: HttpError): boolean {
  if (AVAILABILITY_FAILURES.has(error.kind)) return true;
  return error.kind === 'status' && (error.status ?? 0) >= 500;
}

/**
 * Records one response for availability and runs the header policy on it: every response
 * the monitor sees is checked, errors included (they have their own cache policy).
 */
export function observeResponse(ctx: SweepContext, meta: ResponseMeta, release?: string): void {
  if (meta.status < 500) {
    ctx.tally.answered += 1;
    ctx.tally.consecutiveFailed = 0;
  }
  inspectResponse(ctx, meta, release);
}

/** Latency and the header policy, for any response whose headers arrived. */
function inspectResponse(ctx: SweepContext, meta: ResponseMeta, release?: string): void {
  ctx.tally.latenciesMs.push(meta.latencyMs);
  addFindings(
    ctx,
    checkResponseHeaders(
      { url: meta.url, status: meta.status, headers: meta.headers },
      ctx.headerPolicy,
      ctx.now,
      release,
    ),
  );
}

/** Records a failed request; foreign redirects become findings, availability failures count. */
export function observeError(ctx: SweepContext, error: HttpError, release?: string): void {
  // Headers that arrived before the body stalled or broke are judged, but the request is
  // not an answer: counting it as one would reset the circuit breaker on every request of
  // an origin that sends headers and then drips (slowloris), so it would never open.
  if (error.meta) {
    if (isAvailabilityFailure(error)) inspectResponse(ctx, error.meta, release);
    else observeResponse(ctx, error.meta, release);
  }
  if (error.kind === 'foreign-redirect') {
    const hop = error.redirects.at(-1);
    addFinding(ctx, {
      kind: 'foreign-redirect',
      subject: error.url,
      summary: `${error.url} redirects to ${hop?.to ?? 'a host'} that is not allowed.`,
      expected: 'served from the dist host or an allowed host',
      observed: hop?.to ?? error.detail,
      ...(release !== undefined && { release }),
      evidence: { redirects: error.redirects, detail: error.detail },
    });
    return;
  }
  if (isAvailabilityFailure(error)) {
    ctx.tally.failed += 1;
    ctx.tally.consecutiveFailed += 1;
    if (ctx.tally.failures.length < 20)
      ctx.tally.failures.push({ url: error.url, error: `${error.kind}: ${error.detail}` });
  }
}

/**
 * Why a file counts as not served: gone (404/410), or a redirect loop or chain no client
 * can follow. Undefined for failures that say nothing about the file (timeouts, 5xx).
 */
export function unservableReason(error: HttpError): string | undefined {
  if (error.kind === 'status' && (error.status === 404 || error.status === 410)) {
    return `HTTP ${error.status}`;
  }
  if (error.kind === 'redirect-loop' || error.kind === 'too-many-redirects') {
    return `${error.kind} after ${error.redirects.length} redirects`;
  }
  return undefined;
}

/**
 * A sweep stops sending requests this long after it started: a slow origin (answering just
 * under the timeout) must not stretch one sweep over the next ones. What is left is skipped.
 */
export const SWEEP_DEADLINE_MS = 3 * 60 * 1000;

/**
 * Failed requests in a row after which a sweep stops sending more: a site that is down is
 * not hammered with hundreds of retried requests, and the sweep ends in seconds.
 */
export const CIRCUIT_BREAKER_FAILURES = 5;

/**
 * True when the sweep may send `cost` more requests; otherwise records the skip (budget
 * spent, or the circuit breaker open) under `what`.
 */
export function canRequest(ctx: SweepContext, what: string, cost = 1): boolean {
  if (Date.now() >= ctx.deadlineAt) {
    skip(ctx, what, 'sweep-deadline');
    return false;
  }
  if (ctx.tally.consecutiveFailed >= CIRCUIT_BREAKER_FAILURES) {
    skip(ctx, what, 'origin-failing');
    return false;
  }
  if (ctx.budget.remaining < cost) {
    skip(ctx, what, 'subrequest-budget');
    return false;
  }
  return true;
}

export function tallySnapshot(ctx: SweepContext): RequestTally {
  return {
    answered: ctx.tally.answered,
    failed: ctx.tally.failed,
    latenciesMs: ctx.tally.latenciesMs,
    failures: ctx.tally.failures,
  };
}
