/**
 * The whole local stack the demo and the end-to-end tests run against: the fixture dist
 * site (tools/dist-site/server.ts, its own process), an alert inbox (in this process), and
 * the monitor itself under `wrangler dev --test-scheduled`, pointed at the site.
 *
 * Nothing listens beyond 127.0.0.1 and nothing is written into the repository: the
 * monitor's secrets go in a generated env file passed with `--env-file` (so a developer's
 * own `.dev.vars` is neither read nor touched), its state in a fresh `--persist-to`
 * directory, both inside one temporary directory removed on stop. wrangler dev runs on a
 * copy of the Worker's sources taken at start: it rebuilds and restarts the Worker when a
 * source file changes, and a restart in the middle of a sweep would leave the sweep lock
 * held for 15 minutes, so an editor saving a file must not reach a running demo or test.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createMonitorClient, createSiteControl } from './monitor-client.ts';
import type { MonitorClient, SiteControl } from './monitor-client.ts';
import {
  cleanUpEverything,
  freePort,
  makeTempDir,
  startFailure,
  startProcess,
  waitForOutput,
} from './processes.ts';
import type { ManagedProcess } from './processes.ts';
import { generateWebhookSecret, startAlertReceiver } from './receiver.ts';
import type { AlertReceiver } from './receiver.ts';
import { waitUntil } from './waiting.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER_BIN = join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js');
const HOST = '127.0.0.1';

/** Bounds for a shared 2-core machine: wrangler's first build can take half a minute. */
const SITE_START_MS = 60_000;
const MONITOR_START_MS = 180_000;

export interface StackOptions {
  /** Releases the site publishes (newest first); each costs the sweep ~12 requests. */
  readonly releases?: number;
  /** Called with one line per startup step. */
  readonly log?: (line: string) => void;
}

/** Settings the monitor runs with: the ones that make a demo quick and decisive. */
export interface MonitorSettings {
  readonly latencyThresholdMs: number;
  readonly requestTimeoutMs: number;
}

export const MONITOR_SETTINGS: MonitorSettings = {
  // The site answers in a few ms; `slow` adds 400 ms, well above this and below the timeout.
  latencyThresholdMs: 200,
  requestTimeoutMs: 2_000,
};

export interface Stack {
  readonly site: SiteControl;
  /** `http://127.0.0.1:<port>/dist`, what the monitor watches. */
  readonly distBaseUrl: string;
  readonly monitor: MonitorClient;
  /** A throwaway bearer token (operator `demo`) for this run's operator API. */
  readonly operatorToken: string;
  readonly receiver: AlertReceiver;
  readonly monitorProcess: ManagedProcess;
  readonly siteProcess: ManagedProcess;
  readonly stateDir: string;
  /** Stops everything and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const dir = makeTempDir('dist-monitor-demo');
  let receiver: AlertReceiver | undefined;
  try {
    log('starting the fixture dist site');
    const keyFile = join(dir, 'demo-release-key.asc');
    const siteProcess = startProcess({
      name: 'dist-site',
      command: process.execPath,
      args: [
        join(REPO_ROOT, 'tools/dist-site/server.ts'),
        '--host',
        HOST,
        '--port',
        '0',
        '--releases',
        String(options.releases ?? 3),
        '--key-out',
        keyFile,
      ],
      cwd: REPO_ROOT,
    });
    const listening = await waitForOutput(
      siteProcess,
      /listening on (http:\/\/\S+)\/dist\b/,
      SITE_START_MS,
    );
    const siteOrigin = listening[1] as string;
    const distBaseUrl = `${siteOrigin}/dist`;
    const publicKey = await readFile(keyFile, 'utf8');

    log('starting the alert inbox');
    const webhookSecret = generateWebhookSecret();
    receiver = await startAlertReceiver({ secret: webhookSecret, host: HOST });

    const [port, inspectorPort] = [await freePort(HOST), await freePort(HOST)];
    const monitorOrigin = `http://${HOST}:${port}`;
    const operatorToken = randomBytes(24).toString('hex');
    const envFile = join(dir, 'monitor.env');
    writeEnvFile(envFile, {
      RELEASE_KEYS: publicKey,
      ALERT_WEBHOOK_URLS: receiver.webhookUrl,
      ALERT_WEBHOOK_SECRET: webhookSecret,
      SLACK_WEBHOOK_URL: receiver.slackUrl,
      OPERATOR_TOKENS: `demo:${operatorToken}`,
    });
    const stateDir = join(dir, 'state');
    const workerDir = snapshotWorker(join(dir, 'worker'));

    log('starting the monitor under wrangler dev (first build: 10-30 s)');
    const monitorProcess = startProcess({
      name: 'wrangler dev',
      command: process.execPath,
      args: [
        WRANGLER_BIN,
        'dev',
        '--test-scheduled',
        '--ip',
        HOST,
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        stateDir,
        '--env-file',
        envFile,
        '--show-interactive-dev-session=false',
        '--log-level',
        'info',
        ...monitorVars({ distBaseUrl, monitorOrigin }),
      ],
      cwd: workerDir,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_LOG_PATH: join(dir, 'wrangler-logs'),
        WRANGLER_REGISTRY_PATH: join(dir, 'wrangler-registry'),
        // No lookup of workers.cloudflare.com for `request.cf`: it would stall offline.
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
    });
    await waitForOutput(monitorProcess, /Ready on http/, MONITOR_START_MS);
    const monitor = createMonitorClient(monitorOrigin, operatorToken);
    await waitUntil(
      'the monitor to answer GET /healthz',
      async () => {
        if (monitorProcess.hasExited()) throw new Error(startFailure(monitorProcess, 'exited'));
        const response = await fetch(`${monitorOrigin}/healthz`, {
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        return response.status > 0 ? true : undefined;
      },
      { timeoutMs: MONITOR_START_MS, intervalMs: 500 },
    );

    const openReceiver = receiver;
    let stopped = false;
    return {
      site: createSiteControl(siteOrigin),
      distBaseUrl,
      monitor,
      operatorToken,
      receiver: openReceiver,
      monitorProcess,
      siteProcess,
      stateDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await openReceiver.close();
        await cleanUpEverything();
      },
    };
  } catch (error) {
    await receiver?.close();
    await cleanUpEverything();
    throw error;
  }
}

/** What wrangler dev needs to build the Worker; dependencies are linked, not copied. */
const WORKER_FILES = ['wrangler.toml', 'package.json', 'tsconfig.json', 'src'];

function snapshotWorker(target: string): string {
  for (const name of WORKER_FILES) {
    cpSync(join(REPO_ROOT, name), join(target, name), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
  return target;
}

/** Plain settings go on the command line (`--var NAME:value`); they are not secret. */
function monitorVars(urls: { distBaseUrl: string; monitorOrigin: string }): string[] {
  const vars: Record<string, string> = {
    DIST_BASE_URL: urls.distBaseUrl,
    // Empty: the cache differential bypasses the cache with a query string, which the site honours.
    ORIGIN_BASE_URL: '',
    CONTAINMENT_MODE: 'dry-run',
    ALLOWED_REDIRECT_HOSTS: '127.0.0.1,localhost',
    // One bad sweep is enough to call an outage in a demo (production waits for two).
    OUTAGE_THRESHOLD: '1',
    REQUEST_TIMEOUT_MS: String(MONITOR_SETTINGS.requestTimeoutMs),
    REQUEST_RETRIES: '1',
    LATENCY_THRESHOLD_MS: String(MONITOR_SETTINGS.latencyThresholdMs),
    // Regional probes would only repeat the same loopback requests here.
    PROBE_REGIONS: '',
    PUBLIC_URL: urls.monitorOrigin,
  };
  return Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]);
}

/**
 * Writes secrets as a dotenv file (mode 0600). Values are double-quoted, which keeps the
 * armored key's line breaks; a value that dotenv would mangle is refused, not escaped.
 */
function writeEnvFile(path: string, secrets: Record<string, string>): void {
  const lines = Object.entries(secrets).map(([name, value]) => {
    if (/["\\$]/.test(value)) throw new Error(`${name} contains a character dotenv would change`);
    return `${name}="${value.trim()}"`;
  });
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}
