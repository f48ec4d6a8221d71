/**
 * One regional probe's run of its plan, inside the RegionProbe Durable Object: HEAD or GET
 * (hashing the body, constant memory) each planned URL, fetch the cache-bypassing twin when
 * asked, run the header policy on every response, and note the data centre each response
 * came from (`cf-ray`). It has its own subrequest budget and the sweep's circuit breaker:
 * after CIRCUIT_BREAKER_FAILURES failures in a row it stops asking, so a region that is
 * down is not hammered. Never throws for the site's failures; they are in the result.
 */
import type { Finding } from '../core/findings';
import { checkResponseHeaders, type HeaderPolicy } from '../core/header-policy';
import { coloOfCfRay, placementOf } from '../core/region-colos';
import {
  REGION_HEADER,
  type ProbeCheck,
  type ProbeCheckResult,
  type ProbeObservation,
  type ProbePlan,
  type RegionProbeResult,
} from '../core/region-probe-plan';
import {
  createDistClient,
  type DistClient,
  type HttpError,
  type HttpResult,
  type ResponseMeta,
} from '../adapters/dist-client';
import { CIRCUIT_BREAKER_FAILURES, isAvailabilityFailure } from './sweep-context';

/** Checks in flight at once: a few hundred HEADs finish in seconds, and no region is flooded. */
const CONCURRENCY = 4;
const FAILURES_KEPT = 5;
/** Headers kept as evidence: what tells one cache's answer from another. */
const EVIDENCE_HEADERS = [
  'content-length',
  'etag',
  'last-modified',
  'age',
  'cf-cache-status',
  'cf-ray',
] as const;

export interface ProbeRunOptions {
  readonly fetch: typeof fetch;
  /** Epoch milliseconds. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface ProbeTally {
  answered: number;
  failed: number;
  consecutiveFailed: number;
  readonly failures: { url: string; error: string }[];
  readonly colos: Map<string, number>;
  readonly headerFindings: Map<string, Finding>;
}

export async function runProbePlan(
  plan: ProbePlan,
  options: ProbeRunOptions,
): Promise<RegionProbeResult> {
  const clock = options.now ?? (() => Date.now());
  const started = clock();
  const budget = { remaining: plan.client.maxRequests };
  const client = createDistClient({
    fetch: options.fetch,
    timeoutMs: plan.client.timeoutMs,
    retries: plan.client.retries,
    backoffMs: plan.client.backoffMs,
    retryAfterCapMs: plan.client.retryAfterCapMs,
    allowedRedirectHosts: plan.client.allowedRedirectHosts,
    subrequestBudget: budget,
    ...(options.sleep && { sleep: options.sleep }),
    ...(plan.simulateRegion && { headers: { [REGION_HEADER]: plan.region } }),
  });
  const tally: ProbeTally = {
    answered: 0,
    failed: 0,
    consecutiveFailed: 0,
    failures: [],
    colos: new Map(),
    headerFindings: new Map(),
  };
  const now = new Date(plan.now);
  const results: (ProbeCheckResult | undefined)[] = new Array(plan.checks.length);
  let skipped = 0;
  let next = 0;

  const worker = async () => {
    while (next < plan.checks.length) {
      const index = next;
      next += 1;
      const check = plan.checks[index] as ProbeCheck;
      const cost = check.bypassUrl === undefined ? 1 : 2;
      const pastDeadline = plan.deadlineAt !== undefined && clock() >= plan.deadlineAt;
      if (
        pastDeadline ||
        tally.consecutiveFailed >= CIRCUIT_BREAKER_FAILURES ||
        budget.remaining < cost
      ) {
        skipped += 1;
        continue;
      }
      results[index] = await runCheck(client, check, plan, tally, now);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const stats = client.stats();
  const colo = mostSeen(tally.colos) ?? 'unknown';
  return {
    ...placementOf(colo, plan.region),
    region: plan.region,
    status: 'completed',
    sweepId: plan.sweepId,
    // The sweep's time: the full-hash rotation and the status page count in sweep time.
    probedAt: plan.now,
    durationMs: Math.max(0, clock() - started),
    requests: stats.requests,
    bytes: stats.bytes,
    answered: tally.answered,
    failed: tally.failed,
    failures: tally.failures,
    fullHash: plan.fullHash,
    checks: results.filter((result): result is ProbeCheckResult => result !== undefined),
    headerFindings: [...tally.headerFindings.values()],
    skippedChecks: skipped,
  };
}

async function runCheck(
  client: DistClient,
  check: ProbeCheck,
  plan: ProbePlan,
  tally: ProbeTally,
  now: Date,
): Promise<ProbeCheckResult> {
  // Headers are judged on the normal response only: the bypass URL carries a per-sweep
  // token, which would give its findings a new fingerprint every sweep.
  const fetchOne = async (url: string, judgeHeaders: boolean): Promise<ProbeObservation> => {
    const timeout = check.timeoutMs === undefined ? {} : { timeoutMs: check.timeoutMs };
    const result: HttpResult<ResponseMeta & { sha256?: string; bytes?: number }> =
      check.method === 'HEAD' ? await client.head(url) : await client.hashBody(url, timeout);
    const judge = judgeHeaders
      ? { policy: plan.headerPolicy, now, release: check.release }
      : undefined;
    if (!result.ok) return observeFailure(result.error, tally, judge);
    observeMeta(result.value, tally, judge);
    const { headers } = result.value;
    const length =
      result.value.bytes ??
      (headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined);
    return {
      status: result.value.status,
      ...(result.value.sha256 !== undefined && { sha256: result.value.sha256 }),
      ...(length !== undefined && Number.isFinite(length) && { length }),
      ...(headers['etag'] !== undefined && { etag: headers['etag'] }),
      ...(headers['last-modified'] !== undefined && { lastModified: headers['last-modified'] }),
      headers: evidenceHeaders(headers),
    };
  };
  const cached = await fetchOne(check.url, true);
  const origin = check.bypassUrl === undefined ? undefined : await fetchOne(check.bypassUrl, false);
  return {
    url: check.url,
    method: check.method,
    purpose: check.purpose,
    ...(check.release !== undefined && { release: check.release }),
    expected: check.expected,
    cached,
    ...(origin !== undefined && { origin }),
    ...(check.bypassUrl !== undefined && { bypassUrl: check.bypassUrl }),
  };
}

/** How to judge a response's headers; absent = not judged. */
interface HeaderJudging {
  readonly policy: HeaderPolicy;
  readonly now: Date;
  readonly release: string | undefined;
}

/** Counts an answer and judges its headers, as the sweep's own `observeResponse` does. */
function observeMeta(
  meta: ResponseMeta,
  tally: ProbeTally,
  judge: HeaderJudging | undefined,
): void {
  if (meta.status < 500) {
    tally.answered += 1;
    tally.consecutiveFailed = 0;
  }
  const colo = coloOfCfRay(meta.headers['cf-ray']);
  if (colo !== 'unknown') tally.colos.set(colo, (tally.colos.get(colo) ?? 0) + 1);
  if (!judge) return;
  for (const finding of checkResponseHeaders(meta, judge.policy, judge.now, judge.release)) {
    if (!tally.headerFindings.has(finding.fingerprint))
      tally.headerFindings.set(finding.fingerprint, finding);
  }
}

function observeFailure(
  error: HttpError,
  tally: ProbeTally,
  judge: HeaderJudging | undefined,
): ProbeObservation {
  if (error.meta) observeMeta(error.meta, tally, judge);
  const unavailable = isAvailabilityFailure(error);
  if (unavailable) {
    tally.failed += 1;
    tally.consecutiveFailed += 1;
    if (tally.failures.length < FAILURES_KEPT)
      tally.failures.push({ url: error.url, error: `${error.kind}: ${error.detail}` });
  }
  return {
    ...(error.status !== undefined && { status: error.status }),
    error: `${error.kind}: ${error.detail}`,
    ...(unavailable && { unavailable }),
    ...(error.meta && { headers: evidenceHeaders(error.meta.headers) }),
  };
}

function evidenceHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of EVIDENCE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

function mostSeen(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) [best, bestCount] = [value, count];
  }
  return best;
}
