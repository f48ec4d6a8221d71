/**
 * Verification throughput and memory of the monitor's hash path, through workerd.
 *
 * `npm run bench` (add `-- --quick` for 64 and 256 MiB instead of 256 MiB and 1 GiB). One
 * run: a loopback HTTP origin (node:http, deterministic bytes) serves each artifact; the
 * monitor's own dist client, in a Worker run by workerd (Miniflare), fetches it, streams it
 * through crypto.DigestStream and compares it with the expected hash. Beside it, on the same
 * bytes: `sha256sum` of a temp file (hashing alone, page-cached), `openssl dgst -sha256` of
 * it when installed (hashing alone with the CPU's SHA extensions, which coreutils may not
 * use), and `curl -s URL | sha256sum` (download plus hash, no monitor). Throughput is the best of
 * `--repeat` runs (default 3), printed as MiB/s and as ratios. Memory is workerd's RSS,
 * sampled from /proc/<pid>/status every 20 ms while it verifies the largest artifact, beside
 * its idle RSS. Never touches the internet; every process it starts is stopped by its own
 * PID, also on failure; the whole run is bounded by a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';

const MIB = 1024 * 1024;
const HERE = dirname(fileURLToPath(import.meta.url));
/** The whole run, whatever happens. */
const RUN_TIMEOUT_MS = 20 * 60 * 1000;
/** One measured command or request. */
const STEP_TIMEOUT_MS = 5 * 60 * 1000;
const SAMPLE_EVERY_MS = 20;
const TARGET_RATIO = 0.9;
const TARGET_MEMORY_MIB = 64;

interface Options {
  readonly sizes: readonly number[];
  readonly repeat: number;
}

interface Row {
  readonly bytes: number;
  readonly sha256sumMs: number;
  /** `openssl dgst -sha256` of the same file, when openssl is installed. */
  readonly opensslMs?: number;
  readonly curlMs: number;
  readonly monitorMs: number;
  /** A fresh workerd: RSS after a 16 MiB warm-up, and the peak during one verification. */
  readonly idleRssKib: number;
  readonly peakRssKib: number;
  /** The long-running workerd of the throughput runs: its peak over every repeat. */
  readonly longRunPeakRssKib: number;
}

/** A running workerd with the bench Worker. */
interface BenchWorker {
  readonly url: URL;
  readonly pid: number;
  stop(): Promise<void>;
}

function parseOptions(argv: readonly string[]): Options {
  const quick = argv.includes('--quick');
  const repeatArg = argv.find((arg) => arg.startsWith('--repeat='));
  const repeat = repeatArg ? Math.max(1, Number(repeatArg.slice('--repeat='.length)) || 1) : 3;
  return { sizes: quick ? [64 * MIB, 256 * MIB] : [256 * MIB, 1024 * MIB], repeat };
}

/** 1 MiB of deterministic bytes (xorshift32); an artifact is this block repeated. */
function patternBlock(): Buffer {
  const block = Buffer.alloc(MIB);
  let x = 0x2545f491;
  for (let i = 0; i < MIB; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
}

/** The origin: GET /artifact/<bytes> streams that many bytes with Content-Length. */
async function startOrigin(block: Buffer): Promise<Server> {
  const server = createServer((request, response) => {
    const match = /^\/artifact\/(\d+)$/.exec(request.url ?? '');
    if (!match || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    const size = Number(match[1]);
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(size),
    });
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const chunk = size - sent >= block.length ? block : block.subarray(0, size - sent);
        sent += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** Writes the artifact's bytes to a file and returns their SHA-256. */
async function writeArtifact(path: string, block: Buffer, size: number): Promise<string> {
  const hash = createHash('sha256');
  const file = createWriteStream(path);
  for (let written = 0; written < size; written += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, size - written));
    hash.update(chunk);
    if (!file.write(chunk)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  return hash.digest('hex');
}

/** Runs a shell command, returns its stdout and wall time; killed by its PID on timeout. */
async function timed(
  command: string,
  args: readonly string[],
): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const timer = setTimeout(() => stopChild(child), STEP_TIMEOUT_MS);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  return { ms: performance.now() - started, stdout };
}

function stopChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function best(runs: number, measure: () => Promise<number>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run += 1) fastest = Math.min(fastest, await measure());
  return fastest;
}

/** Bundles the bench Worker (it imports the monitor's TypeScript sources). */
async function bundleWorker(outdir: string): Promise<string> {
  await build({
    entryPoints: [join(HERE, 'worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outfile: join(outdir, 'worker.js'),
    logLevel: 'warning',
  });
  return readFile(join(outdir, 'worker.js'), 'utf8');
}

/** The workerd process Miniflare just started: our child whose command is workerd, not `known`. */
async function findWorkerdPid(known: ReadonlySet<number>): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const pid = Number(entry);
      if (parent === process.pid && command.startsWith('workerd') && !known.has(pid)) return pid;
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error('workerd process not found');
}

async function memoryKib(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Samples RSS until stopped; returns the highest seen. */
function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = await memoryKib(pid).then(
        (memory) => memory.rss,
        () => 0, // the process is gone; the request reports why
      );
      peak = Math.max(peak, rss);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function verifyThroughMonitor(
  workerUrl: URL,
  artifactUrl: string,
  sha256: string,
  bytes: number,
): Promise<number> {
  const url = new URL(workerUrl);
  url.searchParams.set('url', artifactUrl);
  url.searchParams.set('sha256', sha256);
  url.searchParams.set('bytes', String(bytes));
  const started = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  const body = (await response.json()) as { match?: boolean; error?: string };
  const ms = performance.now() - started;
  if (!response.ok || body.match !== true) {
    throw new Error(
      `the monitor did not verify ${artifactUrl}: ${body.error ?? JSON.stringify(body)}`,
    );
  }
  return ms;
}

const mibPerSecond = (bytes: number, ms: number) => bytes / MIB / (ms / 1000);
const fixed = (value: number, digits = 0) => value.toFixed(digits);

function report(rows: readonly Row[]): boolean {
  const withOpenssl = rows.every((row) => row.opensslMs !== undefined);
  console.log('\nThroughput (best of runs, MiB/s):');
  console.log(
    `| size | sha256sum (file) |${withOpenssl ? ' openssl dgst (file) |' : ''} curl \\| sha256sum | monitor in workerd | monitor / sha256sum |${withOpenssl ? ' monitor / openssl |' : ''} monitor / curl\\|sha256sum |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- |${withOpenssl ? ' --- | --- |' : ''}`);
  let met = true;
  for (const row of rows) {
    const sum = mibPerSecond(row.bytes, row.sha256sumMs);
    const openssl =
      row.opensslMs === undefined ? undefined : mibPerSecond(row.bytes, row.opensslMs);
    const curl = mibPerSecond(row.bytes, row.curlMs);
    const monitor = mibPerSecond(row.bytes, row.monitorMs);
    if (monitor / sum < TARGET_RATIO) met = false;
    const opensslCells =
      withOpenssl && openssl !== undefined
        ? [` ${fixed(openssl)} |`, ` ${fixed(monitor / openssl, 2)} |`]
        : ['', ''];
    console.log(
      `| ${fixed(row.bytes / MIB)} MiB | ${fixed(sum)} |${opensslCells[0]} ${fixed(curl)} | ${fixed(monitor)} | ${fixed(monitor / sum, 2)} |${opensslCells[1]} ${fixed(monitor / curl, 2)} |`,
    );
  }
  console.log(
    '\nMemory of the workerd process (RSS from /proc/<pid>/status, sampled every 20 ms):',
  );
  console.log(
    '| size | fresh workerd idle | peak verifying once | growth | long-running workerd peak |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const growth = (row.peakRssKib - row.idleRssKib) / 1024;
    if (growth >= TARGET_MEMORY_MIB) met = false;
    console.log(
      `| ${fixed(row.bytes / MIB)} MiB | ${fixed(row.idleRssKib / 1024, 1)} MiB | ${fixed(row.peakRssKib / 1024, 1)} MiB | +${fixed(growth, 1)} MiB | ${fixed(row.longRunPeakRssKib / 1024, 1)} MiB |`,
    );
  }
  console.log(
    `\nTarget: monitor ≥ ${TARGET_RATIO} × sha256sum, and < ${TARGET_MEMORY_MIB} MiB over idle: ${met ? 'met' : 'NOT met'}`,
  );
  return met;
}

/** True when a command can be run (openssl is optional). */
async function available(command: string): Promise<boolean> {
  try {
    await timed('sh', ['-c', `command -v ${command} >/dev/null`]);
    return true;
  } catch {
    return false;
  }
}

/** workerd processes we started and have not stopped yet, for the hard timeout. */
const startedWorkerds = new Set<number>();

async function startWorker(script: string): Promise<BenchWorker> {
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script,
      compatibilityDate: '2026-11-01',
      host: '127.0.0.1',
      port: 0,
    }),
  );
  let pid: number | undefined;
  const stop = async () => {
    await miniflare.dispose().catch(() => {});
    if (pid === undefined) return;
    startedWorkerds.delete(pid);
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGTERM');
    } catch {
      // stopped by dispose, as it should be
    }
  };
  try {
    const url = await miniflare.ready;
    pid = await findWorkerdPid(startedWorkerds);
    startedWorkerds.add(pid);
    return { url, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** RSS of a fresh workerd: idle after a 16 MiB warm-up, and the peak of one verification. */
async function measureMemory(
  script: string,
  origin: string,
  warm: { sha256: string; bytes: number },
  artifact: { sha256: string; bytes: number },
): Promise<{ idleKib: number; peakKib: number }> {
  const worker = await startWorker(script);
  try {
    await verifyThroughMonitor(
      worker.url,
      `${origin}/artifact/${warm.bytes}`,
      warm.sha256,
      warm.bytes,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idleKib = (await memoryKib(worker.pid)).rss;
    const sampler = sampleRss(worker.pid);
    let peakKib = idleKib;
    try {
      await verifyThroughMonitor(
        worker.url,
        `${origin}/artifact/${artifact.bytes}`,
        artifact.sha256,
        artifact.bytes,
      );
    } finally {
      peakKib = Math.max(peakKib, await sampler.stop());
    }
    return { idleKib, peakKib };
  } finally {
    await worker.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workdir = await mkdtemp(join(tmpdir(), 'dist-monitor-bench-'));
  const block = patternBlock();
  let origin: Server | undefined;
  let worker: BenchWorker | undefined;
  const hardStop = setTimeout(() => {
    console.error(`benchmark took longer than ${RUN_TIMEOUT_MS / 60000} min; stopping`);
    for (const pid of startedWorkerds) process.kill(pid, 'SIGKILL');
    process.exit(2);
  }, RUN_TIMEOUT_MS);
  try {
    origin = await startOrigin(block);
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const script = await bundleWorker(workdir);
    const warm = {
      bytes: 16 * MIB,
      sha256: await writeArtifact(join(workdir, 'warm.bin'), block, 16 * MIB),
    };
    worker = await startWorker(script);
    await verifyThroughMonitor(
      worker.url,
      `${originUrl}/artifact/${warm.bytes}`,
      warm.sha256,
      warm.bytes,
    );
    const hasOpenssl = await available('openssl');
    console.log(
      `origin ${originUrl}, workerd pid ${worker.pid} at ${worker.url.origin}; sizes ` +
        `${options.sizes.map((size) => `${size / MIB} MiB`).join(', ')}, best of ${options.repeat}`,
    );

    const rows: Row[] = [];
    for (const size of options.sizes) {
      const path = join(workdir, `artifact-${size}.bin`);
      const sha256 = await writeArtifact(path, block, size);
      const url = `${originUrl}/artifact/${size}`;
      const memory = await measureMemory(script, originUrl, warm, { sha256, bytes: size });
      const sha256sumMs = await best(options.repeat, async () => {
        const run = await timed('sha256sum', [path]);
        if (!run.stdout.startsWith(sha256)) throw new Error('sha256sum disagrees');
        return run.ms;
      });
      const opensslMs = hasOpenssl
        ? await best(options.repeat, async () => {
            const run = await timed('openssl', ['dgst', '-sha256', '-r', path]);
            if (!run.stdout.startsWith(sha256)) throw new Error('openssl disagrees');
            return run.ms;
          })
        : undefined;
      const curlMs = await best(options.repeat, async () => {
        const run = await timed('sh', ['-c', `curl -s --fail '${url}' | sha256sum`]);
        if (!run.stdout.startsWith(sha256)) throw new Error('curl | sha256sum disagrees');
        return run.ms;
      });
      const sampler = sampleRss(worker.pid);
      const shared = worker;
      let monitorMs: number;
      let longRunPeakRssKib: number;
      try {
        monitorMs = await best(options.repeat, () =>
          verifyThroughMonitor(shared.url, url, sha256, size),
        );
      } finally {
        longRunPeakRssKib = await sampler.stop();
      }
      rows.push({
        bytes: size,
        sha256sumMs,
        ...(opensslMs !== undefined && { opensslMs }),
        curlMs,
        monitorMs,
        idleRssKib: memory.idleKib,
        peakRssKib: memory.peakKib,
        longRunPeakRssKib,
      });
      await rm(path, { force: true });
      console.log(`${size / MIB} MiB done`);
    }
    if (!report(rows)) process.exitCode = 1;
  } finally {
    clearTimeout(hardStop);
    await worker?.stop();
    origin?.closeAllConnections();
    origin?.close();
    await rm(workdir, { recursive: true, force: true });
  }
}

// `--log`: the transparency log's benchmark instead (tools/bench/log.ts).
if (process.argv.includes('--log')) {
  const { runLogBench } = await import('./log.ts');
  if (!(await runLogBench(process.argv.slice(2)))) process.exitCode = 1;
} else {
  await main();
}
