/**
 * The sweep's regional step: plan the checks from the pins, run them from a RegionProbe in
 * every configured region at once, compare what each region was served (core/regional.ts),
 * store each region's latest result in MonitorState, and add the findings to the sweep's,
 * merged by fingerprint with what the sweep saw from its own vantage point.
 *
 * Contract: it runs only when PROBE_REGIONS is not empty and the sweep uses the platform
 * fetch. A sweep given a `fetch` (tests with a fixture site) skips the probes: a function
 * cannot cross Durable Object RPC, and probes fetching elsewhere than the sweep would
 * compare unlike things; tests of the probes spy on `globalThis.fetch` instead. Each probe
 * call spends one unit of the sweep's subrequest budget (each probe then has its own 1,000
 * in its own invocation). A sweep given `sleep` (tests) asks the probes not to back off.
 * A probe that fails or does not answer within PROBE_TIMEOUT_MS is `probe-failed`, which
 * says nothing about the site.
 */
import {
  classifyRegionalAvailability,
  collectRegionalHeaderFindings,
  compareRegionalResponses,
  mergeRegionalFinding,
  summariseRegion,
} from '../core/regional';
import { placementOf, type LocationHint } from '../core/region-colos';
import {
  checksForRegion,
  isFullHashDue,
  planRegionChecks,
  rotationRoundOf,
  type ProbePlan,
  type RegionProbeResult,
} from '../core/region-probe-plan';
import { startDeadline } from '../adapters/deadline';
import { monitorStateStub } from '../durable/monitor-state';
import { isRegionSimulation, regionProbeStub } from '../durable/region-probe';
import type { MonitorEnv } from '../env';
import { cacheBypassUrl } from '../core/manifest-urls';
import { skip, type SweepContext } from './sweep-context';

/** The options of the sweep this step reads. */
export interface RegionalSweepOptions {
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

const BACKOFF_MS = 250;
/** As the sweep's own: a probe has its whole plan to run. */
const RETRY_AFTER_CAP_MS = 2000;
/** A probe that has not answered by then is `probe-failed`; the sweep goes on. */
export const PROBE_TIMEOUT_MS = 5 * 60 * 1000;
const PROBE_MIN_TIMEOUT_MS = 20_000;
const PROBE_ANSWER_GRACE_MS = 15_000;

export async function sweepRegions(
  ctx: SweepContext,
  env: MonitorEnv,
  watched: readonly string[],
  options: RegionalSweepOptions,
): Promise<void> {
  const regions = ctx.config.PROBE_REGIONS;
  if (regions.length === 0 || options.fetch !== undefined) return;
  if (ctx.budget.remaining < regions.length) {
    skip(ctx, 'regional probes', 'subrequest-budget', regions.length);
    return;
  }
  ctx.budget.remaining -= regions.length;

  const state = monitorStateStub(env);
  const previous = new Map((await state.regionStatus()).map((status) => [status.region, status]));
  const releases = [];
  for (const version of watched) {
    releases.push({ version, pin: await ctx.pins.getRelease(version) });
  }
  const { DIST_BASE_URL: baseUrl, ORIGIN_BASE_URL: originUrl } = ctx.config;
  const planned = planRegionChecks({
    baseUrl,
    releases,
    bypassUrl: (url) => cacheBypassUrl(url, baseUrl, originUrl, ctx.sweepId),
    requestTimeoutMs: ctx.config.REQUEST_TIMEOUT_MS,
    rotationRound: rotationRoundOf(ctx.now),
  });
  const planFor = (region: LocationHint): ProbePlan => {
    const fullHash =
      planned.fullHash.length > 0 && isFullHashDue(previous.get(region)?.lastFullHashAt, ctx.now);
    return {
      region,
      sweepId: ctx.sweepId,
      now: ctx.now.toISOString(),
      simulateRegion: isRegionSimulation(env),
      client: {
        timeoutMs: ctx.config.REQUEST_TIMEOUT_MS,
        retries: ctx.config.REQUEST_RETRIES,
        backoffMs: options.sleep ? 0 : BACKOFF_MS,
        retryAfterCapMs: options.sleep ? 0 : RETRY_AFTER_CAP_MS,
        allowedRedirectHosts: [new URL(baseUrl).hostname, ...ctx.config.ALLOWED_REDIRECT_HOSTS],
        maxRequests: ctx.config.SUBREQUEST_BUDGET,
      },
      headerPolicy: ctx.headerPolicy,
      fullHash,
      checks: checksForRegion(planned, fullHash),
      deadlineAt: ctx.deadlineAt,
    };
  };
  // A probe gets the time left to the sweep's deadline (and a little to answer): a slow site
  // must not stretch the sweep through its probes either.
  const timeoutMs = Math.min(
    PROBE_TIMEOUT_MS,
    Math.max(PROBE_MIN_TIMEOUT_MS, ctx.deadlineAt - Date.now() + PROBE_ANSWER_GRACE_MS),
  );
  const results = await Promise.all(
    regions.map((region) => probeRegion(env, planFor(region), timeoutMs)),
  );

  const comparison = compareRegionalResponses(results, ctx.now);
  const consecutiveFailures = await state.recordRegionResults(
    results.map((result) => summariseRegion(result, comparison.poisoned.get(result.region) ?? [])),
  );
  const findings = [
    ...comparison.findings,
    ...classifyRegionalAvailability(
      {
        baseUrl,
        results,
        consecutiveFailures,
        outageThreshold: ctx.config.OUTAGE_THRESHOLD,
      },
      ctx.now,
    ),
    ...collectRegionalHeaderFindings(results),
  ];
  for (const finding of findings) {
    ctx.findings.set(
      finding.fingerprint,
      mergeRegionalFinding(ctx.findings.get(finding.fingerprint), finding),
    );
  }
}

async function probeRegion(
  env: MonitorEnv,
  plan: ProbePlan,
  timeoutMs: number,
): Promise<RegionProbeResult> {
  const deadline = startDeadline(timeoutMs);
  try {
    const pending = regionProbeStub(env, plan.region as LocationHint).probe(plan);
    const settled = await deadline.race(pending as Promise<RegionProbeResult>);
    if (settled.kind === 'value') return settled.value;
    return failedProbe(
      plan,
      settled.kind === 'timeout'
        ? `no answer within ${timeoutMs} ms`
        : settled.error instanceof Error
          ? `${settled.error.name}: ${settled.error.message}`
          : 'unknown error',
    );
  } finally {
    deadline.clear();
  }
}

function failedProbe(plan: ProbePlan, error: string): RegionProbeResult {
  return {
    ...placementOf('unknown', plan.region),
    region: plan.region,
    status: 'probe-failed',
    sweepId: plan.sweepId,
    probedAt: plan.now,
    durationMs: 0,
    requests: 0,
    bytes: 0,
    answered: 0,
    failed: 0,
    failures: [],
    fullHash: false,
    checks: [],
    headerFindings: [],
    skippedChecks: plan.checks.length,
    error,
  };
}
