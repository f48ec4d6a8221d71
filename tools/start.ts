/**
 * `npm start`: the monitor locally under `wrangler dev --test-scheduled`, sweeping by itself.
 * `wrangler dev` fires no cron, so a newcomer's monitor would sit idle (and `/healthz` would
 * turn 503 once a stale state exists) until someone called `/__scheduled` by hand. This
 * script starts wrangler dev, fires one sweep through `/__scheduled` as soon as the Worker
 * answers, then fires one on every schedule of `wrangler.toml`'s `[triggers] crons` (read
 * with wrangler's own config reader, never copied here), in UTC as Cloudflare runs them.
 * Locally only: a deployed Worker gets its crons from Cloudflare.
 *
 *   npm start                          (watches DIST_BASE_URL, the real site by default)
 *   npm start -- --port 9000 --var DIST_BASE_URL:http://127.0.0.1:8080/dist
 *
 * Arguments are passed to `wrangler dev` as they are. A sweep still running when the next is
 * due is not fired again (the monitor's own lock would refuse it anyway). wrangler dev runs
 * in its own process group; on exit, Ctrl-C or SIGTERM this script stops the group (and so
 * workerd) by its PID, then exits.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Cron } from 'croner';
import { generateLogKey } from './log-key.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const WRANGLER_BIN = join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js');
const STOP_GRACE_MS = 5_000;
/** A first build on a busy machine can take a while. */
const START_TIMEOUT_MS = 300_000;
/** One sweep may take up to its deadline; /__scheduled returns when it ends. */
const SWEEP_TIMEOUT_MS = 15 * 60_000;

/**
 * Extra `--var NAME:value` settings for local runs only. This is the place for a throwaway
 * local key (e.g. the transparency log's, once it exists): never a production secret.
 */
const LOCAL_VARS: Readonly<Record<string, string>> = {};

function log(line: string): void {
  process.stdout.write(`[npm start] ${line}\n`);
}

/** `[triggers] crons` of wrangler.toml, through wrangler's own reader. */
async function configuredCrons(): Promise<string[]> {
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig(
    { config: join(REPO_ROOT, 'wrangler.toml') },
    { hideWarnings: true },
  );
  return [...(config.triggers.crons ?? [])];
}

/**
 * The transparency log runs with a key made for this run only, unless the developer's
 * `.dev.vars` sets one (docs/transparency-log.md). Its verifier key is printed.
 */
async function throwawayLogKey(): Promise<Record<string, string>> {
  const devVars = await readFile(join(REPO_ROOT, '.dev.vars'), 'utf8').catch(() => '');
  if (/^LOG_SIGNING_KEY="?[^"\s]/m.test(devVars)) return {};
  const key = await generateLogKey('localhost/integrity-log');
  log(`transparency log: a throwaway key for this run, verifier key ${key.verifierKey}`);
  return { LOG_SIGNING_KEY: key.privateKey };
}

function startWrangler(args: readonly string[], extraVars: Readonly<Record<string, string>> = {}) {
  const vars = Object.entries({ ...LOCAL_VARS, ...extraVars }).flatMap(([name, value]) => [
    '--var',
    `${name}:${value}`,
  ]);
  return spawn(
    process.execPath,
    [
      WRANGLER_BIN,
      'dev',
      '--test-scheduled',
      '--show-interactive-dev-session=false',
      ...vars,
      ...args,
    ],
    {
      cwd: REPO_ROOT,
      // stdin is not passed on: a child in its own process group must not read the terminal.
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: {
        ...process.env,
        // No lookup of workers.cloudflare.com for `request.cf`, no telemetry.
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_SEND_METRICS: 'false',
      },
    },
  );
}

/** Fires one sweep through wrangler dev's `/__scheduled`; true when the Worker answered 2xx. */
async function fireSweep(origin: string, cron: string): Promise<boolean> {
  const url = `${origin}/__scheduled?cron=${encodeURIComponent(cron)}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(SWEEP_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.ok;
  } catch (error) {
    log(`the sweep request failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/** Waits until the Worker answers at all (any status: `/healthz` is 503 when stale). */
async function waitForWorker(origin: string, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !exited()) {
    try {
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel();
      return true;
    } catch {
      await new Promise((done) => setTimeout(done, 500));
    }
  }
  return false;
}

async function main(): Promise<void> {
  const crons = await configuredCrons();
  const child = startWrangler(process.argv.slice(2), await throwawayLogKey());
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start wrangler dev');
  let exited = false;
  const jobs: Cron[] = [];

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const job of jobs) job.stop();
    if (!exited) {
      killGroup(pid, 'SIGTERM');
      const gone = await Promise.race([
        new Promise<boolean>((done) => child.once('exit', () => done(true))),
        new Promise<boolean>((done) => setTimeout(() => done(false), STOP_GRACE_MS)),
      ]);
      if (!gone) killGroup(pid, 'SIGKILL');
    }
    // workerd may outlive wrangler: the group goes in any case.
    killGroup(pid, 'SIGKILL');
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(130));
  process.once('SIGTERM', () => void stop(143));
  process.once('SIGHUP', () => void stop(129));
  process.on('exit', () => killGroup(pid, 'SIGKILL'));

  let origin: string | undefined;
  const onReady = new Promise<string>((resolveReady) => {
    const forward = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        out.write(chunk);
        pending += chunk;
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const ready = /Ready on (https?:\/\/\S+)/.exec(line.replace(/\u001b\[[0-9;]*m/g, ''));
          if (ready?.[1] !== undefined && origin === undefined) {
            origin = ready[1].replace(/\/+$/, '');
            resolveReady(origin);
          }
        }
      });
    };
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);
  });
  child.once('exit', (code, signal) => {
    exited = true;
    log(`wrangler dev exited (${code ?? signal ?? 'unknown'})`);
    void stop(code === 0 ? 0 : typeof code === 'number' ? code : 1);
  });

  const ready = await onReady;
  if (!(await waitForWorker(ready, () => exited))) {
    log('the Worker did not answer; stopping');
    await stop(1);
    return;
  }
  let running = false;
  const sweep = async (cron: string, why: string) => {
    if (running) {
      log(`skipped the ${why} sweep: the previous one is still running`);
      return;
    }
    running = true;
    log(`firing the ${why} sweep (${cron})`);
    const ok = await fireSweep(ready, cron);
    running = false;
    log(ok ? `the ${why} sweep finished` : `the ${why} sweep did not complete`);
  };
  const first = crons[0];
  if (first === undefined) {
    log('wrangler.toml has no [triggers] crons: sweep by hand with /__scheduled');
    return;
  }
  await sweep(first, 'first');
  for (const cron of crons) {
    jobs.push(new Cron(cron, { timezone: 'Etc/UTC' }, () => void sweep(cron, 'scheduled')));
  }
  const next = jobs
    .map((job) => job.nextRun())
    .filter((date): date is Date => date !== null)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  log(`sweeping on ${crons.join(', ')} (UTC); next at ${next?.toISOString() ?? 'never'}`);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

await main();
