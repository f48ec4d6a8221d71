/**
 * The monitors the load run measures, each on loopback with its own state and throwaway
 * secrets, pointed at a fixture dist site (tools/demo/stack.ts). `host` picks what runs the
 * Worker: `workerd` (the default: the deployment bundle in workerd, nothing in front of it,
 * tools/load/workerd-host.ts) or `wrangler` (`wrangler dev --test-scheduled`, whose
 * ProxyWorker and local trace store sit on every request). `readPath` picks the public read
 * path: `snapshot` (the default configuration) or `live` (`PUBLIC_READ_PATH=live`, the
 * benchmark switch that keeps the old path, every page view reading the Durable Objects).
 */
import { randomBytes } from 'node:crypto';
import { createMonitorClient } from '../demo/monitor-client.ts';
import type { MonitorClient } from '../demo/monitor-client.ts';
import { makeTempDir, stopProcess } from '../demo/processes.ts';
import type { ManagedProcess } from '../demo/processes.ts';
import { startDistSite, startWranglerDev } from '../demo/stack.ts';
import type { DistSite } from '../demo/stack.ts';
import { startWorkerdMonitor, WORKERD_SCHEDULED_PATH } from './workerd-monitor.ts';
import type { BuiltWorker } from './workerd-monitor.ts';

export const MONITOR_START_MS = 120_000;

export type ReadPath = 'live' | 'snapshot';

/** `workerd`: the built Worker, nothing in front; `wrangler`: under `wrangler dev`. */
export type MonitorHost = 'workerd' | 'wrangler';

export interface Monitor {
  readonly name: string;
  readonly readPath: ReadPath;
  readonly host: MonitorHost;
  readonly origin: string;
  readonly token: string;
  readonly client: MonitorClient;
  readonly process: ManagedProcess;
}

export function log(line: string): void {
  process.stderr.write(`load: ${line}\n`);
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

export async function startSite(name: string, args: readonly string[]): Promise<DistSite> {
  const started = Date.now();
  const dir = makeTempDir(`dist-monitor-load-${name}`);
  const site = await startDistSite({ dir, name: `dist-site (${name})`, args });
  log(`${name}: site ready in ${seconds(started)} s`);
  return site;
}

/** `worker`: the bundle a `workerd` monitor runs (buildWorker); unused under wrangler. */
export async function startMonitor(
  name: string,
  site: DistSite,
  readPath: ReadPath,
  host: MonitorHost,
  worker: BuiltWorker | undefined,
): Promise<Monitor> {
  const started = Date.now();
  const token = randomBytes(24).toString('hex');
  const secrets = { RELEASE_KEYS: site.publicKey, OPERATOR_TOKENS: `load:${token}` };
  let origin: string;
  let managed: ManagedProcess;
  if (host === 'workerd') {
    if (worker === undefined) throw new Error('a workerd monitor needs the built Worker');
    ({ origin, process: managed } = await startWorkerdMonitor({
      name,
      site,
      worker,
      bindings: { ...secrets, PUBLIC_READ_PATH: readPath },
      startTimeoutMs: MONITOR_START_MS,
    }));
  } else {
    const wrangler = await startWranglerDev({
      dir: makeTempDir(`dist-monitor-load-${name}`),
      name: `wrangler dev (${name})`,
      distBaseUrl: site.distBaseUrl,
      secrets,
      vars: { PUBLIC_READ_PATH: readPath },
      startTimeoutMs: MONITOR_START_MS,
      quiet: true,
    });
    ({ origin, process: managed } = wrangler);
  }
  log(`${name}: monitor (${readPath} read path, ${host}) ready in ${seconds(started)} s`);
  return {
    name,
    readPath,
    host,
    origin,
    token,
    client: createMonitorClient(
      origin,
      token,
      host === 'workerd' ? WORKERD_SCHEDULED_PATH : '/__scheduled',
    ),
    process: managed,
  };
}

export async function stopAll(
  monitors: readonly Monitor[],
  sites: readonly DistSite[],
): Promise<void> {
  for (const monitor of monitors) await stopProcess(monitor.process);
  for (const site of sites) await stopProcess(site.process);
}
