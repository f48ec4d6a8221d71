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
import { defaultLogOrigin } from '../../src/core/log-settings.ts';
import { generateLogKey } from '../log-key.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const WRANGLER_BIN = join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js');
const SITE_SERVER = join(REPO_ROOT, 'tools/dist-site/server.ts');
const HOST = '127.0.0.1';

/** Bounds for a shared 2-core machine: wrangler's first build can take half a minute. */
const SITE_START_MS = 60_000;
const MONITOR_START_MS = 180_000;

export interface StackOptions {
  /** Releases the site publishes (newest first); each costs the sweep ~12 requests. */
  readonly releases?: number;
  /** Called with one line per startup step. */
  readonly log?: (line: string) => void;
  /**
   * Monitor settings over the demo's (e.g. `{ WATCH_NEWEST: '1' }`), passed as `--var`:
   * plain settings only, never secrets.
   */
  readonly vars?: Record<string, string>;
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

/** The demo's settings beyond the loopback ones: quick and decisive. */
const DEMO_VARS: Record<string, string> = {
  CONTAINMENT_MODE: 'dry-run',
  // One bad sweep is enough to call an outage in a demo (production waits for two).
  OUTAGE_THRESHOLD: '1',
  REQUEST_TIMEOUT_MS: String(MONITOR_SETTINGS.requestTimeoutMs),
  REQUEST_RETRIES: '1',
  LATENCY_THRESHOLD_MS: String(MONITOR_SETTINGS.latencyThresholdMs),
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
  /** The verifier key of the monitor's throwaway transparency log key. */
  readonly logVerifierKey?: string;
  /** The plain settings the monitor runs with beyond wrangler.toml (the demo's and the caller's). */
  readonly vars: Readonly<Record<string, string>>;
  /** Stops everything and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const dir = makeTempDir('dist-monitor-demo');
  let receiver: AlertReceiver | undefined;
  try {
    log('starting the fixture dist site');
    const site = await startDistSite({
      dir,
      name: 'dist-site',
      args: ['--releases', String(options.releases ?? 3)],
    });

    log('starting the alert inbox');
    const webhookSecret = generateWebhookSecret();
    receiver = await startAlertReceiver({ secret: webhookSecret, host: HOST });

    const operatorToken = randomBytes(24).toString('hex');
    const vars = { ...DEMO_VARS, ...options.vars };
    log('starting the monitor under wrangler dev (first build: 10-30 s)');
    const wrangler = await startWranglerDev({
      dir,
      name: 'wrangler dev',
      distBaseUrl: site.distBaseUrl,
      secrets: {
        RELEASE_KEYS: site.publicKey,
        ALERT_WEBHOOK_URLS: receiver.webhookUrl,
        ALERT_WEBHOOK_SECRET: webhookSecret,
        SLACK_WEBHOOK_URL: receiver.slackUrl,
        OPERATOR_TOKENS: `demo:${operatorToken}`,
      },
      vars,
      startTimeoutMs: MONITOR_START_MS,
    });
    const monitor = createMonitorClient(wrangler.origin, operatorToken);

    const openReceiver = receiver;
    let stopped = false;
    return {
      site: createSiteControl(site.origin),
      distBaseUrl: site.distBaseUrl,
      monitor,
      operatorToken,
      receiver: openReceiver,
      monitorProcess: wrangler.process,
      siteProcess: site.process,
      stateDir: wrangler.stateDir,
      vars,
      ...(wrangler.logVerifierKey !== undefined && { logVerifierKey: wrangler.logVerifierKey }),
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

/** A running fixture dist site (tools/dist-site/server.ts). */
export interface DistSite {
  readonly process: ManagedProcess;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `<origin>/dist`, what the monitor watches. */
  readonly distBaseUrl: string;
  /** The armored public key the site signs its releases with. */
  readonly publicKey: string;
}

export interface DistSiteOptions {
  /** A temporary directory (from `makeTempDir`); the site's public key is written there. */
  readonly dir: string;
  /** Short name used in messages. */
  readonly name: string;
  /** More arguments for the server, e.g. `['--releases', '3']`. */
  readonly args: readonly string[];
}

/** Starts the fixture dist site on a port of its choosing and waits until it listens. */
export async function startDistSite(options: DistSiteOptions): Promise<DistSite> {
  const keyFile = join(options.dir, 'release-key.asc');
  const siteProcess = startProcess({
    name: options.name,
    command: process.execPath,
    args: [SITE_SERVER, '--host', HOST, '--port', '0', '--key-out', keyFile, ...options.args],
    cwd: REPO_ROOT,
  });
  const listening = await waitForOutput(
    siteProcess,
    /listening on (http:\/\/\S+)\/dist\b/,
    SITE_START_MS,
  );
  const origin = listening[1] as string;
  return {
    process: siteProcess,
    origin,
    distBaseUrl: `${origin}/dist`,
    publicKey: await readFile(keyFile, 'utf8'),
  };
}

/** The monitor running under `wrangler dev --test-scheduled`. */
export interface WranglerDev {
  readonly process: ManagedProcess;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Its `--persist-to` directory. */
  readonly stateDir: string;
  /** The verifier key of this run's throwaway transparency log key (docs/transparency-log.md). */
  readonly logVerifierKey?: string;
}

export interface WranglerDevOptions {
  /** A temporary directory (from `makeTempDir`) for the Worker's copy, state, env file, logs. */
  readonly dir: string;
  /** Short name used in messages. */
  readonly name: string;
  /** The site the monitor watches. */
  readonly distBaseUrl: string;
  /** Written to the `--env-file` (mode 0600), never to the command line. */
  readonly secrets: Record<string, string>;
  /** Plain settings beyond the loopback ones every run needs. */
  readonly vars?: Record<string, string>;
  /** How long its build and first answer may take. */
  readonly startTimeoutMs: number;
  /**
   * Warnings only: wrangler logs no line per request (its own CPU per request, which a load
   * run would otherwise measure too) and no "Ready on" (readiness is `GET /healthz` alone).
   */
  readonly quiet?: boolean;
}

/**
 * Starts the monitor on a copy of the Worker's sources, on loopback, and waits until it
 * answers `GET /healthz`.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const { dir } = options;
  const [port, inspectorPort] = [await freePort(HOST), await freePort(HOST)];
  const origin = `http://${HOST}:${port}`;
  const envFile = join(dir, 'monitor.env');
  // Every local run has a transparency log, signed with a key made for this run only.
  const logKey = await generateLogKey(defaultLogOrigin(options.distBaseUrl));
  writeEnvFile(envFile, { LOG_SIGNING_KEY: logKey.privateKey, ...options.secrets });
  const stateDir = join(dir, 'state');
  const workerDir = snapshotWorker(join(dir, 'worker'));
  const vars: Record<string, string> = {
    DIST_BASE_URL: options.distBaseUrl,
    // Empty: the cache differential bypasses the cache with a query string, which the site honours.
    ORIGIN_BASE_URL: '',
    ALLOWED_REDIRECT_HOSTS: `${HOST},localhost`,
    // Regional probes would only repeat the same loopback requests here.
    PROBE_REGIONS: '',
    PUBLIC_URL: origin,
    ...options.vars,
  };
  const monitorProcess = startProcess({
    name: options.name,
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
      options.quiet === true ? 'warn' : 'info',
      // Plain settings go on the command line (`--var NAME:value`); they are not secret.
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
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
  if (options.quiet !== true)
    await waitForOutput(monitorProcess, /Ready on http/, options.startTimeoutMs);
  await waitUntil(
    'the monitor to answer GET /healthz',
    async () => {
      if (monitorProcess.hasExited()) throw new Error(startFailure(monitorProcess, 'exited'));
      const response = await fetch(`${origin}/healthz`, {
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      return response.status > 0 ? true : undefined;
    },
    { timeoutMs: options.startTimeoutMs, intervalMs: 500 },
  );
  return {
    process: monitorProcess,
    origin,
    stateDir,
    ...(options.secrets['LOG_SIGNING_KEY'] === undefined && { logVerifierKey: logKey.verifierKey }),
  };
}

/** What wrangler dev needs to build the Worker; dependencies are linked, not copied. */
const WORKER_FILES = ['wrangler.toml', 'package.json', 'tsconfig.json', 'src'];

/**
 * Copies the Worker's sources to `target`: wrangler writes its build files there, not in
 * the repository.
 */
export function snapshotWorker(target: string): string {
  for (const name of WORKER_FILES) {
    cpSync(join(REPO_ROOT, name), join(target, name), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
  return target;
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
