/**
 * `npm run load`: how the monitor's public pages hold up while sweeps run, and what one sweep
 * of a larger archive costs. Everything runs on this machine, on loopback only:
 *
 * 1. Pages under load. The fixture dist site (3 releases) and the monitor under
 *    `wrangler dev --test-scheduled`; one sweep pins the site; then `GET /` and
 *    `GET /api/status` are each loaded with autocannon for `--duration` seconds, once idle
 *    and once while sweeps run back to back (`GET /__scheduled` in a loop). Reported:
 *    requests/s, p50 and p99 latency, non-2xx and errors, sweeps finished meanwhile.
 * 2. A larger archive. A second site (7 releases × 20 artifacts of 1 MiB) and a fresh
 *    monitor; two sweeps (the first pins everything and queues the hashing, the second is
 *    the routine one). Reported from `GET /api/sweeps/latest` (operator token): duration,
 *    bytes read, subrequests spent of the budget, artifacts checked, hash jobs queued. Then
 *    the hash workers: bytes verified within a bounded wait, from `GET /metrics`.
 *
 *   node tools/load/run.ts [--duration S] [--quick] [--connections N]
 *
 * Bounded in time (the whole run stops at RUN_BUDGET_MS, failing); every process it starts
 * leads its own process group and is stopped by PID, also on failure and Ctrl-C
 * (tools/demo/processes.ts); state lives in a temporary directory that is removed. Exit code
 * 0 when every request was answered 2xx and every sweep completed, else 1.
 */
import autocannon from 'autocannon';
import type { Result } from 'autocannon';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createMonitorClient } from '../demo/monitor-client.ts';
import type { MonitorClient, SweepSummary } from '../demo/monitor-client.ts';
import {
  cleanUpEverything,
  installCleanupHandlers,
  makeTempDir,
  stopProcess,
} from '../demo/processes.ts';
import { startDistSite, startWranglerDev } from '../demo/stack.ts';
const MIB = 1024 * 1024;

/** The whole run, whatever happens: the CI step must end. */
const RUN_BUDGET_MS = 175_000;
const MONITOR_START_MS = 90_000;
const SWEEP_TIMEOUT_MS = 60_000;

const USAGE = `Usage: node tools/load/run.ts [--duration S] [--quick] [--connections N]

  --duration S     seconds of load per page and condition (default 10)
  --quick          3 s of load each and a shorter wait for the hash workers
  --connections N  concurrent connections autocannon keeps open (default 10)`;

interface Options {
  readonly durationS: number;
  readonly connections: number;
  /** How long to watch the hash workers after the large sweep. */
  readonly hashWaitMs: number;
}

function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      connections: { type: 'string', default: '10' },
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
  return {
    durationS: integer('duration', values.duration ?? (values.quick ? '3' : '10'), 1, 20),
    connections: integer('connections', values.connections, 1, 100),
    hashWaitMs: values.quick ? 10_000 : 25_000,
  };
}

function log(line: string): void {
  process.stderr.write(`load: ${line}\n`);
}

// ---------------------------------------------------------------------------------------
// The stack: a fixture site and the monitor pointed at it

interface Stack {
  readonly origin: string;
  readonly token: string;
  readonly monitor: MonitorClient;
  stop(): Promise<void>;
}

async function startStack(name: string, siteArgs: readonly string[]): Promise<Stack> {
  const dir = makeTempDir(`dist-monitor-load-${name}`);
  const started = Date.now();
  const site = await startDistSite({ dir, name: `dist-site (${name})`, args: siteArgs });
  log(`${name}: site ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const token = randomBytes(24).toString('hex');
  const wrangler = await startWranglerDev({
    dir,
    name: `wrangler dev (${name})`,
    distBaseUrl: site.distBaseUrl,
    secrets: { RELEASE_KEYS: site.publicKey, OPERATOR_TOKENS: `load:${token}` },
    startTimeoutMs: MONITOR_START_MS,
  });
  log(`${name}: monitor ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    origin: wrangler.origin,
    token,
    monitor: createMonitorClient(wrangler.origin, token),
    async stop() {
      await stopProcess(wrangler.process);
      await stopProcess(site.process);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Measurements

interface LoadRow {
  readonly page: string;
  readonly condition: 'idle' | 'sweeping';
  readonly result: Result;
  /** Sweeps that finished during the load, and how long each took end to end. */
  readonly sweepsMs: readonly number[];
  readonly sweepFailures: number;
}

/**
 * Loads one page for `durationS`; with `sweeping`, fires `/__scheduled` back to back for
 * as long as the load lasts (the scheduled handler answers when its sweep ended).
 */
async function loadPage(
  stack: Stack,
  path: string,
  sweeping: boolean,
  options: Options,
): Promise<LoadRow> {
  let loading = true;
  const sweepsMs: number[] = [];
  let sweepFailures = 0;
  const sweeper = (async () => {
    while (sweeping && loading) {
      const started = Date.now();
      try {
        const response = await fetch(`${stack.origin}/__scheduled`, {
          signal: AbortSignal.timeout(SWEEP_TIMEOUT_MS),
        });
        await response.text();
        if (response.status === 200) sweepsMs.push(Date.now() - started);
        else sweepFailures += 1;
      } catch {
        sweepFailures += 1;
      }
    }
  })();
  const result = await autocannon({
    url: `${stack.origin}${path}`,
    connections: options.connections,
    duration: options.durationS,
    timeout: 10,
  });
  loading = false;
  await sweeper;
  return {
    page: `GET ${path}`,
    condition: sweeping ? 'sweeping' : 'idle',
    result,
    sweepsMs,
    sweepFailures,
  };
}

interface SweepRow {
  readonly label: string;
  readonly summary: SweepSummary;
}

interface HashProgress {
  readonly bytes: number;
  readonly ms: number;
}

/** `dist_monitor_verified_bytes` from the operator's /metrics. */
async function verifiedBytes(stack: Stack): Promise<number> {
  const response = await fetch(`${stack.origin}/metrics`, {
    headers: { authorization: `Bearer ${stack.token}` },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const line = text.split('\n').find((l) => l.startsWith('dist_monitor_verified_bytes '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** Watches the hash workers until `expected` bytes are verified or the wait ends. */
async function watchHashing(stack: Stack, expected: number, waitMs: number): Promise<HashProgress> {
  const started = Date.now();
  let last = { bytes: await verifiedBytes(stack), ms: 0 };
  while (Date.now() - started < waitMs && last.bytes < expected) {
    await new Promise((done) => setTimeout(done, 500));
    const bytes = await verifiedBytes(stack);
    if (bytes !== last.bytes) last = { bytes, ms: Date.now() - started };
  }
  return last;
}

// ---------------------------------------------------------------------------------------
// Output

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

function loadTable(rows: readonly LoadRow[]): string {
  return table(
    [
      'page',
      'while',
      'req/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'requests',
      'non-2xx',
      'errors',
      'sweeps (median s)',
    ],
    rows.map(({ page, condition, result, sweepsMs }) => [
      page,
      condition === 'idle' ? 'idle' : 'sweeps run',
      (result.requests.total / result.duration).toFixed(0),
      String(result.latency.p50),
      String(result.latency.p99),
      String(result.latency.max),
      String(result.requests.total),
      String(result.non2xx),
      String(result.errors),
      condition === 'idle'
        ? '-'
        : `${sweepsMs.length} (${((median(sweepsMs) ?? 0) / 1000).toFixed(2)})`,
    ]),
  );
}

function sweepTable(rows: readonly SweepRow[]): string {
  return table(
    [
      'sweep',
      'outcome',
      'duration s',
      'releases',
      'artifacts checked',
      'requests / budget',
      'retries',
      'bytes read',
      'hashed in sweep / queued',
    ],
    rows.map(({ label, summary }) => [
      label,
      summary.outcome,
      (summary.durationMs / 1000).toFixed(2),
      String(summary.releases.length),
      String(summary.artifactsChecked),
      `${summary.requests} / ${summary.subrequestBudget}`,
      String(summary.retries),
      `${(summary.bytes / 1024).toFixed(0)} KiB`,
      `${summary.hashedInline ?? 0} / ${summary.hashJobsQueued}`,
    ]),
  );
}

/**
 * The hash workers start while the sweep is still queueing, so the time is counted from
 * the sweep's start: the rate is a lower bound.
 */
function hashLine(hashing: HashProgress, sweep: SweepSummary, options: Options): string {
  const total = sweep.hashJobsQueued + (sweep.hashedInline ?? 0);
  const done = `${(hashing.bytes / MIB).toFixed(0)} of ${total} MiB verified (hashed in the sweep or queued)`;
  if (hashing.bytes === 0)
    return `Hash workers: none verified within ${options.hashWaitMs / 1000} s`;
  const seconds = (sweep.durationMs + hashing.ms) / 1000;
  return `Hash workers: ${done} within ${seconds.toFixed(1)} s of the sweep's start (at least ${(hashing.bytes / MIB / seconds).toFixed(0)} MiB/s)`;
}

// ---------------------------------------------------------------------------------------

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
  let healthy = true;

  log('phase 1: pages under load (site: 3 releases)');
  const small = await startStack('pages', ['--releases', '3']);
  const first = await small.monitor.sweep(SWEEP_TIMEOUT_MS);
  log(`first sweep: ${first.outcome} in ${(first.durationMs / 1000).toFixed(2)} s`);
  const loads: LoadRow[] = [];
  for (const path of ['/', '/api/status']) {
    for (const sweeping of [false, true]) {
      log(
        `loading GET ${path} ${sweeping ? 'while sweeps run' : 'idle'} for ${options.durationS} s`,
      );
      loads.push(await loadPage(small, path, sweeping, options));
    }
  }
  await small.stop();

  log('phase 2: a larger archive (7 releases × 20 artifacts × 1 MiB)');
  const large = await startStack('archive', [
    '--releases',
    '7',
    '--artifacts',
    '20',
    '--artifact-size',
    String(MIB),
  ]);
  const sweeps: SweepRow[] = [];
  const pinning = await large.monitor.sweep(SWEEP_TIMEOUT_MS);
  sweeps.push({ label: 'first (pins, queues hashing)', summary: pinning });
  const hashing = await watchHashing(
    large,
    (pinning.hashJobsQueued + (pinning.hashedInline ?? 0)) * MIB,
    options.hashWaitMs,
  );
  const routine = await large.monitor.sweep(SWEEP_TIMEOUT_MS);
  sweeps.push({ label: 'second (routine)', summary: routine });
  await large.stop();
  await cleanUpEverything();
  clearTimeout(budget);

  for (const row of loads) {
    if (row.result.non2xx > 0 || row.result.errors > 0 || row.sweepFailures > 0) healthy = false;
  }
  if (sweeps.some((row) => row.summary.outcome === 'failed')) healthy = false;

  const out = [
    '',
    `Pages under load: ${options.connections} connections, ${options.durationS} s each, wrangler dev on loopback`,
    '',
    loadTable(loads),
    '',
    'Sweeps of 7 releases × 20 artifacts × 1 MiB (the sweep HEADs artifacts; the hash workers read them)',
    '',
    sweepTable(sweeps),
    '',
    hashLine(hashing, pinning, options),
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
