/**
 * The monitor as the load run measures it by default: the Worker built as for deployment
 * (`wrangler deploy --dry-run`), run in workerd by tools/load/workerd-host.ts with the
 * loopback settings every local run uses. The bundle is built once per run and shared.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLogOrigin } from '../../src/core/log-settings.ts';
import { generateLogKey } from '../log-key.ts';
import {
  freePort,
  makeTempDir,
  ProcessStartError,
  startFailure,
  startProcess,
  waitForOutput,
} from '../demo/processes.ts';
import type { ManagedProcess } from '../demo/processes.ts';
import { REPO_ROOT, snapshotWorker, WRANGLER_BIN } from '../demo/stack.ts';
import type { DistSite } from '../demo/stack.ts';
import type { WorkerdHostSettings } from './workerd-host.ts';

const HOST = '127.0.0.1';
const HOST_SCRIPT = join(REPO_ROOT, 'tools/load/workerd-host.ts');
const BUILD_TIMEOUT_MS = 120_000;

/** Where a sweep is triggered in workerd run by Miniflare (`unsafeTriggerHandlers`). */
export const WORKERD_SCHEDULED_PATH = '/cdn-cgi/local/scheduled';

export interface BuiltWorker {
  readonly bundlePath: string;
  readonly configPath: string;
}

/** `wrangler deploy --dry-run --outdir`: the module a deployment would upload, nothing sent. */
export function buildWorker(): BuiltWorker {
  const dir = makeTempDir('dist-monitor-load-build');
  const workerDir = snapshotWorker(join(dir, 'worker'));
  const outDir = join(workerDir, 'dist');
  const build = spawnSync(
    process.execPath,
    [WRANGLER_BIN, 'deploy', '--dry-run', '--outdir', outDir],
    {
      cwd: workerDir,
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_LOG: 'warn',
        WRANGLER_LOG_PATH: join(dir, 'wrangler-logs'),
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
    },
  );
  if (build.status !== 0) {
    const output = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n').slice(-20);
    throw new ProcessStartError(
      `wrangler deploy --dry-run failed (${build.status ?? build.signal}):\n${output.join('\n')}`,
    );
  }
  return { bundlePath: join(outDir, 'index.js'), configPath: join(workerDir, 'wrangler.toml') };
}

export interface WorkerdMonitorOptions {
  readonly name: string;
  readonly site: DistSite;
  readonly worker: BuiltWorker;
  /** Vars and secrets beyond the loopback settings. */
  readonly bindings: Readonly<Record<string, string>>;
  readonly startTimeoutMs: number;
}

/** Starts the Worker in workerd and waits until it says it is ready. */
export async function startWorkerdMonitor(
  options: WorkerdMonitorOptions,
): Promise<{ readonly origin: string; readonly process: ManagedProcess }> {
  const dir = makeTempDir(`dist-monitor-load-${options.name}`);
  const port = await freePort(HOST);
  const logKey = await generateLogKey(defaultLogOrigin(options.site.distBaseUrl));
  const settings: WorkerdHostSettings = {
    bundlePath: options.worker.bundlePath,
    configPath: options.worker.configPath,
    stateDir: join(dir, 'state'),
    host: HOST,
    port,
    bindings: {
      DIST_BASE_URL: options.site.distBaseUrl,
      ORIGIN_BASE_URL: '',
      ALLOWED_REDIRECT_HOSTS: `${HOST},localhost`,
      PROBE_REGIONS: '',
      PUBLIC_URL: `http://${HOST}:${port}`,
      LOG_SIGNING_KEY: logKey.privateKey,
      ...options.bindings,
    },
  };
  const settingsPath = join(dir, 'settings.json');
  writeFileSync(settingsPath, JSON.stringify(settings), { mode: 0o600 });
  const host = startProcess({
    name: `workerd (${options.name})`,
    command: process.execPath,
    args: [HOST_SCRIPT, settingsPath],
    cwd: REPO_ROOT,
  });
  const [, origin] = await waitForOutput(host, /^ready (http:\/\/\S+)$/, options.startTimeoutMs);
  if (origin === undefined || host.hasExited())
    throw new ProcessStartError(startFailure(host, 'did not start'));
  return { origin, process: host };
}
