/**
 * RegionProbe: one Durable Object per configured region, created with that region as its
 * `locationHint`, so that its requests to the dist site leave from (and are cached in) a
 * data centre there. It keeps no state: each call runs one plan (src/jobs/region-probe-run.ts)
 * with the platform fetch and its own subrequest budget, and answers the results, which
 * say where it really ran (a hint is not a guarantee).
 *
 * The fetch is late-bound to `globalThis.fetch`: a function cannot cross Durable Object
 * RPC, so tests serve a fixture site with `vi.spyOn(globalThis, 'fetch')`. `wrangler dev`
 * ignores location hints; with `PROBE_SIMULATE_REGIONS=true` the plan asks the probe to
 * send `x-monitor-region: <region>` so a fixture site can answer per region.
 */
import { DurableObject } from 'cloudflare:workers';
import type { LocationHint } from '../core/region-colos';
import type { ProbePlan, RegionProbeResult } from '../core/region-probe-plan';
import type { MonitorEnv } from '../env';
import { runProbePlan } from '../jobs/region-probe-run';

export class RegionProbe extends DurableObject<MonitorEnv> {
  /** Runs the plan from this region and reports what each URL served. */
  async probe(plan: ProbePlan): Promise<RegionProbeResult> {
    return runProbePlan(plan, { fetch: (input, init) => fetch(input, init) });
  }
}

export function regionProbeStub(
  env: Pick<MonitorEnv, 'REGION_PROBE'>,
  region: LocationHint,
): DurableObjectStub<RegionProbe> {
  return env.REGION_PROBE.get(env.REGION_PROBE.idFromName(region), {
    locationHint: region,
  }) as DurableObjectStub<RegionProbe>;
}

/**
 * True when regions are simulated (local runs): the optional var `PROBE_SIMULATE_REGIONS`
 * is exactly `true`. Not in wrangler.toml by default, so read as an optional string.
 */
export function isRegionSimulation(env: object): boolean {
  const value = (env as { PROBE_SIMULATE_REGIONS?: unknown }).PROBE_SIMULATE_REGIONS;
  return typeof value === 'string' && value.trim() === 'true';
}
