/**
 * Transparency log benchmark (`npm run bench -- --log`, `-- --log --quick`): the real
 * LogSequencer in workerd (Miniflare, SQLite Durable Object, on 127.0.0.1) filled with a
 * synthetic archive in the order the monitor would log it (800 releases × 40 files, each
 * release's manifest first, then every file re-verified week after week), measured at
 * growing sizes: bulk append rate, the append a sweep makes (16 entries, ~1.7 M a year over
 * 105,120 sweeps), the sweep's outside check of the log, lookups, tile reads, and storage
 * per entry, extrapolated to a year. Latencies are timed from outside the Worker and given
 * as ratios to a baseline in the same run (a bare read of the latest checkpoint), because
 * the machine is shared and absolute figures move.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { generateLogKey } from '../log-key.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ORIGIN = 'bench.test/dist/integrity-log';
const RELEASES = 800;
const FILES = 40;
const ENTRIES_PER_YEAR = 1_700_000;
const SWEEPS_PER_YEAR = 105_120;
const SWEEP_BATCH = 16;
const FILL_BATCH = 2000;
const HOT_PATH = 'v22.22.1/node-v22.22.1.pkg';
const HOT_EVERY = 1900;

interface Milestone {
  readonly size: number;
  readonly bytes: number;
  readonly baselineMs: number;
  readonly appendMs: number;
  readonly monitorMs: number;
  readonly lookupMs: number;
  readonly lookupP95Ms: number;
  readonly lookupEntries: number;
  readonly tileMs: number;
  readonly fillRate: number;
}

const FILE_NAMES = Array.from({ length: FILES }, (_, index) =>
  index === 0 ? 'node-vX.pkg' : `node-vX-platform${index}.tar.xz`,
);

function version(release: number): string {
  return `v${Math.floor(release / 40)}.${release % 40}.0`;
}

/** The n-th entry the monitor would log: manifests first, then weekly rotations. */
function* archive(): Generator<Record<string, unknown>> {
  const hash = () => randomBytes(32).toString('hex');
  const at = new Date('2026-01-01T00:00:00Z').toISOString();
  let count = 0;
  for (let release = 0; release < RELEASES; release += 1) {
    const v = version(release);
    yield {
      type: 'manifest',
      release: v,
      manifestSha256: hash(),
      signer: 'C0D6248439F1D5604AAFFB4021D900FFB72F1C3D',
      signedAt: at,
      files: Object.fromEntries(FILE_NAMES.map((name) => [name.replace('vX', v), hash()])),
      observedAt: at,
      vantage: 'worker',
    };
  }
  for (;;) {
    for (let release = 0; release < RELEASES; release += 1) {
      const v = version(release);
      for (const name of FILE_NAMES) {
        count += 1;
        const path = count % HOT_EVERY === 0 ? HOT_PATH : `${v}/${name.replace('vX', v)}`;
        yield {
          type: 'artifact',
          release: v,
          path,
          sha256: hash(),
          size: 20_000_000 + count,
          etag: `"${randomBytes(16).toString('hex')}"`,
          observedAt: at,
          vantage: 'worker',
        };
      }
    }
  }
}

function take<T>(source: Iterator<T>, count: number): T[] {
  const out: T[] = [];
  for (let index = 0; index < count; index += 1) out.push(source.next().value as T);
  return out;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function quantile(times: number, q: number, run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < times; index += 1) samples.push(await time(run));
  samples.sort((a, b) => a - b);
  return samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

export async function runLogBench(argv: readonly string[]): Promise<boolean> {
  const quick = argv.includes('--quick');
  const sizes = quick ? [1_000, 10_000, 30_000] : [1_000, 10_000, 100_000];
  const workdir = await mkdtemp(join(tmpdir(), 'dist-monitor-log-bench-'));
  await build({
    entryPoints: [join(HERE, 'log-worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['cloudflare:workers'],
    outfile: join(workdir, 'worker.js'),
    logLevel: 'warning',
  });
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: await readFile(join(workdir, 'worker.js'), 'utf8'),
      compatibilityDate: '2026-11-01',
      compatibilityFlags: ['nodejs_compat'],
      durableObjects: { LOG_SEQUENCER: { className: 'BenchLogSequencer', useSQLite: true } },
      kvNamespaces: ['PINS'],
      host: '127.0.0.1',
      port: 0,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const hardStop = setTimeout(() => {
    console.error('log benchmark took longer than 30 min; stopping');
    void miniflare.dispose().finally(() => process.exit(2));
  }, 30 * 60_000);
  try {
    const base = await miniflare.ready;
    const key = await generateLogKey(ORIGIN);
    const call = async (path: string, body?: unknown) => {
      const response = await fetch(
        new URL(`${path}${path.includes('?') ? '&' : '?'}origin=${ORIGIN}`, base),
        {
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'x-log-key': key.privateKey, 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        },
      );
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response.json() as Promise<Record<string, unknown>>;
    };
    const append = async (entries: unknown[]) => {
      const outcome = await call('/append', entries);
      if (outcome['ok'] !== true) throw new Error(`append refused: ${JSON.stringify(outcome)}`);
      return outcome;
    };
    const source = archive();
    let size = 0;
    const milestones: Milestone[] = [];
    console.log(`log benchmark: workerd at ${base.origin}, sizes ${sizes.join(', ')}`);
    for (const target of sizes) {
      let fillMs = 0;
      const filled = target - size;
      while (size < target) {
        const count = Math.min(FILL_BATCH, target - size);
        fillMs += await time(() => append(take(source, count)));
        size += count;
      }
      await call('/monitor'); // catch the monitor up before timing its steady state
      const baselineMs = await quantile(30, 0.5, () => call('/latest'));
      const appendMs = await quantile(10, 0.5, () => append(take(source, SWEEP_BATCH)));
      size += 10 * SWEEP_BATCH;
      const monitorMs = await quantile(5, 0.5, () => call('/monitor'));
      let lookupEntries = 0;
      const lookup = async () => {
        const answer = await call(`/lookup?key=${encodeURIComponent(`path:${HOT_PATH}`)}`);
        lookupEntries = (answer['entries'] as unknown[]).length;
      };
      const lookupMs = await quantile(40, 0.5, lookup);
      const lookupP95Ms = await quantile(40, 0.95, lookup);
      const tileMs = await quantile(40, 0.5, async () => {
        const response = await fetch(new URL('/tile?path=tile/0/000', base));
        await response.arrayBuffer();
      });
      const { bytes } = (await call('/size')) as { bytes: number };
      milestones.push({
        size,
        bytes,
        baselineMs,
        appendMs,
        monitorMs,
        lookupMs,
        lookupP95Ms,
        lookupEntries,
        tileMs,
        fillRate: filled / (fillMs / 1000),
      });
      console.log(`${size} entries done`);
    }
    report(milestones);
    return true;
  } finally {
    clearTimeout(hardStop);
    await miniflare.dispose();
    await rm(workdir, { recursive: true, force: true });
  }
}

function report(rows: readonly Milestone[]): void {
  console.log(
    '\n| entries | bulk append | sweep append (16) | sweep check of the log | lookup (entries) p50 / p95 | full tile read | baseline (latest checkpoint) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const ratio = (ms: number) => `${fixed(ms)} ms (${fixed(ms / row.baselineMs)}×)`;
    console.log(
      `| ${row.size.toLocaleString('en')} | ${Math.round(row.fillRate).toLocaleString('en')} entries/s | ${ratio(row.appendMs)} | ${ratio(row.monitorMs)} | ${ratio(row.lookupMs)} / ${fixed(row.lookupP95Ms)} ms (${row.lookupEntries}) | ${ratio(row.tileMs)} | ${fixed(row.baselineMs)} ms |`,
    );
  }
  const last = rows.at(-1) as Milestone;
  const perEntry = last.bytes / last.size;
  const hashTiles = 32 * (1 + 1 / 256 + 1 / 65_536);
  console.log(
    `\nStorage: ${fixed(last.bytes / 2 ** 20)} MiB for ${last.size} entries = ${fixed(perEntry, 0)} bytes per entry (SQLite pages, entries, tiles, lookup index).`,
  );
  console.log(
    `A year (${ENTRIES_PER_YEAR.toLocaleString('en')} entries): ${fixed((perEntry * ENTRIES_PER_YEAR) / 2 ** 30, 2)} GiB, of which hash tiles ${fixed((hashTiles * ENTRIES_PER_YEAR) / 2 ** 20)} MiB; ` +
      `${fixed(ENTRIES_PER_YEAR / SWEEPS_PER_YEAR)} entries per five-minute sweep on average.`,
  );
  console.log(
    `Whole archive at first sight (${RELEASES} manifests + ${(RELEASES * FILES).toLocaleString('en')} downloads): ${fixed(((RELEASES + RELEASES * FILES) * perEntry) / 2 ** 20)} MiB, appended in ${fixed((RELEASES + RELEASES * FILES) / last.fillRate)} s of sequencer time at the bulk rate.`,
  );
}

if (import.meta.main) {
  const ok = await runLogBench(process.argv.slice(2));
  if (!ok) process.exitCode = 1;
}
