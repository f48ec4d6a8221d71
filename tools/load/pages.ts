/**
 * The public read path under load, measured on one monitor, in this order: sweeps one after
 * another without page load; each page at a steady 200 requests a second, one every 5 ms
 * (the latency target's rate, paced.ts: autocannon's rate limit sends each second's
 * requests as one burst); the most `GET /api/status` and `GET /` it answers (autocannon, N
 * connections, as fast as it can); and sweeps back to back while both pages are loaded at
 * 200 req/s together. Sweep durations are the sweep's own (`durationMs` of its summary, from
 * its lock to its summary); the wall time of the trigger (`/__scheduled` or
 * `/cdn-cgi/local/scheduled`) also holds the snapshot it publishes at its end.
 */
import autocannon from 'autocannon';
import { groupCpuSeconds } from './cpu.ts';
import { pacedLoad, type LoadResult } from './paced.ts';
import type { Monitor } from './stacks.ts';
import { log } from './stacks.ts';

export const PAGES = ['/api/status', '/'] as const;
/** One page, or both in turn (the load the sweeps run under). */
export type Page = (typeof PAGES)[number] | 'both';

/** The fixed rate the latency target is stated at (issue 16: p99 < 25 ms at 200 req/s). */
export const FIXED_RATE = 200;

export interface LoadOptions {
  readonly durationS: number;
  readonly connections: number;
  readonly idleSweeps: number;
  readonly sweepTimeoutMs: number;
}

export interface LoadRow {
  readonly monitor: Monitor;
  readonly page: Page;
  /** As fast as it answers; at FIXED_RATE; at FIXED_RATE while sweeps run back to back. */
  readonly mode: 'max' | 'fixed' | 'sweeping';
  readonly result: LoadResult;
  /** CPU ms of the monitor's processes per answered request (sweeps included, if any). */
  readonly cpuMsPerRequest: number | undefined;
}

export interface SweepTimes {
  /** The sweep's own duration (its summary), ms. */
  readonly durationsMs: number[];
  /** `/__scheduled` end to end (the sweep and the snapshot it publishes), ms. */
  readonly wallMs: number[];
  failures: number;
}

export interface PathMeasurement {
  readonly monitor: Monitor;
  readonly loads: LoadRow[];
  readonly idle: SweepTimes;
  readonly loaded: SweepTimes;
}

function newTimes(): SweepTimes {
  return { durationsMs: [], wallMs: [], failures: 0 };
}

async function sweepOnce(monitor: Monitor, times: SweepTimes, timeoutMs: number): Promise<void> {
  const started = Date.now();
  try {
    const summary = await monitor.client.sweep(timeoutMs);
    times.wallMs.push(Date.now() - started);
    times.durationsMs.push(summary.durationMs);
    if (summary.outcome === 'failed') times.failures += 1;
  } catch (error) {
    times.failures += 1;
    log(`${monitor.name}: sweep failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function load(
  monitor: Monitor,
  page: Page,
  mode: LoadRow['mode'],
  options: LoadOptions,
): Promise<LoadRow> {
  const before = groupCpuSeconds(monitor.process.pid);
  const result: LoadResult =
    mode === 'max'
      ? await autocannon({
          url: `${monitor.origin}${page === 'both' ? PAGES[0] : page}`,
          connections: options.connections,
          duration: options.durationS,
          timeout: 10,
          ...(page === 'both' && { requests: PAGES.map((path) => ({ path })) }),
        })
      : await pacedLoad({
          urls: (page === 'both' ? PAGES : [page]).map((path) => `${monitor.origin}${path}`),
          rate: FIXED_RATE,
          durationS: options.durationS,
          connections: options.connections,
          timeoutMs: 10_000,
        });
  const after = groupCpuSeconds(monitor.process.pid);
  const cpuMsPerRequest =
    before === undefined || after === undefined || result.requests.total === 0
      ? undefined
      : ((after - before) * 1000) / result.requests.total;
  return { monitor, page, mode, result, cpuMsPerRequest };
}

/** Everything measured on one monitor, one load at a time. */
export async function measurePath(
  monitor: Monitor,
  options: LoadOptions,
): Promise<PathMeasurement> {
  const measurement: PathMeasurement = {
    monitor,
    loads: [],
    idle: newTimes(),
    loaded: newTimes(),
  };
  log(`${monitor.name}: ${options.idleSweeps} sweeps without page load`);
  for (let i = 0; i < options.idleSweeps; i += 1)
    await sweepOnce(monitor, measurement.idle, options.sweepTimeoutMs);

  // The steady loads before the bursts: after some 65,000 views as fast as they answer, the
  // local workerd pauses longer to collect (docs/benchmarks.md), and the latency target is
  // stated for a steady rate. The sweeping load, last, shows the monitor after the bursts.
  for (const page of PAGES) {
    log(`${monitor.name}: GET ${page} at ${FIXED_RATE} req/s, ${options.durationS} s`);
    measurement.loads.push(await load(monitor, page, 'fixed', options));
  }

  for (const page of PAGES) {
    log(`${monitor.name}: GET ${page} as fast as it answers, ${options.durationS} s`);
    measurement.loads.push(await load(monitor, page, 'max', options));
  }

  log(
    `${monitor.name}: both pages at ${FIXED_RATE} req/s while sweeps run, ${options.durationS} s`,
  );
  let loading = true;
  const sweeper = (async () => {
    while (loading) await sweepOnce(monitor, measurement.loaded, options.sweepTimeoutMs);
  })();
  const row = await load(monitor, 'both', 'sweeping', options);
  loading = false;
  await sweeper;
  measurement.loads.push(row);
  return measurement;
}
