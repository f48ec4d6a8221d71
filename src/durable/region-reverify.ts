/**
 * Re-verification from the regions that saw the problem. A cache purge is global, but
 * caches are per data centre: after a purge the URL is fetched and hashed again by the
 * RegionProbe of every region the finding names (`finding.regions`), and also from here
 * when the sweep's own vantage point saw it too. A finding without regions is re-verified
 * from here only, by the wrapped function. The answer is one `ReverifyResult` whose detail
 * names each region's verdict; the worst verdict wins (mismatch, unreachable, unchecked,
 * match).
 */
import { parseMonitorConfig } from '../core/config';
import { parseHeaderPolicy } from '../core/header-policy';
import { expectedContentOf } from '../core/playbooks';
import { isLocationHint, type LocationHint } from '../core/region-colos';
import type { ProbePlan, RegionProbeResult } from '../core/region-probe-plan';
import type { ReverifyFunction, ReverifyResult } from '../adapters/reverify-url';
import type { MonitorEnv } from '../env';
import { isRegionSimulation, regionProbeStub } from './region-probe';

/** A large artifact takes a while to hash; the region has this long. */
const REVERIFY_TIMEOUT_MS = 300_000;

const VERDICT_RANK: Record<ReverifyResult['verdict'], number> = {
  mismatch: 0,
  unreachable: 1,
  unchecked: 2,
  match: 3,
};

export interface RegionalReverifyOptions {
  readonly now?: () => Date;
  /** Retry waits of the probes (tests pass 0). */
  readonly backoffMs?: number;
  readonly retryAfterCapMs?: number;
}

export function createRegionalReverify(
  env: MonitorEnv,
  here: ReverifyFunction,
  options: RegionalReverifyOptions = {},
): ReverifyFunction {
  const now = options.now ?? (() => new Date());
  return async (url, finding, policy) => {
    const regions = (finding.regions ?? []).filter(isLocationHint);
    const parsed = parseMonitorConfig(env as unknown as Record<string, unknown>);
    if (regions.length === 0 || !parsed.ok) return here(url, finding, policy);
    const expected = expectedContentOf(finding);
    const config = parsed.value;
    const plan = (region: LocationHint): ProbePlan => ({
      region,
      sweepId: `reverify-${now().toISOString()}`,
      now: now().toISOString(),
      simulateRegion: isRegionSimulation(env),
      client: {
        timeoutMs: config.REQUEST_TIMEOUT_MS,
        retries: config.REQUEST_RETRIES,
        backoffMs: options.backoffMs ?? 250,
        retryAfterCapMs: options.retryAfterCapMs ?? 2000,
        allowedRedirectHosts: [
          new URL(config.DIST_BASE_URL).hostname,
          ...config.ALLOWED_REDIRECT_HOSTS,
        ],
        maxRequests: 10,
      },
      headerPolicy: parseHeaderPolicy(config),
      fullHash: false,
      checks: [
        {
          url,
          method: 'GET',
          purpose: 'full-hash',
          expected: expected === undefined ? {} : { sha256: expected.sha256 },
          timeoutMs: REVERIFY_TIMEOUT_MS,
        },
      ],
    });
    const verdicts: { where: string; result: ReverifyResult }[] = await Promise.all(
      regions.map(async (region) => ({
        where: region,
        result: regionVerdict(url, expected?.sha256, await probeOnce(env, plan(region))),
      })),
    );
    // The sweep's own vantage saw it too (a regional-only finding has `evidence.regional: true`).
    if (finding.evidence['regional'] !== true) {
      verdicts.push({ where: 'monitor', result: await here(url, finding, policy) });
    }
    return combine(url, verdicts);
  };
}

async function probeOnce(env: MonitorEnv, plan: ProbePlan): Promise<RegionProbeResult | string> {
  try {
    const stub = regionProbeStub(env, plan.region as LocationHint);
    return await (stub.probe(plan) as Promise<RegionProbeResult>);
  } catch (error) {
    return error instanceof Error ? error.message : 'probe failed';
  }
}

function regionVerdict(
  url: string,
  expectedSha256: string | undefined,
  result: RegionProbeResult | string,
): ReverifyResult {
  if (typeof result === 'string') {
    return { url, verdict: 'unreachable', detail: `the probe could not run: ${result}` };
  }
  const where = result.colo === 'unknown' ? '' : ` (${result.colo})`;
  const check = result.checks[0];
  if (result.status !== 'completed' || check === undefined) {
    return { url, verdict: 'unreachable', detail: `no check ran${where}` };
  }
  const { cached } = check;
  const status = cached.status === undefined ? {} : { status: cached.status };
  if (cached.sha256 === undefined) {
    return {
      url,
      verdict: 'unreachable',
      ...status,
      detail: `${cached.error ?? 'no body'}${where}`,
    };
  }
  if (expectedSha256 === undefined) {
    return {
      url,
      verdict: 'unchecked',
      ...status,
      observed: cached.sha256,
      detail: `answered${where}; no hash to compare`,
    };
  }
  return cached.sha256 === expectedSha256
    ? { url, verdict: 'match', ...status, observed: cached.sha256, detail: `matches${where}` }
    : {
        url,
        verdict: 'mismatch',
        ...status,
        observed: cached.sha256,
        detail: `served ${cached.sha256}${where}`,
      };
}

function combine(
  url: string,
  verdicts: readonly { readonly where: string; readonly result: ReverifyResult }[],
): ReverifyResult {
  const worst = [...verdicts].sort(
    (a, b) => VERDICT_RANK[a.result.verdict] - VERDICT_RANK[b.result.verdict],
  )[0];
  const detail = verdicts
    .map(({ where, result }) => `${where}: ${result.verdict}, ${result.detail}`)
    .join('; ');
  return {
    url,
    verdict: worst?.result.verdict ?? 'unchecked',
    ...(worst?.result.status !== undefined && { status: worst.result.status }),
    ...(worst?.result.observed !== undefined && { observed: worst.result.observed }),
    detail,
  };
}
