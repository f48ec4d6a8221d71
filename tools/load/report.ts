/**
 * The load run's tables: the old read path against the new one in the same run (req/s
 * and p99 ratios), latency at a fixed 200 req/s, the sweep's duration with and without
 * page load, and the larger archive's sweeps. Markdown, so a run can be pasted into
 * docs/benchmarks.md as it is.
 */
import type { SweepSummary } from '../demo/monitor-client.ts';
import { FIXED_RATE, PAGES, type LoadRow, type PathMeasurement, type SweepTimes } from './pages.ts';

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const rate = (result: LoadRow['result']) => result.requests.total / result.duration;
const ms = (value: number | undefined) =>
  value === undefined ? '-' : value.toFixed(value < 10 ? 1 : 0);
/** autocannon's latency resolution is about 1 ms: a ratio never divides by less. */
const ratioOf = (numerator: number, denominator: number) =>
  `${(numerator / Math.max(denominator, 1)).toFixed(1)}×`;

function row(
  measurements: readonly PathMeasurement[],
  page: string,
  mode: LoadRow['mode'],
  path: string,
) {
  return measurements
    .find((m) => m.monitor.readPath === path)
    ?.loads.find((load) => load.page === page && load.mode === mode);
}

export function loadTable(measurements: readonly PathMeasurement[], mode: LoadRow['mode']): string {
  const rows = measurements.flatMap((m) =>
    m.loads
      .filter((load) => load.mode === mode)
      .map(({ page, result, cpuMsPerRequest }) => [
        page === 'both' ? `GET ${PAGES.join(' + GET ')}` : `GET ${page}`,
        m.monitor.readPath,
        rate(result).toFixed(0),
        ms(result.latency.p50),
        ms(result.latency.p99),
        ms(result.latency.max),
        cpuMsPerRequest === undefined ? '-' : cpuMsPerRequest.toFixed(2),
        String(result.requests.total),
        String(result.non2xx),
        String(result.errors + result.timeouts),
      ]),
  );
  return table(
    [
      'page',
      'read path',
      'req/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'CPU ms/req',
      'requests',
      'non-2xx',
      'errors',
    ],
    rows,
  );
}

export interface Verdicts {
  readonly throughputRatios: readonly number[];
  readonly fixedRateP99: readonly number[];
  readonly sweepRatio: number | undefined;
}

export function ratioTable(measurements: readonly PathMeasurement[]): {
  text: string;
  verdicts: Verdicts;
} {
  const throughputRatios: number[] = [];
  const fixedRateP99: number[] = [];
  const rows = PAGES.map((page) => {
    const live = row(measurements, page, 'max', 'live');
    const snapshot = row(measurements, page, 'max', 'snapshot');
    const fixed = row(measurements, page, 'fixed', 'snapshot');
    if (fixed !== undefined) fixedRateP99.push(fixed.result.latency.p99);
    if (live === undefined || snapshot === undefined) return [`GET ${page}`, '-', '-', '-'];
    throughputRatios.push(rate(snapshot.result) / Math.max(rate(live.result), 1));
    return [
      `GET ${page}`,
      ratioOf(rate(snapshot.result), rate(live.result)),
      ratioOf(live.result.latency.p99, snapshot.result.latency.p99),
      fixed === undefined ? '-' : ms(fixed.result.latency.p99),
    ];
  });
  const snapshot = measurements.find((m) => m.monitor.readPath === 'snapshot');
  const idle = median(snapshot?.idle.durationsMs ?? []);
  const loaded = median(snapshot?.loaded.durationsMs ?? []);
  return {
    text: table(
      ['page', 'req/s new ÷ old', 'p99 old ÷ new', `p99 ms at ${FIXED_RATE} req/s (new)`],
      rows,
    ),
    verdicts: {
      throughputRatios,
      fixedRateP99,
      sweepRatio:
        idle === undefined || loaded === undefined ? undefined : loaded / Math.max(idle, 1),
    },
  };
}

function times(label: string, t: SweepTimes): string[] {
  const mid = median(t.durationsMs);
  return [
    label,
    String(t.durationsMs.length),
    mid === undefined ? '-' : (mid / 1000).toFixed(2),
    t.durationsMs.length === 0 ? '-' : (Math.max(...t.durationsMs) / 1000).toFixed(2),
    median(t.wallMs) === undefined ? '-' : ((median(t.wallMs) as number) / 1000).toFixed(2),
    String(t.failures),
  ];
}

export function sweepTimesTable(measurements: readonly PathMeasurement[]): string {
  return table(
    ['read path, pages', 'sweeps', 'median s', 'max s', 'median wall s', 'failed'],
    measurements.flatMap((m) => [
      times(`${m.monitor.readPath}, no page load`, m.idle),
      times(`${m.monitor.readPath}, pages at ${FIXED_RATE} req/s`, m.loaded),
    ]),
  );
}

export function verdictLines(verdicts: Verdicts): string[] {
  const worstRatio = Math.min(...verdicts.throughputRatios);
  const worstP99 = Math.max(...verdicts.fixedRateP99);
  const lines = [
    `Throughput, new ÷ old read path: at least ${worstRatio.toFixed(1)}× (target ≥ 5×): ${worstRatio >= 5 ? 'met' : 'MISSED'}`,
    `p99 at ${FIXED_RATE} req/s on the new path: at most ${ms(worstP99)} ms (target < 25 ms): ${worstP99 < 25 ? 'met' : 'MISSED'}`,
  ];
  if (verdicts.sweepRatio !== undefined)
    lines.push(
      `Sweep duration with the pages at ${FIXED_RATE} req/s ÷ without, new path: ${verdicts.sweepRatio.toFixed(2)} (median against median)`,
    );
  return lines;
}

export interface ArchiveSweep {
  readonly label: string;
  readonly summary: SweepSummary;
}

export function archiveTable(rows: readonly ArchiveSweep[]): string {
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
