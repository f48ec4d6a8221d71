/**
 * `npm run load`: the public pages under load, the old read path against the new one in
 * the same run, and what one sweep of a larger archive costs. Everything runs on this
 * machine, on loopback only:
 *
 * 1. Read paths. The fixture dist site (3 releases) and two monitors watching it, each the
 *    Worker as built for deployment, run in workerd with nothing in front of it
 *    (tools/load/workerd-host.ts; `--host wrangler`: under `wrangler dev`, whose ProxyWorker
 *    and trace store sit on every request): one as configured (public pages from the
 *    status snapshot, through the Cache API) and one with `PUBLIC_READ_PATH=live` (every
 *    page view reads the Durable Objects, as before snapshots). On each, one after the
 *    other: sweeps without page load; each page at a steady 200 req/s (one request every
 *    5 ms, latency from when it was due: tools/load/paced.ts); `GET /api/status` and `GET /`
 *    as fast as they answer (autocannon, `--connections`); both pages at 200 req/s while
 *    sweeps run back to back (tools/load/pages.ts). Reported: req/s and p99 of the new path
 *    against the old, p99 at 200 req/s, and the sweep's own duration with and without page
 *    load.
 * 2. A larger archive (7 releases × 20 artifacts of 1 MiB) and a fresh monitor: the first
 *    and a routine sweep, then the hash workers' rate (tools/load/archive.ts).
 *
 *   node tools/load/run.ts [--duration S] [--quick] [--connections N] [--host workerd|wrangler]
 *
 * Bounded in time (the whole run stops at RUN_BUDGET_MS, failing); every process it starts
 * leads its own process group and is stopped by PID, also on failure and Ctrl-C
 * (tools/demo/processes.ts); state lives in temporary directories that are removed. Exit
 * code 0 when every request was answered 2xx and every sweep completed, else 1; the
 * targets (≥ 5× throughput, p99 < 25 ms at 200 req/s) are reported, not enforced: this
 * machine is shared, and a quiet re-run is what docs/benchmarks.md records.
 */
import { parseArgs } from 'node:util';
import { cleanUpEverything, installCleanupHandlers } from '../demo/processes.ts';
import { ARCHIVE_SITE_ARGS, hashLine, measureArchive } from './archive.ts';
import { FIXED_RATE, measurePath, type LoadOptions, type PathMeasurement } from './pages.ts';
import { archiveTable, loadTable, ratioTable, sweepTimesTable, verdictLines } from './report.ts';
import { log, startMonitor, startSite, stopAll, type MonitorHost } from './stacks.ts';
import { buildWorker } from './workerd-monitor.ts';

/** The whole run, whatever happens: the CI step must end. */
const RUN_BUDGET_MS = 360_000;
const SWEEP_TIMEOUT_MS = 60_000;

const USAGE = `Usage: node tools/load/run.ts [--duration S] [--quick] [--connections N] [--host H]

  --duration S     seconds of load per page, read path and rate (default 10)
  --quick          3 s of load each, fewer idle sweeps, a shorter wait for the hash workers
  --connections N  concurrent connections each load keeps open (default 10)
  --host H         workerd (default: the deployment bundle in workerd, nothing in front)
                   or wrangler (under wrangler dev, its ProxyWorker on every request)`;

interface Options extends LoadOptions {
  /** How long to watch the hash workers after the large sweep. */
  readonly hashWaitMs: number;
  readonly host: MonitorHost;
}

function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      connections: { type: 'string', default: '10' },
      host: { type: 'string', default: 'workerd' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const integer = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
    return value;
  };
  if (values.host !== 'workerd' && values.host !== 'wrangler')
    throw new Error(`--host must be workerd or wrangler, got '${values.host}'`);
  return {
    host: values.host,
    durationS: integer('duration', values.duration ?? (values.quick ? '3' : '10'), 1, 30),
    connections: integer('connections', values.connections, 1, 100),
    idleSweeps: values.quick ? 3 : 5,
    sweepTimeoutMs: SWEEP_TIMEOUT_MS,
    hashWaitMs: values.quick ? 10_000 : 25_000,
  };
}

function healthyLoads(measurements: readonly PathMeasurement[]): boolean {
  return measurements.every(
    (m) =>
      m.idle.failures === 0 &&
      m.loaded.failures === 0 &&
      m.loads.every(
        ({ result }) => result.non2xx === 0 && result.errors === 0 && result.timeouts === 0,
      ),
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  installCleanupHandlers();
  const budget = setTimeout(() => {
    log(`the run took longer than ${RUN_BUDGET_MS / 1000} s; stopping everything`);
    void cleanUpEverything().finally(() => process.exit(1));
  }, RUN_BUDGET_MS);
  budget.unref();
  const runStarted = Date.now();

  log('phase 1: the old read path against the new (site: 3 releases)');
  const worker = options.host === 'workerd' ? buildWorker() : undefined;
  const site = await startSite('pages', ['--releases', '3']);
  const monitors = await Promise.all([
    startMonitor('new', site, 'snapshot', options.host, worker),
    startMonitor('old', site, 'live', options.host, worker),
  ]);
  const measurements: PathMeasurement[] = [];
  for (const monitor of monitors) {
    const first = await monitor.client.sweep(SWEEP_TIMEOUT_MS);
    log(
      `${monitor.name}: first sweep ${first.outcome} in ${(first.durationMs / 1000).toFixed(2)} s`,
    );
    measurements.push(await measurePath(monitor, options));
  }
  await stopAll(monitors, [site]);

  log('phase 2: a larger archive (7 releases × 20 artifacts × 1 MiB)');
  const archiveSite = await startSite('archive', ARCHIVE_SITE_ARGS);
  const archiveMonitor = await startMonitor(
    'archive',
    archiveSite,
    'snapshot',
    options.host,
    worker,
  );
  const archive = await measureArchive(archiveMonitor, {
    sweepTimeoutMs: SWEEP_TIMEOUT_MS,
    hashWaitMs: options.hashWaitMs,
  });
  await stopAll([archiveMonitor], [archiveSite]);
  await cleanUpEverything();
  clearTimeout(budget);

  const healthy =
    healthyLoads(measurements) && archive.sweeps.every((row) => row.summary.outcome !== 'failed');
  const ratios = ratioTable(measurements);
  const out = [
    '',
    `Read paths: ${options.connections} connections, ${options.durationS} s per load, ${options.host === 'workerd' ? 'the built Worker in workerd' : 'wrangler dev'} on loopback`,
    '',
    'As fast as each answers:',
    '',
    loadTable(measurements, 'max'),
    '',
    `At a fixed ${FIXED_RATE} req/s:`,
    '',
    loadTable(measurements, 'fixed'),
    '',
    `Both pages in turn at ${FIXED_RATE} req/s while sweeps run back to back:`,
    '',
    loadTable(measurements, 'sweeping'),
    '',
    'New read path (snapshot) against the old (live Durable Objects):',
    '',
    ratios.text,
    '',
    'The sweep’s own duration:',
    '',
    sweepTimesTable(measurements),
    '',
    ...verdictLines(ratios.verdicts),
    '',
    'Sweeps of 7 releases × 20 artifacts × 1 MiB (the sweep HEADs artifacts; the hash workers read them)',
    '',
    archiveTable(archive.sweeps),
    '',
    hashLine(archive.hashing, archive.sweeps[0]!.summary, options.hashWaitMs),
    '',
    `Whole run: ${((Date.now() - runStarted) / 1000).toFixed(0)} s. ${healthy ? 'Every request answered 2xx; every sweep completed.' : 'FAILED: see non-2xx, errors or failed sweeps above.'}`,
    '',
  ];
  process.stdout.write(out.join('\n'));
  return healthy ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    await cleanUpEverything();
    process.exitCode = 1;
  },
);
